"""Email the desk sends about a ticket, and the Message-ID a reply to it comes back with.

A customer who presses Reply on "New reply to your request WD-000123" sends mail whose
In-Reply-To and References name only that notice. Each notice therefore goes out with a
Message-ID of its own, remembered in ``channel_refs`` against its ticket in the
transaction that queues it, and the reply threads like any other (:mod:`.email_in`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection, insert

from walletdesk.support.channels.tables import channel_refs
from walletdesk.support.tickets.rules import Channel

# A Message-ID needs a right-hand side that is ours alone, not a host that resolves
# (RFC 5322 §3.6.4): the reserved .invalid domain (RFC 2606) is nobody else's, and the
# ticket id with a random token makes the left-hand side unique.
MESSAGE_ID_DOMAIN = "tickets.walletdesk.invalid"


def notice_message_id(ticket_id: uuid.UUID) -> str:
    """A new Message-ID for one notice about ``ticket_id``: ``<ticket-{id}-{n}@...>``.
    ``n`` is random rather than counted: two notices queued at once never collide."""
    return f"<ticket-{ticket_id}-{uuid.uuid4().hex[:16]}@{MESSAGE_ID_DOMAIN}>"


def remember_notice(
    conn: Connection,
    message_id: str,
    *,
    ticket_id: uuid.UUID,
    customer_id: uuid.UUID,
    now: datetime,
) -> None:
    """Let replies to the notice ``message_id`` thread onto ``ticket_id``; in the caller's
    transaction, so the notice is remembered if and only if it is queued."""
    conn.execute(
        insert(channel_refs).values(
            ref=f"email:{message_id}",
            channel=Channel.EMAIL.value,
            ticket_id=ticket_id,
            customer_id=customer_id,
            created_at=now,
        )
    )

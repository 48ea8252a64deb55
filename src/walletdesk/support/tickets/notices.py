"""What the customer hears about their ticket: a reply arrived, it was solved (with the
CSAT link). Queued in the outbox inside the transaction that made the change.

Both go to the in-app inbox and email, never SMS: our own scam advice tells people
not to trust links in text messages, so we send none (DOMAIN.md §6).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from walletdesk.identity import store as identity_store
from walletdesk.notify.messages import AlertKind
from walletdesk.notify.outbox import enqueue
from walletdesk.support.channels.email_out import notice_message_id, remember_notice
from walletdesk.support.tickets.csat_link import sign_link
from walletdesk.support.tickets.deps import TicketDeps


def _send(
    conn: Connection, row: Any, kind: AlertKind, params: dict[str, str], now: datetime
) -> None:
    customer = identity_store.get_user(conn, row.customer_id)
    # The email carries a Message-ID of its own, remembered for the ticket: the
    # customer's Reply to it then continues this ticket instead of opening a new one.
    message_id = notice_message_id(row.id) if customer.email else None
    if message_id is not None:
        remember_notice(conn, message_id, ticket_id=row.id, customer_id=customer.id, now=now)
    enqueue(
        conn,
        kind=kind,
        user_id=customer.id,
        locale=customer.locale,
        params={"ticket_number": row.number, "subject": row.subject, **params},
        now=now,
        email=customer.email,
        phone=None,
        email_message_id=message_id,
    )


def reply_sent(conn: Connection, row: Any, now: datetime) -> None:
    _send(conn, row, AlertKind.TICKET_REPLY, {}, now)


def ticket_solved(conn: Connection, deps: TicketDeps, row: Any, solved_at: datetime) -> None:
    if deps.csat_secret and deps.public_url:
        link = sign_link(deps.csat_secret, row.id, solved_at)
        params = {"rating": "link", "csat_url": f"{deps.public_url}/csat/{link.token}"}
    else:
        params = {"rating": "app"}
    _send(conn, row, AlertKind.TICKET_SOLVED, params, solved_at)

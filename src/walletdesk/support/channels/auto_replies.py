"""Automatic mail (RFC 3834): out-of-office and other auto-replies, bulk and list mail.

An auto-reply is not the customer writing. It must not open a ticket, nor reopen a
solved one or start a reply clock, and it is never answered (RFC 3834 §2: two
responders answering each other loop). One that threads onto the customer's ticket is
kept there as an internal note, with the ticket's status untouched: an agent waiting on
the customer wants to know they are away until Monday. One that threads onto nothing is
dropped, as there is no conversation it belongs to.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from walletdesk.db.transactions import run_transaction
from walletdesk.identity.model import User
from walletdesk.support.channels.inbound import (
    BODY_MAX,
    Dropped,
    Outcome,
    claim_ref,
    file_once,
    ticket_for_refs,
)
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.rules import Channel, MessageKind
from walletdesk.support.tickets.service import MAX_MERGE_HOPS
from walletdesk.support.tickets.steps import add_message
from walletdesk.support.tickets.views import own_ticket

AUTO_REPLY = "auto_reply"
# Heads the note, for agents of either language: what it is, and that nothing changed.
NOTE_LABEL = {
    "zh-CN": "【自动回复：工单状态未改变】",
    "en": "[Automatic reply: the ticket's status is unchanged]",
}


def note_text(body: str) -> str:
    label = f"{NOTE_LABEL['zh-CN']} {NOTE_LABEL['en']}"
    return f"{label}\n{body.strip()[:BODY_MAX] or '(no text)'}"


def file_auto_reply(
    deps: TicketDeps,
    customer: User,
    *,
    body: str,
    own_ref: str | None,
    thread_refs: Sequence[str],
    named_ticket: uuid.UUID | None,
) -> Outcome | Dropped:
    """Keep an auto-reply as an internal note on the customer's ticket it threads onto
    (following merges), or drop it. Redelivery is a duplicate, as for any message."""
    existing = ticket_for_refs(deps.engine, thread_refs, customer) or named_ticket
    if existing is None:
        return Dropped(AUTO_REPLY)
    now = deps.now()
    text = note_text(body)

    def note(ref: str | None) -> Outcome:
        claim = claim_ref(deps, ref, Channel.EMAIL, customer) if ref is not None else None

        def work(conn: Connection) -> dict[str, Any]:
            row = own_ticket(conn, existing, customer.id)
            for _hop in range(MAX_MERGE_HOPS):
                if row.merged_into is None:
                    break
                row = own_ticket(conn, row.merged_into, customer.id)
            if claim is not None:
                claim(conn, row.id)
            add_message(conn, row.id, customer, MessageKind.INTERNAL, text, now)
            return {"id": str(row.id), "number": row.number, "channel": row.channel}

        return Outcome(run_transaction(deps.engine, work), threaded=True, automatic=True)

    # Redelivered, raced or colliding ids are handled as for any message.
    return file_once(deps, customer, own_ref, note)

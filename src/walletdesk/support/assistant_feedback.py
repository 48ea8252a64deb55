"""Did the assistant help? The customer's own answer, and an honest resolution rate.

A conversation counts as *resolved* only when the customer said it helped, or — for a
signed-in customer who said nothing — when it was not handed to a person and they asked
for no further help (opened no ticket) in the 24 hours after it. That is Intercom Fin's
definition, stricter than counting every conversation that did not reach a person:
someone who gave up and phoned, or wrote in an hour later, was not helped. Anonymous
conversations count only when confirmed, since what their author did next is unknown.
Conversations younger than 24 hours without an answer are *pending*, not counted yet.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from walletdesk.core.clock import Clock
from walletdesk.core.errors import NotFound
from walletdesk.db.transactions import run_transaction
from walletdesk.identity.model import User
from walletdesk.support.channels.tables import assistant_conversations as conv
from walletdesk.support.tickets import tables as ticket_tables

# How long after a conversation a new ticket still means it did not help.
FOLLOW_UP_WINDOW = timedelta(hours=24)
# Bounds the rows one summary reads into Python.
MAX_ROWS = 50_000


class Feedback(StrEnum):
    HELPFUL = "helpful"
    NOT_HELPFUL = "not_helpful"


@dataclass(frozen=True, slots=True)
class Resolution:
    """The assistant's conversations begun in a period, by outcome.

    ``rate_percent`` is resolved ÷ decided (every conversation but the pending ones),
    rounded down to a whole percent; None when none is decided yet.
    """

    conversations: int
    handed_over: int
    confirmed_helpful: int
    not_helpful: int
    resolved: int
    pending: int
    rate_percent: int | None


def record_feedback(
    engine: Engine,
    clock: Clock,
    conversation_id: uuid.UUID,
    user: User | None,
    helpful: bool,
) -> dict[str, Any]:
    """Store the customer's answer to "did this help?" (the latest answer counts).

    A signed-in customer's conversation takes feedback only from them; an anonymous
    one from whoever holds its id (an unguessable uuid, as for the next message).
    """
    feedback = Feedback.HELPFUL if helpful else Feedback.NOT_HELPFUL
    now = clock.now()

    def work(conn: Connection) -> None:
        row = conn.execute(
            select(conv.c.user_id).where(conv.c.id == conversation_id).with_for_update()
        ).first()
        if row is None or (row.user_id is not None and (user is None or row.user_id != user.id)):
            raise NotFound("no such conversation")
        conn.execute(
            update(conv)
            .where(conv.c.id == conversation_id)
            .values(feedback=feedback.value, feedback_at=now)
        )

    run_transaction(engine, work)
    return {"conversation_id": str(conversation_id), "feedback": feedback.value}


def resolution(engine: Engine, since: datetime, now: datetime) -> Resolution:
    """How the conversations begun since ``since`` ended, judged at ``now``."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(conv.c.user_id, conv.c.ticket_id, conv.c.feedback, conv.c.updated_at)
            .where(conv.c.created_at >= since)
            .order_by(conv.c.created_at)
            .limit(MAX_ROWS)
        ).all()
        users = {row.user_id for row in rows if row.user_id is not None}
        tk = ticket_tables.tickets
        opened: dict[uuid.UUID, list[datetime]] = defaultdict(list)
        if users:
            for ticket in conn.execute(
                select(tk.c.customer_id, tk.c.created_at)
                .where(tk.c.created_at >= since, tk.c.customer_id.in_(users))
                .limit(MAX_ROWS)
            ):
                opened[ticket.customer_id].append(ticket.created_at)

    handed = helpful = unhelpful = resolved = pending = 0
    for row in rows:
        if row.ticket_id is not None:
            # A person took over: whatever helped then, it was not the assistant.
            handed += 1
            continue
        if row.feedback == Feedback.HELPFUL.value:
            helpful += 1
            resolved += 1
        elif row.feedback == Feedback.NOT_HELPFUL.value:
            unhelpful += 1
        elif row.updated_at > now - FOLLOW_UP_WINDOW:
            pending += 1
        elif row.user_id is not None and not any(
            row.updated_at <= at <= row.updated_at + FOLLOW_UP_WINDOW
            for at in opened.get(row.user_id, ())
        ):
            resolved += 1
    decided = len(rows) - pending
    return Resolution(
        conversations=len(rows),
        handed_over=handed,
        confirmed_helpful=helpful,
        not_helpful=unhelpful,
        resolved=resolved,
        pending=pending,
        rate_percent=None if decided == 0 else 100 * resolved // decided,
    )

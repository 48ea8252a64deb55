"""Reading tickets and shaping them for customers and agents. No writes here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from walletdesk.core.errors import NotFound
from walletdesk.support.tickets import tables as t
from walletdesk.support.tickets.calendar import BusinessCalendar
from walletdesk.support.tickets.rules import (
    PAUSED_STATES,
    MessageKind,
    SlaEventKind,
    SlaTarget,
)
from walletdesk.support.tickets.sla import SlaClock, SlaEvent, sla_clock


def load_ticket(conn: Connection, ticket_id: uuid.UUID, *, lock: bool = False) -> Any:
    """The ticket's row; ``lock`` takes its row lock (PostgreSQL) for a change to follow."""
    query = select(t.tickets).where(t.tickets.c.id == ticket_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound("no such ticket")
    return row


def own_ticket(
    conn: Connection, ticket_id: uuid.UUID, customer_id: uuid.UUID, *, lock: bool = False
) -> Any:
    row = load_ticket(conn, ticket_id, lock=lock)
    if row.customer_id != customer_id:  # someone else's ticket does not exist for you
        raise NotFound("no such ticket")
    return row


def sla_events(conn: Connection, ticket_id: uuid.UUID) -> list[SlaEvent]:
    rows = conn.execute(
        select(t.sla_events)
        .where(t.sla_events.c.ticket_id == ticket_id)
        .order_by(t.sla_events.c.seq)
    ).all()
    return [SlaEvent(SlaEventKind(r.kind), SlaTarget(r.target), r.at, r.minutes) for r in rows]


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def summary(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "number": row.number,
        "subject": row.subject,
        "status": row.status,
        "category": row.category,
        "priority": row.priority,
        "channel": row.channel,
        "tags": list(row.tags or []),
        "payment_id": str(row.payment_id) if row.payment_id else None,
        "merged_into": str(row.merged_into) if row.merged_into else None,
        "sla": {
            "first_reply_due": iso(row.first_reply_due),
            "next_reply_due": iso(row.next_reply_due),
            "resolution_due": iso(row.resolution_due),
            "paused": row.status in PAUSED_STATES,
        },
        "first_replied_at": iso(row.first_replied_at),
        "solved_at": iso(row.solved_at),
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def staff_summary(row: Any) -> dict[str, Any]:
    """:func:`summary` plus what only staff see about who asked and who answers."""
    return {
        **summary(row),
        "customer_id": str(row.customer_id),
        "assignee_id": str(row.assignee_id) if row.assignee_id else None,
        "scam_risk": row.scam_risk,
    }


def messages_of(conn: Connection, ticket_id: uuid.UUID, *, internal: bool) -> list[dict[str, Any]]:
    query = select(t.ticket_messages).where(t.ticket_messages.c.ticket_id == ticket_id)
    if not internal:
        query = query.where(t.ticket_messages.c.kind == MessageKind.PUBLIC.value)
    rows = conn.execute(query.order_by(t.ticket_messages.c.seq)).all()
    return [
        {
            "id": str(r.id),
            "author_id": str(r.author_id),
            "author_role": r.author_role,
            "kind": r.kind,
            "body": r.body,
            "merged_from": str(r.merged_from) if r.merged_from else None,
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]


def csat_of(conn: Connection, ticket_id: uuid.UUID) -> dict[str, Any] | None:
    row = conn.execute(select(t.ticket_csat).where(t.ticket_csat.c.ticket_id == ticket_id)).first()
    if row is None:
        return None
    return {"score": row.score, "comment": row.comment, "created_at": row.created_at.isoformat()}


def customer_view(conn: Connection, row: Any) -> dict[str, Any]:
    return {
        **summary(row),
        "messages": messages_of(conn, row.id, internal=False),
        "csat": csat_of(conn, row.id),
    }


def agent_view(
    conn: Connection, row: Any, now: datetime, calendar: BusinessCalendar
) -> dict[str, Any]:
    events = sla_events(conn, row.id)
    clocks = {}
    for target in SlaTarget:
        clock = sla_clock(events, target, now, calendar)
        clocks[target.value] = clock_public(clock) if clock else None
    return {
        **staff_summary(row),
        "sla_clocks": clocks,
        "messages": messages_of(conn, row.id, internal=True),
        "csat": csat_of(conn, row.id),
    }


def clock_public(clock: SlaClock) -> dict[str, Any]:
    return {
        "minutes": clock.minutes,
        "elapsed": clock.elapsed,
        "running": clock.running,
        "fulfilled": clock.fulfilled,
        "breached": clock.breached,
        "due": iso(clock.due),
    }

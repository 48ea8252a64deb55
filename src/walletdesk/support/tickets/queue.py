"""The agents' queue: tickets soonest SLA due first, a page at a time.

A ticket's place is its soonest *running* SLA due (first reply while unanswered, next
reply, resolution); paused (pending, on hold) and done tickets have none and come after,
oldest first. The database orders by the same rule (:func:`next_due_sql`) before it cuts
a page, so a busy desk's newest urgent ticket (a scam call, which triage puts first) is
on the first page, not behind the oldest few hundred.

Pages are keyset pages: ``next_cursor`` carries the last ticket's sort key, and the next
page starts after it. A ticket whose due moves between two pages may be seen twice or
not at all, as in any live queue; none is skipped for a page boundary alone.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, null, select, tuple_

from walletdesk.core.errors import NotFound, ValidationError
from walletdesk.db.types import UTCDateTime, earliest
from walletdesk.identity.model import User
from walletdesk.identity.roles import Permission, authorize
from walletdesk.support.helpcenter.articles import Category
from walletdesk.support.tickets import tables as t
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.rules import DONE_STATES, PAUSED_STATES, TicketStatus
from walletdesk.support.tickets.views import iso, staff_summary

# A page's size when none is asked for, and the most one page holds.
PAGE_SIZE = 100
QUEUE_LIMIT = 200


class InvalidCursor(ValidationError):
    code = "invalid_cursor"


def next_due(row: Any) -> datetime | None:
    """A ticket's soonest running SLA due; None while paused or done."""
    if row.status in PAUSED_STATES or row.status in DONE_STATES:
        return None
    candidates = [row.resolution_due, row.next_reply_due]
    if row.first_replied_at is None:
        candidates.append(row.first_reply_due)
    present = [c for c in candidates if c is not None]
    return min(present) if present else None


def next_due_sql() -> ColumnElement[datetime]:
    """:func:`next_due` as a SQL expression over ``tickets``."""
    tickets = t.tickets.c
    first_reply = case((tickets.first_replied_at.is_(None), tickets.first_reply_due))
    stopped = [status.value for status in PAUSED_STATES | DONE_STATES]
    return case(
        (tickets.status.in_(stopped), null()),
        else_=earliest(tickets.resolution_due, tickets.next_reply_due, first_reply),
    )


def queue_order() -> tuple[ColumnElement[Any], ...]:
    """The queue's sort key in SQL: running dues first, soonest first; then the rest,
    oldest first; the ticket's seq breaks ties."""
    soonest = next_due_sql()
    return (
        soonest.is_(None),
        func.coalesce(soonest, t.tickets.c.created_at),
        t.tickets.c.seq,
    )


def _sort_key(row: Any) -> tuple[bool, datetime, int]:
    """:func:`queue_order` of one row, computed in Python."""
    soonest = next_due(row)
    return (soonest is None, soonest or row.created_at, row.seq)


def encode_cursor(row: Any) -> str:
    stopped, at, seq = _sort_key(row)
    text = f"{int(stopped)}|{at.isoformat()}|{seq}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[bool, datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stopped, at, seq = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        key = (stopped == "1", datetime.fromisoformat(at), int(seq))
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise InvalidCursor("this cursor is not one the queue gave out") from exc
    if stopped not in ("0", "1") or key[1].tzinfo is None:
        raise InvalidCursor("this cursor is not one the queue gave out")
    return key


def list_queue(
    deps: TicketDeps,
    agent: User,
    *,
    status: TicketStatus | None = None,
    category: Category | None = None,
    assignee: str | None = None,
    limit: int = PAGE_SIZE,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the queue and the cursor of the next (None on the last page).

    Without ``status``, every ticket not solved or closed. ``assignee`` is ``me``,
    ``none`` or an agent's id."""
    authorize(agent.role, Permission.READ_CUSTOMERS)
    if not 1 <= limit <= QUEUE_LIMIT:
        raise ValidationError(f"limit must be 1 to {QUEUE_LIMIT}", field="limit")
    query = select(t.tickets)
    if status is not None:
        query = query.where(t.tickets.c.status == status.value)
    else:
        query = query.where(t.tickets.c.status.not_in([s.value for s in DONE_STATES]))
    if category is not None:
        query = query.where(t.tickets.c.category == category.value)
    if assignee == "none":
        query = query.where(t.tickets.c.assignee_id.is_(None))
    elif assignee == "me":
        query = query.where(t.tickets.c.assignee_id == agent.id)
    elif assignee:
        try:
            query = query.where(t.tickets.c.assignee_id == uuid.UUID(assignee))
        except ValueError as exc:
            raise NotFound("no such agent") from exc
    order = queue_order()
    if cursor is not None:
        stopped, at, seq = decode_cursor(cursor)
        after = (literal(stopped), literal(at, UTCDateTime()), literal(seq))
        query = query.where(tuple_(*order) > tuple_(*after))
    with deps.engine.connect() as conn:
        rows = list(conn.execute(query.order_by(*order).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    items = [{**staff_summary(row), "next_due": iso(next_due(row))} for row in rows]
    return items, encode_cursor(rows[-1]) if more else None


__all__ = ["PAGE_SIZE", "QUEUE_LIMIT", "list_queue", "next_due", "next_due_sql", "queue_order"]

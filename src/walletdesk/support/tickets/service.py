"""Ticket use cases for customers and agents. Every write is one transaction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import DBAPIError

from walletdesk.core.clock import Clock
from walletdesk.core.errors import NotFound
from walletdesk.db.transactions import run_transaction
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.model import User
from walletdesk.identity.roles import Permission, Role, authorize, can
from walletdesk.support.contacts.model import Risk
from walletdesk.support.helpcenter.articles import Category
from walletdesk.support.helpcenter.service import find_articles
from walletdesk.support.tickets import tables as t
from walletdesk.support.tickets.calendar import BusinessCalendar, china_calendar, due
from walletdesk.support.tickets.errors import (
    SCAM_WARNING,
    CsatAlreadyGiven,
    CsatNotOpen,
    InvalidTransition,
    TicketClosed,
)
from walletdesk.support.tickets.rules import (
    DONE_STATES,
    PAUSED_STATES,
    SLA_TARGETS,
    Channel,
    MessageKind,
    Priority,
    SlaEventKind,
    SlaTarget,
    TicketStatus,
    can_transition,
    priority_for,
)
from walletdesk.support.tickets.sla import SlaClock, SlaEvent, sla_clock
from walletdesk.support.triage import classify
from walletdesk.wallet import tables as wallet_tables

log = logging.getLogger(__name__)

SUGGESTIONS = 3
QUEUE_LIMIT = 200


@dataclass(frozen=True)
class TicketDeps:
    engine: Engine
    clock: Clock
    calendar: BusinessCalendar

    @classmethod
    def of(cls, engine: Engine, clock: Clock) -> TicketDeps:
        return cls(engine, clock, china_calendar())

    def now(self) -> datetime:
        return self.clock.now()


# -- reading ----------------------------------------------------------------------


def _ticket(conn: Connection, ticket_id: uuid.UUID) -> Any:
    row = conn.execute(select(t.tickets).where(t.tickets.c.id == ticket_id)).first()
    if row is None:
        raise NotFound("no such ticket")
    return row


def _own_ticket(conn: Connection, ticket_id: uuid.UUID, customer_id: uuid.UUID) -> Any:
    row = _ticket(conn, ticket_id)
    if row.customer_id != customer_id:  # someone else's ticket does not exist for you
        raise NotFound("no such ticket")
    return row


def _events(conn: Connection, ticket_id: uuid.UUID) -> list[SlaEvent]:
    rows = conn.execute(
        select(t.sla_events)
        .where(t.sla_events.c.ticket_id == ticket_id)
        .order_by(t.sla_events.c.seq)
    ).all()
    return [SlaEvent(SlaEventKind(r.kind), SlaTarget(r.target), r.at, r.minutes) for r in rows]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _summary(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "number": row.number,
        "subject": row.subject,
        "status": row.status,
        "category": row.category,
        "priority": row.priority,
        "channel": row.channel,
        "payment_id": str(row.payment_id) if row.payment_id else None,
        "sla": {
            "first_reply_due": _iso(row.first_reply_due),
            "resolution_due": _iso(row.resolution_due),
            "paused": row.status in PAUSED_STATES,
        },
        "first_replied_at": _iso(row.first_replied_at),
        "solved_at": _iso(row.solved_at),
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def _messages(conn: Connection, ticket_id: uuid.UUID, *, internal: bool) -> list[dict[str, Any]]:
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
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]


def _csat(conn: Connection, ticket_id: uuid.UUID) -> dict[str, Any] | None:
    row = conn.execute(select(t.ticket_csat).where(t.ticket_csat.c.ticket_id == ticket_id)).first()
    if row is None:
        return None
    return {"score": row.score, "comment": row.comment, "created_at": row.created_at.isoformat()}


def _customer_view(conn: Connection, row: Any) -> dict[str, Any]:
    return {
        **_summary(row),
        "messages": _messages(conn, row.id, internal=False),
        "csat": _csat(conn, row.id),
    }


def _agent_view(conn: Connection, row: Any, deps: TicketDeps) -> dict[str, Any]:
    events = _events(conn, row.id)
    clocks = {}
    for target in SlaTarget:
        clock = sla_clock(events, target, deps.now(), deps.calendar)
        clocks[target.value] = _clock_public(clock) if clock else None
    return {
        **_summary(row),
        "customer_id": str(row.customer_id),
        "assignee_id": str(row.assignee_id) if row.assignee_id else None,
        "scam_risk": row.scam_risk,
        "sla_clocks": clocks,
        "messages": _messages(conn, row.id, internal=True),
        "csat": _csat(conn, row.id),
    }


def _clock_public(clock: SlaClock) -> dict[str, Any]:
    return {
        "minutes": clock.minutes,
        "elapsed": clock.elapsed,
        "running": clock.running,
        "fulfilled": clock.fulfilled,
        "breached": clock.breached,
        "due": _iso(clock.due),
    }


# -- customers --------------------------------------------------------------------


def do_create_ticket(
    deps: TicketDeps,
    customer: User,
    *,
    subject: str,
    body: str,
    channel: Channel = Channel.WEB,
    payment_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Open a ticket: triage, priority, SLA dues, an optional payment of the customer's,
    suggested articles, and a scam warning in the customer's language when it looks like one."""
    now = deps.now()
    triage = classify(f"{subject}\n{body}", customer.locale, today=now.date())
    priority = priority_for(triage.category, triage.scam_risk)
    targets = SLA_TARGETS[priority]
    ticket_id = uuid.uuid4()

    def work(conn: Connection) -> dict[str, Any]:
        if payment_id is not None:
            owned = conn.execute(
                select(wallet_tables.payments.c.id).where(
                    wallet_tables.payments.c.id == payment_id,
                    wallet_tables.payments.c.customer_id == customer.id,
                )
            ).first()
            if owned is None:
                raise NotFound("no such payment")
        result = conn.execute(
            insert(t.tickets).values(
                id=ticket_id,
                number=f"pending-{ticket_id.hex}",
                customer_id=customer.id,
                subject=subject,
                status=TicketStatus.NEW.value,
                category=triage.category.value,
                priority=priority.value,
                channel=channel.value,
                scam_risk=triage.scam_risk.value,
                payment_id=payment_id,
                first_reply_due=due(now, targets[SlaTarget.FIRST_REPLY], deps.calendar),
                resolution_due=due(now, targets[SlaTarget.RESOLUTION], deps.calendar),
                created_at=now,
                updated_at=now,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        seq = key[0]
        conn.execute(
            update(t.tickets).where(t.tickets.c.id == ticket_id).values(number=f"WD-{seq:06d}")
        )
        _add_message(conn, ticket_id, customer, MessageKind.PUBLIC, body, now)
        for target, minutes in targets.items():
            _event(conn, ticket_id, SlaEventKind.ACTIVATED, target, now, minutes)
        return _customer_view(conn, _ticket(conn, ticket_id))

    view = run_transaction(deps.engine, work)
    view["confidence"] = triage.confidence
    view["suggested_articles"] = _suggestions(deps.engine, subject, body, triage.category, customer)
    view["scam_warning"] = (
        SCAM_WARNING.get(customer.locale, SCAM_WARNING["en"])
        if triage.scam_risk is Risk.HIGH
        else None
    )
    return view


def _suggestions(
    engine: Engine, subject: str, body: str, category: Category, customer: User
) -> list[dict[str, str]]:
    """Up to three help articles; best effort, as the ticket is already saved."""
    locale = "zh-CN" if customer.locale.lower().startswith("zh") else "en"
    wanted = None if category is Category.OTHER else category.value
    try:
        found = find_articles(
            engine, f"{subject} {body}"[:500], locale=locale, category=wanted, limit=SUGGESTIONS
        )
        if not found and wanted is not None:
            found = find_articles(engine, None, locale=locale, category=wanted, limit=SUGGESTIONS)
    except DBAPIError:  # no search index yet (help articles never loaded)
        log.warning("help-article suggestions unavailable", exc_info=True)
        return []
    return [
        {"slug": a.slug, "title": a.title, "category": a.category, "snippet": a.snippet}
        for a in found
    ]


def list_my_tickets(engine: Engine, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.tickets)
            .where(t.tickets.c.customer_id == customer_id)
            .order_by(t.tickets.c.seq.desc())
        ).all()
    return [_summary(row) for row in rows]


def get_my_ticket(engine: Engine, ticket_id: uuid.UUID, customer_id: uuid.UUID) -> dict[str, Any]:
    with engine.connect() as conn:
        return _customer_view(conn, _own_ticket(conn, ticket_id, customer_id))


def do_customer_reply(
    deps: TicketDeps, customer: User, ticket_id: uuid.UUID, body: str
) -> dict[str, Any]:
    """Add the customer's reply; a ticket waiting on them (pending) or solved opens again."""
    now = deps.now()

    def work(conn: Connection) -> dict[str, Any]:
        row = _own_ticket(conn, ticket_id, customer.id)
        status = TicketStatus(row.status)
        if status is TicketStatus.CLOSED:
            raise TicketClosed("the ticket is closed")
        _add_message(conn, ticket_id, customer, MessageKind.PUBLIC, body, now)
        if status in (TicketStatus.PENDING, TicketStatus.SOLVED):
            _move(conn, deps, row, TicketStatus.OPEN, now)
        else:
            _touch(conn, ticket_id, now)
        return _customer_view(conn, _ticket(conn, ticket_id))

    return run_transaction(deps.engine, work)


def do_rate(
    deps: TicketDeps, customer: User, ticket_id: uuid.UUID, score: int, comment: str | None
) -> dict[str, Any]:
    """CSAT 1–5 and a comment, once, on a solved (or closed) ticket."""
    if not 1 <= score <= 5:
        raise ValueError("score must be 1 to 5")
    now = deps.now()

    def work(conn: Connection) -> dict[str, Any]:
        row = _own_ticket(conn, ticket_id, customer.id)
        if TicketStatus(row.status) not in DONE_STATES:
            raise CsatNotOpen("the ticket is not solved")
        if _csat(conn, ticket_id) is not None:
            raise CsatAlreadyGiven("already rated")
        conn.execute(
            insert(t.ticket_csat).values(
                ticket_id=ticket_id, score=score, comment=comment, created_at=now
            )
        )
        return {"score": score, "comment": comment, "created_at": now.isoformat()}

    return run_transaction(deps.engine, work)


# -- agents -----------------------------------------------------------------------


def list_queue(
    deps: TicketDeps,
    agent: User,
    *,
    status: TicketStatus | None = None,
    category: Category | None = None,
    assignee: str | None = None,
) -> list[dict[str, Any]]:
    """The queue, soonest SLA due first (the running target's due); paused and done last.

    ``assignee`` is ``me``, ``none`` or an agent's id.
    """
    authorize(agent.role, Permission.READ_CUSTOMERS)
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
    with deps.engine.connect() as conn:
        rows = list(conn.execute(query.order_by(t.tickets.c.seq).limit(QUEUE_LIMIT)).all())
    rows.sort(key=lambda row: (_next_due(row) is None, _next_due(row) or row.created_at, row.seq))
    return [
        {
            **_summary(row),
            "assignee_id": str(row.assignee_id) if row.assignee_id else None,
            "next_due": _iso(_next_due(row)),
        }
        for row in rows
    ]


def _next_due(row: Any) -> datetime | None:
    if row.status in PAUSED_STATES or row.status in DONE_STATES:
        return None
    candidates = [row.resolution_due]
    if row.first_replied_at is None:
        candidates.append(row.first_reply_due)
    present = [c for c in candidates if c is not None]
    return min(present) if present else None


def get_ticket_for_agent(deps: TicketDeps, agent: User, ticket_id: uuid.UUID) -> dict[str, Any]:
    authorize(agent.role, Permission.READ_CUSTOMERS)
    with deps.engine.connect() as conn:
        return _agent_view(conn, _ticket(conn, ticket_id), deps)


def do_assign(
    deps: TicketDeps, agent: User, ticket_id: uuid.UUID, assignee_id: uuid.UUID | None
) -> dict[str, Any]:
    """Give the ticket to an agent (the caller when ``assignee_id`` is None); new opens."""
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    target_id = assignee_id or agent.id
    now = deps.now()

    def work(conn: Connection) -> dict[str, Any]:
        row = _ticket(conn, ticket_id)
        staff = conn.execute(
            select(identity_tables.users.c.role).where(identity_tables.users.c.id == target_id)
        ).first()
        if target_id != agent.id and (
            staff is None or not can(Role(staff.role), Permission.ACT_ON_CUSTOMERS)
        ):
            raise NotFound("no such agent")
        if TicketStatus(row.status) is TicketStatus.CLOSED:
            raise TicketClosed("the ticket is closed")
        conn.execute(
            update(t.tickets)
            .where(t.tickets.c.id == ticket_id)
            .values(assignee_id=target_id, updated_at=now)
        )
        if TicketStatus(row.status) is TicketStatus.NEW:
            _move(conn, deps, _ticket(conn, ticket_id), TicketStatus.OPEN, now)
        return _agent_view(conn, _ticket(conn, ticket_id), deps)

    return run_transaction(deps.engine, work)


def do_agent_reply(
    deps: TicketDeps, agent: User, ticket_id: uuid.UUID, body: str, *, internal: bool = False
) -> dict[str, Any]:
    """A public reply (fulfils the first-reply SLA once) or an internal note."""
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    now = deps.now()
    kind = MessageKind.INTERNAL if internal else MessageKind.PUBLIC

    def work(conn: Connection) -> dict[str, Any]:
        row = _ticket(conn, ticket_id)
        if TicketStatus(row.status) is TicketStatus.CLOSED:
            raise TicketClosed("the ticket is closed")
        _add_message(conn, ticket_id, agent, kind, body, now)
        if internal:
            _touch(conn, ticket_id, now)
        else:
            if row.first_replied_at is None:
                conn.execute(
                    update(t.tickets)
                    .where(t.tickets.c.id == ticket_id)
                    .values(first_replied_at=now)
                )
                _event(conn, ticket_id, SlaEventKind.FULFILLED, SlaTarget.FIRST_REPLY, now)
            if TicketStatus(row.status) is TicketStatus.NEW:
                _move(conn, deps, _ticket(conn, ticket_id), TicketStatus.OPEN, now)
            else:
                _touch(conn, ticket_id, now)
        return _agent_view(conn, _ticket(conn, ticket_id), deps)

    return run_transaction(deps.engine, work)


def do_change_status(
    deps: TicketDeps, agent: User, ticket_id: uuid.UUID, target: TicketStatus
) -> dict[str, Any]:
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    now = deps.now()

    def work(conn: Connection) -> dict[str, Any]:
        _move(conn, deps, _ticket(conn, ticket_id), target, now)
        return _agent_view(conn, _ticket(conn, ticket_id), deps)

    return run_transaction(deps.engine, work)


def detect_breaches(deps: TicketDeps) -> list[tuple[uuid.UUID, SlaTarget]]:
    """Record a ``breached`` event, once, for every running SLA target past its due.

    For a worker: safe to run often; a target already marked breached is skipped.
    """
    now = deps.now()

    def work(conn: Connection) -> list[tuple[uuid.UUID, SlaTarget]]:
        live = [s.value for s in TicketStatus if s not in PAUSED_STATES and s not in DONE_STATES]
        rows = conn.execute(
            select(t.tickets.c.id)
            .where(t.tickets.c.status.in_(live))
            .where(
                (t.tickets.c.resolution_due <= now)
                | (t.tickets.c.first_replied_at.is_(None) & (t.tickets.c.first_reply_due <= now))
            )
            .order_by(t.tickets.c.seq)
        ).all()
        found: list[tuple[uuid.UUID, SlaTarget]] = []
        for row in rows:
            events = _events(conn, row.id)
            for target in SlaTarget:
                clock = sla_clock(events, target, now, deps.calendar)
                if clock is not None and clock.overdue and not clock.breached:
                    _event(conn, row.id, SlaEventKind.BREACHED, target, now)
                    found.append((row.id, target))
        return found

    return run_transaction(deps.engine, work)


# -- shared steps -----------------------------------------------------------------


def _add_message(
    conn: Connection,
    ticket_id: uuid.UUID,
    author: User,
    kind: MessageKind,
    body: str,
    now: datetime,
) -> None:
    conn.execute(
        insert(t.ticket_messages).values(
            id=uuid.uuid4(),
            ticket_id=ticket_id,
            author_id=author.id,
            author_role=author.role.value,
            kind=kind.value,
            body=body,
            created_at=now,
        )
    )


def _event(
    conn: Connection,
    ticket_id: uuid.UUID,
    kind: SlaEventKind,
    target: SlaTarget,
    at: datetime,
    minutes: int | None = None,
) -> None:
    conn.execute(
        insert(t.sla_events).values(
            ticket_id=ticket_id, kind=kind.value, target=target.value, at=at, minutes=minutes
        )
    )


def _touch(conn: Connection, ticket_id: uuid.UUID, now: datetime) -> None:
    conn.execute(update(t.tickets).where(t.tickets.c.id == ticket_id).values(updated_at=now))


def _move(
    conn: Connection, deps: TicketDeps, row: Any, target: TicketStatus, now: datetime
) -> None:
    """Change status by the transition table and keep the SLA clocks in step with it."""
    current = TicketStatus(row.status)
    if not can_transition(current, target):
        raise InvalidTransition(
            "this status change is not allowed", current=current.value, target=target.value
        )
    events = _events(conn, row.id)
    clocks = {
        goal: clock
        for goal in SlaTarget
        if (clock := sla_clock(events, goal, now, deps.calendar)) is not None
    }
    values: dict[str, Any] = {"status": target.value, "updated_at": now}
    due_column = {SlaTarget.FIRST_REPLY: "first_reply_due", SlaTarget.RESOLUTION: "resolution_due"}
    if current is TicketStatus.SOLVED and target is TicketStatus.OPEN:
        # Reopened: the resolution clock starts afresh.
        minutes = SLA_TARGETS[Priority(row.priority)][SlaTarget.RESOLUTION]
        _event(conn, row.id, SlaEventKind.ACTIVATED, SlaTarget.RESOLUTION, now, minutes)
        values.update(solved_at=None, resolution_due=due(now, minutes, deps.calendar))
    elif target is TicketStatus.SOLVED:
        values["solved_at"] = now
        resolution = clocks.get(SlaTarget.RESOLUTION)
        if resolution is not None and not resolution.fulfilled:
            _event(conn, row.id, SlaEventKind.FULFILLED, SlaTarget.RESOLUTION, now)
    elif target in PAUSED_STATES and current not in PAUSED_STATES:
        for goal, clock in clocks.items():
            if clock.running and not clock.fulfilled:
                _event(conn, row.id, SlaEventKind.PAUSED, goal, now)
                values[due_column[goal]] = None
    elif current in PAUSED_STATES and target not in PAUSED_STATES:
        for goal, clock in clocks.items():
            if not clock.running and not clock.fulfilled:
                _event(conn, row.id, SlaEventKind.RESUMED, goal, now)
                values[due_column[goal]] = due(now, max(clock.remaining, 0), deps.calendar)
    conn.execute(update(t.tickets).where(t.tickets.c.id == row.id).values(**values))


__all__: Sequence[str] = [
    "TicketDeps",
    "detect_breaches",
    "do_agent_reply",
    "do_assign",
    "do_change_status",
    "do_create_ticket",
    "do_customer_reply",
    "do_rate",
    "get_my_ticket",
    "get_ticket_for_agent",
    "list_my_tickets",
    "list_queue",
]

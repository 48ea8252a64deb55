"""Ticket use cases for customers and agents. Every write is one transaction.

Macros, merging, CSAT links and search have their own modules beside this one
(:mod:`.macros`, :mod:`.merge`, :mod:`.csat`, :mod:`.search`); reads and shared
write steps live in :mod:`.views` and :mod:`.steps`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Exists, Select, or_, select, update
from sqlalchemy.exc import DBAPIError

from walletdesk.core.errors import NotFound
from walletdesk.db.transactions import run_transaction
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.model import User
from walletdesk.identity.roles import Permission, Role, authorize, can
from walletdesk.support.contacts.model import Risk
from walletdesk.support.helpcenter.articles import Category
from walletdesk.support.helpcenter.service import find_articles
from walletdesk.support.tickets import tables as t
from walletdesk.support.tickets.assignment import assign_in
from walletdesk.support.tickets.calendar import due
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.errors import SCAM_WARNING, InvalidTransition, TicketClosed
from walletdesk.support.tickets.rules import (
    CLOSED_STATES,
    DONE_STATES,
    PAUSED_STATES,
    SLA_TARGETS,
    Channel,
    MessageKind,
    SlaEventKind,
    SlaTarget,
    TicketStatus,
    can_set_status,
    priority_for,
)
from walletdesk.support.tickets.search import insert_ticket
from walletdesk.support.tickets.sla import sla_clock
from walletdesk.support.tickets.steps import (
    add_message,
    agent_public_reply,
    await_next_reply,
    move_status,
    record_event,
    touch,
)
from walletdesk.support.tickets.views import (
    agent_view,
    customer_view,
    load_ticket,
    own_ticket,
    sla_events,
    summary,
)
from walletdesk.support.triage import classify
from walletdesk.wallet import tables as wallet_tables

log = logging.getLogger(__name__)

SUGGESTIONS = 3
# A customer's reply to a merged ticket follows merged_into at most this many hops.
MAX_MERGE_HOPS = 10


# -- customers --------------------------------------------------------------------


def do_create_ticket(
    deps: TicketDeps,
    customer: User,
    *,
    subject: str,
    body: str,
    channel: Channel = Channel.WEB,
    payment_id: uuid.UUID | None = None,
    claim: Callable[[Connection, uuid.UUID], None] | None = None,
) -> dict[str, Any]:
    """Open a ticket: triage, priority, SLA dues, an optional payment of the customer's,
    suggested articles, and a scam warning in the customer's language when it looks like one.

    ``claim`` runs first in the ticket's own transaction, with the new ticket's id; if it
    raises, no ticket is opened. The inbound channels claim the message's own id so: a
    gateway's retry racing the first delivery opens one ticket, not two. The assistant
    claims its conversation's hand-off the same way (two hand-offs at once, one ticket).
    """
    now = deps.now()
    triage = classify(f"{subject}\n{body}", customer.locale, today=now.date())
    priority = priority_for(triage.category, triage.scam_risk, customer.kyc_tier)
    targets = SLA_TARGETS[priority]
    ticket_id = uuid.uuid4()

    def work(conn: Connection) -> dict[str, Any]:
        if claim is not None:
            claim(conn, ticket_id)
        if payment_id is not None:
            owned = conn.execute(
                select(wallet_tables.payments.c.id).where(
                    wallet_tables.payments.c.id == payment_id,
                    wallet_tables.payments.c.customer_id == customer.id,
                )
            ).first()
            if owned is None:
                raise NotFound("no such payment")
        insert_ticket(
            conn,
            {
                "id": ticket_id,
                "customer_id": customer.id,
                "subject": subject,
                "status": TicketStatus.NEW.value,
                "category": triage.category.value,
                "priority": priority.value,
                "channel": channel.value,
                "scam_risk": triage.scam_risk.value,
                "payment_id": payment_id,
                "first_reply_due": due(now, targets[SlaTarget.FIRST_REPLY], deps.calendar),
                "resolution_due": due(now, targets[SlaTarget.RESOLUTION], deps.calendar),
                "tags": [],
                "created_at": now,
                "updated_at": now,
            },
            ticket_number,
        )
        add_message(conn, ticket_id, customer, MessageKind.PUBLIC, body, now)
        for target, minutes in targets.items():
            record_event(conn, ticket_id, SlaEventKind.ACTIVATED, target, now, minutes)
        # Routed as it is created: round-robin to an agent taking tickets, with room.
        assign_in(conn, ticket_id, now)
        return customer_view(conn, load_ticket(conn, ticket_id))

    view = run_transaction(deps.engine, work)
    view["confidence"] = triage.confidence
    view["suggested_articles"] = _suggestions(deps.engine, subject, body, triage.category, customer)
    view["scam_warning"] = (
        SCAM_WARNING.get(customer.locale, SCAM_WARNING["en"])
        if triage.scam_risk is Risk.HIGH
        else None
    )
    return view


def ticket_number(seq: int) -> str:
    """The number people quote: WD-000123."""
    return f"WD-{seq:06d}"


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
    return [summary(row) for row in rows]


def get_my_ticket(engine: Engine, ticket_id: uuid.UUID, customer_id: uuid.UUID) -> dict[str, Any]:
    with engine.connect() as conn:
        return customer_view(conn, own_ticket(conn, ticket_id, customer_id))


def do_customer_reply(
    deps: TicketDeps,
    customer: User,
    ticket_id: uuid.UUID,
    body: str,
    *,
    claim: Callable[[Connection, uuid.UUID], None] | None = None,
) -> dict[str, Any]:
    """Add the customer's reply; a ticket waiting on them (pending) or solved opens again,
    and one they were already answered on starts the next-reply target.

    A reply to a merged ticket goes to the ticket it was merged into (an email thread
    or an old link keeps working); the view returned is that ticket's. Closed and spam
    tickets take no replies.

    ``claim`` runs in the reply's own transaction, with the id of the ticket written to,
    before the message is; if it raises, nothing is written. The inbound channels claim
    the message's own id so: a gateway's retry racing the first delivery adds it once.
    """
    now = deps.now()

    def work(conn: Connection) -> dict[str, Any]:
        row = own_ticket(conn, ticket_id, customer.id)
        for _hop in range(MAX_MERGE_HOPS):
            # Only the ticket written to is locked: a merged one never changes again,
            # and locking along the chain could deadlock with a merge's own locks.
            if row.merged_into is None:
                row = own_ticket(conn, row.id, customer.id, lock=True)
                if row.merged_into is None:
                    break
            row = own_ticket(conn, row.merged_into, customer.id)
        status = TicketStatus(row.status)
        if status in CLOSED_STATES:
            raise TicketClosed("the ticket is closed")
        if claim is not None:
            claim(conn, row.id)
        add_message(conn, row.id, customer, MessageKind.PUBLIC, body, now)
        if status in (TicketStatus.PENDING, TicketStatus.SOLVED):
            move_status(conn, deps, row, TicketStatus.OPEN, now, customer)
        else:
            touch(conn, row.id, now)
        await_next_reply(conn, deps, load_ticket(conn, row.id), now)
        return customer_view(conn, load_ticket(conn, row.id))

    return run_transaction(deps.engine, work)


# -- agents -----------------------------------------------------------------------


def get_ticket_for_agent(deps: TicketDeps, agent: User, ticket_id: uuid.UUID) -> dict[str, Any]:
    authorize(agent.role, Permission.READ_CUSTOMERS)
    with deps.engine.connect() as conn:
        return agent_view(conn, load_ticket(conn, ticket_id), deps.now(), deps.calendar)


def do_assign(
    deps: TicketDeps, agent: User, ticket_id: uuid.UUID, assignee_id: uuid.UUID | None
) -> dict[str, Any]:
    """Give the ticket to an agent (the caller when ``assignee_id`` is None); new opens."""
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    target_id = assignee_id or agent.id
    now = deps.now()

    def work(conn: Connection) -> dict[str, Any]:
        row = load_ticket(conn, ticket_id, lock=True)
        staff = conn.execute(
            select(identity_tables.users.c.role).where(identity_tables.users.c.id == target_id)
        ).first()
        if target_id != agent.id and (
            staff is None or not can(Role(staff.role), Permission.ACT_ON_CUSTOMERS)
        ):
            raise NotFound("no such agent")
        if TicketStatus(row.status) in CLOSED_STATES:
            raise TicketClosed("the ticket is closed")
        conn.execute(
            update(t.tickets)
            .where(t.tickets.c.id == ticket_id)
            .values(assignee_id=target_id, updated_at=now)
        )
        if TicketStatus(row.status) is TicketStatus.NEW:
            move_status(conn, deps, load_ticket(conn, ticket_id), TicketStatus.OPEN, now, agent)
        return agent_view(conn, load_ticket(conn, ticket_id), now, deps.calendar)

    return run_transaction(deps.engine, work)


def do_agent_reply(
    deps: TicketDeps, agent: User, ticket_id: uuid.UUID, body: str, *, internal: bool = False
) -> dict[str, Any]:
    """A public reply (fulfils the first reply once, and an awaited next reply) or an
    internal note. Closed, merged and spam tickets take neither."""
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    now = deps.now()

    def work(conn: Connection) -> dict[str, Any]:
        row = load_ticket(conn, ticket_id, lock=True)
        if TicketStatus(row.status) in CLOSED_STATES:
            raise TicketClosed("the ticket is closed")
        if internal:
            add_message(conn, ticket_id, agent, MessageKind.INTERNAL, body, now)
            touch(conn, ticket_id, now)
        else:
            agent_public_reply(conn, deps, row, agent, body, now)
        return agent_view(conn, load_ticket(conn, ticket_id), now, deps.calendar)

    return run_transaction(deps.engine, work)


def do_change_status(
    deps: TicketDeps, agent: User, ticket_id: uuid.UUID, target: TicketStatus
) -> dict[str, Any]:
    """Move the ticket by the transition table (rules.py), audited. ``merged`` is refused
    here: a merge names the ticket merged into (:func:`.merge.do_merge`)."""
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    now = deps.now()

    def work(conn: Connection) -> dict[str, Any]:
        row = load_ticket(conn, ticket_id, lock=True)
        if not can_set_status(TicketStatus(row.status), target):
            raise InvalidTransition(
                "this status change is not allowed", current=row.status, target=target.value
            )
        move_status(conn, deps, row, target, now, agent)
        return agent_view(conn, load_ticket(conn, ticket_id), now, deps.calendar)

    return run_transaction(deps.engine, work)


# Tickets checked and written per transaction by the breach pass: after a backlog (a
# worker down for a day) one pass never holds SQLite's write lock for long.
BREACH_BATCH = 100


def detect_breaches(deps: TicketDeps) -> list[tuple[uuid.UUID, SlaTarget]]:
    """Record a ``breached`` event, once, for every running SLA target past its due.

    For workers: safe to run often, and in several processes at once. The tickets that
    may hold a new breach are read first, without the write lock; a ticket whose late
    targets are all recorded already is not read again. Each batch of them is then
    checked from its SLA events under the tickets' row locks, which every ticket use
    case takes: on PostgreSQL a ticket another pass (or a reply) holds is skipped, for
    the next pass, instead of being recorded twice.
    """
    now = deps.now()
    with deps.engine.connect() as conn:
        candidates = list(conn.execute(_breach_candidates(now)).scalars())
    found: list[tuple[uuid.UUID, SlaTarget]] = []
    for start in range(0, len(candidates), BREACH_BATCH):
        found += _record_breaches(deps, candidates[start : start + BREACH_BATCH], now)
    return found


def _breach_candidates(now: datetime) -> Select[uuid.UUID]:
    """Tickets whose clocks run, with a target past the due on the ticket and no breach
    recorded since that target was (last) activated; oldest first."""
    tickets = t.tickets.c
    live = [s.value for s in TicketStatus if s not in PAUSED_STATES and s not in DONE_STATES]
    past_due = (
        (
            SlaTarget.FIRST_REPLY,
            tickets.first_replied_at.is_(None) & (tickets.first_reply_due <= now),
        ),
        (SlaTarget.NEXT_REPLY, tickets.next_reply_due <= now),
        (SlaTarget.RESOLUTION, tickets.resolution_due <= now),
    )
    return (
        select(tickets.id)
        .where(tickets.status.in_(live))
        .where(or_(*(late & ~_breach_recorded(target) for target, late in past_due)))
        .order_by(tickets.seq)
    )


def _breach_recorded(target: SlaTarget) -> Exists:
    """The ticket has a ``breached`` event for ``target`` with no ``activated`` after it
    (what :func:`.sla.sla_clock` reads as breached)."""
    breached, activated = t.sla_events.alias(), t.sla_events.alias()
    reactivated = (
        select(activated.c.seq)
        .where(
            activated.c.ticket_id == breached.c.ticket_id,
            activated.c.target == target.value,
            activated.c.kind == SlaEventKind.ACTIVATED.value,
            activated.c.seq > breached.c.seq,
        )
        .exists()
    )
    return (
        select(breached.c.seq)
        .where(
            breached.c.ticket_id == t.tickets.c.id,
            breached.c.target == target.value,
            breached.c.kind == SlaEventKind.BREACHED.value,
            ~reactivated,
        )
        .exists()
    )


def _record_breaches(
    deps: TicketDeps, ticket_ids: Sequence[uuid.UUID], now: datetime
) -> list[tuple[uuid.UUID, SlaTarget]]:
    """One transaction: lock the tickets that nobody else holds, and record each target
    their events say is overdue and not yet breached."""

    def work(conn: Connection) -> list[tuple[uuid.UUID, SlaTarget]]:
        locked = conn.execute(
            select(t.tickets.c.id)
            .where(t.tickets.c.id.in_(ticket_ids))
            .order_by(t.tickets.c.seq)
            # PostgreSQL: a ticket locked by another pass, or by a reply being written,
            # is left to the next pass rather than waited for. SQLite compiles this to
            # nothing: its BEGIN IMMEDIATE already lets one writer in at a time.
            .with_for_update(skip_locked=True)
        ).scalars()
        found: list[tuple[uuid.UUID, SlaTarget]] = []
        for ticket_id in list(locked):
            events = sla_events(conn, ticket_id)
            for target in SlaTarget:
                clock = sla_clock(events, target, now, deps.calendar)
                if clock is not None and clock.overdue and not clock.breached:
                    record_event(conn, ticket_id, SlaEventKind.BREACHED, target, now)
                    found.append((ticket_id, target))
        return found

    return run_transaction(deps.engine, work)


__all__: Sequence[str] = [
    "TicketDeps",
    "detect_breaches",
    "do_agent_reply",
    "do_assign",
    "do_change_status",
    "do_create_ticket",
    "do_customer_reply",
    "get_my_ticket",
    "get_ticket_for_agent",
    "list_my_tickets",
]

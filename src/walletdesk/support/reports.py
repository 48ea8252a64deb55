"""Read-only figures for the service desk: the reports page and the console's listings.

Every function here only reads (SQLAlchemy Core, the same SQL on SQLite and
PostgreSQL) and authorises first. Money stays integer minor units; durations are
whole minutes or seconds; an average score is given in hundredths (an int), so no
float ever reaches a page.

Counting is done by the database (``GROUP BY``); what SQL cannot say the same way
on both backends is done in Python over a bounded set of rows:

* SLA results are computed from the stored SLA events with the same pure
  :func:`~walletdesk.support.tickets.sla.sla_clock` the desk uses, so paused time
  and business hours count exactly as they do on the ticket (a ``breached`` event
  is only written by the housekeeping pass; a reply that came late is breached
  here whether or not that pass ran);
* percentiles (median, p90) use the nearest-rank method over the period's values.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import aliased

from walletdesk.identity import tables as identity_tables
from walletdesk.identity.model import User
from walletdesk.identity.roles import Permission, authorize
from walletdesk.support import actions_tables as at
from walletdesk.support.actions import ActionStatus, action_public
from walletdesk.support.assistant_feedback import Resolution, resolution
from walletdesk.support.tickets import tables as ticket_tables
from walletdesk.support.tickets.calendar import BusinessCalendar, china_calendar
from walletdesk.support.tickets.rules import SlaEventKind, SlaTarget, TicketStatus
from walletdesk.support.tickets.sla import SlaEvent, sla_clock
from walletdesk.wallet import tables as wallet_tables

PERIODS = (7, 30, 90)
DEFAULT_DAYS = 30
# Targets the report measures: every ticket has both from the moment it is opened.
REPORTED_TARGETS = (SlaTarget.FIRST_REPLY, SlaTarget.RESOLUTION)
# Merged tickets live on in the ticket they were folded into; spam is not a request.
NOT_COUNTED = (TicketStatus.MERGED.value, TicketStatus.SPAM.value)
# Bounds the rows read into Python for one report (SLA events, refunds).
MAX_ROWS = 50_000
APPROVALS_LIMIT = 100
CSAT_SCORES = (1, 2, 3, 4, 5)


@dataclass(frozen=True, slots=True)
class Count:
    key: str
    count: int


@dataclass(frozen=True, slots=True)
class SlaResult:
    """One SLA target over the period's tickets. Minutes are business minutes."""

    target: str
    met: int
    breached: int
    running: int
    median_minutes: int | None
    p90_minutes: int | None


@dataclass(frozen=True, slots=True)
class CsatSummary:
    """Answers by score (1–5) and their average in hundredths (423 means 4.23)."""

    by_score: tuple[Count, ...]
    answers: int
    average_hundredths: int | None


@dataclass(frozen=True, slots=True)
class RefundTimes:
    """Refunds that succeeded in the period: from request to success, in seconds."""

    succeeded: int
    median_seconds: int | None
    p90_seconds: int | None


@dataclass(frozen=True, slots=True)
class Report:
    since: datetime
    until: datetime
    days: int
    tickets_by_category: tuple[Count, ...]
    tickets_by_channel: tuple[Count, ...]
    sla: tuple[SlaResult, ...]
    csat: CsatSummary
    refunds: RefundTimes
    payment_attempts: int
    payment_failures: tuple[Count, ...]
    assistant: Resolution


def percentile(values: Sequence[int], pct: int) -> int | None:
    """Nearest-rank percentile (``pct`` 1–100) of ``values``; None when there are none."""
    if not 1 <= pct <= 100:
        raise ValueError("pct is 1 to 100")
    if not values:
        return None
    ordered = sorted(values)
    rank = math.ceil(pct * len(ordered) / 100)
    return ordered[max(rank, 1) - 1]


def average_hundredths(counts: Iterable[Count]) -> int | None:
    """The mean score in hundredths, rounded half up, in integers only."""
    items = list(counts)
    answers = sum(c.count for c in items)
    if answers == 0:
        return None
    total = sum(int(c.key) * c.count for c in items)
    return (200 * total + answers) // (2 * answers)


def get_report(
    engine: Engine,
    staff: User,
    *,
    now: datetime,
    days: int = DEFAULT_DAYS,
    calendar: BusinessCalendar | None = None,
) -> Report:
    """Every figure of the reports page for the ``days`` before ``now``.

    Needs ``read_customers`` (any staff member). ``days`` is one of :data:`PERIODS`.
    """
    authorize(staff.role, Permission.READ_CUSTOMERS)
    if days not in PERIODS:
        raise ValueError(f"days is one of {PERIODS}")
    since = now - timedelta(days=days)
    chosen = calendar or china_calendar()
    attempts_total, failures = _payment_failures(engine, since)
    return Report(
        since=since,
        until=now,
        days=days,
        tickets_by_category=_tickets_by(engine, ticket_tables.tickets.c.category, since),
        tickets_by_channel=_tickets_by(engine, ticket_tables.tickets.c.channel, since),
        sla=_sla(engine, since, now, chosen),
        csat=_csat(engine, since),
        refunds=_refund_times(engine, since),
        payment_attempts=attempts_total,
        payment_failures=failures,
        assistant=resolution(engine, since, now),
    )


def _tickets_by(engine: Engine, column: Any, since: datetime) -> tuple[Count, ...]:
    tk = ticket_tables.tickets
    n = func.count().label("n")
    query = (
        select(column.label("key"), n)
        .where(and_(tk.c.created_at >= since, tk.c.status.not_in(NOT_COUNTED)))
        .group_by(column)
        .order_by(n.desc(), column)
    )
    with engine.connect() as conn:
        return tuple(Count(str(r.key), int(r.n)) for r in conn.execute(query))


def _sla(
    engine: Engine, since: datetime, now: datetime, calendar: BusinessCalendar
) -> tuple[SlaResult, ...]:
    tk, ev = ticket_tables.tickets, ticket_tables.sla_events
    query = (
        select(ev.c.ticket_id, ev.c.kind, ev.c.target, ev.c.at, ev.c.minutes)
        .join(tk, tk.c.id == ev.c.ticket_id)
        .where(
            and_(
                tk.c.created_at >= since,
                tk.c.status.not_in(NOT_COUNTED),
                ev.c.target.in_([t.value for t in REPORTED_TARGETS]),
            )
        )
        .order_by(ev.c.ticket_id, ev.c.seq)
        .limit(MAX_ROWS)
    )
    by_ticket: dict[uuid.UUID, list[SlaEvent]] = defaultdict(list)
    with engine.connect() as conn:
        for r in conn.execute(query):
            by_ticket[r.ticket_id].append(
                SlaEvent(SlaEventKind(r.kind), SlaTarget(r.target), r.at, r.minutes)
            )
    results = []
    for target in REPORTED_TARGETS:
        met = breached = running = 0
        taken: list[int] = []
        for events in by_ticket.values():
            clock = sla_clock(events, target, now, calendar)
            if clock is None:
                continue
            late = clock.breached or clock.overdue or clock.elapsed > clock.minutes
            if clock.fulfilled:
                taken.append(clock.elapsed)
            if late:
                breached += 1
            elif clock.fulfilled:
                met += 1
            else:
                running += 1
        results.append(
            SlaResult(
                target.value, met, breached, running, percentile(taken, 50), percentile(taken, 90)
            )
        )
    return tuple(results)


def _csat(engine: Engine, since: datetime) -> CsatSummary:
    c = ticket_tables.ticket_csat
    query = (
        select(c.c.score, func.count().label("n"))
        .where(c.c.created_at >= since)
        .group_by(c.c.score)
    )
    with engine.connect() as conn:
        found = {int(r.score): int(r.n) for r in conn.execute(query)}
    by_score = tuple(Count(str(score), found.get(score, 0)) for score in CSAT_SCORES)
    return CsatSummary(by_score, sum(found.values()), average_hundredths(by_score))


def _refund_times(engine: Engine, since: datetime) -> RefundTimes:
    r = wallet_tables.refunds
    query = (
        select(r.c.created_at, r.c.updated_at, r.c.history)
        .where(and_(r.c.status == "succeeded", r.c.updated_at >= since))
        .limit(MAX_ROWS)
    )
    seconds = []
    with engine.connect() as conn:
        for row in conn.execute(query):
            done = _succeeded_at(row.history) or row.updated_at
            seconds.append(max(int((done - row.created_at).total_seconds()), 0))
    return RefundTimes(len(seconds), percentile(seconds, 50), percentile(seconds, 90))


def _succeeded_at(history: Any) -> datetime | None:
    """When the refund's history says it succeeded (the row's own record of each step)."""
    for entry in history or []:
        if isinstance(entry, dict) and entry.get("status") == "succeeded" and entry.get("at"):
            return datetime.fromisoformat(str(entry["at"]))
    return None


def _payment_failures(engine: Engine, since: datetime) -> tuple[int, tuple[Count, ...]]:
    """Every payment attempt of the period, and the failed ones by failure code."""
    a = wallet_tables.payment_attempts
    n = func.count().label("n")
    with engine.connect() as conn:
        total = conn.execute(
            select(func.count()).select_from(a).where(a.c.created_at >= since)
        ).scalar_one()
        rows = conn.execute(
            select(a.c.failure_code, n)
            .where(and_(a.c.created_at >= since, a.c.failure_code.is_not(None)))
            .group_by(a.c.failure_code)
            .order_by(n.desc(), a.c.failure_code)
        ).all()
    return int(total), tuple(Count(str(r.failure_code), int(r.n)) for r in rows)


# -- the console's listings ----------------------------------------------------------------


def list_pending_approvals(
    engine: Engine, staff: User, *, limit: int = APPROVALS_LIMIT
) -> list[dict[str, Any]]:
    """Actions waiting for a second person's decision, oldest first, each with the
    customer's and the proposer's names and the ticket's number.

    Needs ``read_customers``; deciding needs ``approve_actions`` (actions.py checks).
    """
    authorize(staff.role, Permission.READ_CUSTOMERS)
    a, users, tk = at.agent_actions, identity_tables.users, ticket_tables.tickets
    proposer = aliased(users)
    query = (
        select(
            a,
            users.c.display_name.label("customer_name"),
            proposer.c.display_name.label("proposer_name"),
            tk.c.number.label("ticket_number"),
        )
        .join(users, users.c.id == a.c.customer_id)
        .join(proposer, proposer.c.id == a.c.proposed_by)
        .outerjoin(tk, tk.c.id == a.c.ticket_id)
        .where(a.c.status == ActionStatus.PENDING.value)
        .order_by(a.c.created_at, a.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            **action_public(row),
            "customer_name": row.customer_name,
            "proposer_name": row.proposer_name,
            "ticket_number": row.ticket_number,
        }
        for row in rows
    ]


def display_names(engine: Engine, staff: User, user_ids: Iterable[str]) -> dict[str, str]:
    """Display names of the given users (customers on a queue, agents assigned), by id."""
    authorize(staff.role, Permission.READ_CUSTOMERS)
    wanted = {uuid.UUID(i) for i in user_ids if i}
    if not wanted:
        return {}
    users = identity_tables.users
    with engine.connect() as conn:
        rows = conn.execute(
            select(users.c.id, users.c.display_name).where(users.c.id.in_(wanted))
        ).all()
    return {str(r.id): r.display_name for r in rows}


def list_merchants(engine: Engine, staff: User) -> list[dict[str, Any]]:
    """Every merchant (newest first) with its payments: count, succeeded and refunded
    totals in minor units. Needs ``manage_merchants``. Never returns key material
    beyond the key's public prefix."""
    authorize(staff.role, Permission.MANAGE_MERCHANTS)
    m, p = wallet_tables.merchants, wallet_tables.payments
    totals = (
        select(
            p.c.merchant_id,
            func.count().label("payments"),
            func.coalesce(func.sum(p.c.amount), 0).label("paid"),
            func.coalesce(func.sum(p.c.refunded), 0).label("refunded"),
        )
        .where(p.c.status == "succeeded")
        .group_by(p.c.merchant_id)
        .subquery()
    )
    query = (
        select(
            m.c.id,
            m.c.name,
            m.c.status,
            m.c.currency,
            m.c.api_key_prefix,
            m.c.refund_policy,
            m.c.created_at,
            totals.c.payments,
            totals.c.paid,
            totals.c.refunded,
        )
        .outerjoin(totals, totals.c.merchant_id == m.c.id)
        .order_by(m.c.created_at.desc(), m.c.name)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "id": str(r.id),
            "name": r.name,
            "status": r.status,
            "currency": r.currency,
            "api_key_prefix": r.api_key_prefix,
            "refund_policy": dict(r.refund_policy),
            "created_at": r.created_at.isoformat(),
            "succeeded_payments": int(r.payments or 0),
            "paid_minor": int(r.paid or 0),
            "refunded_minor": int(r.refunded or 0),
        }
        for r in rows
    ]

"""Write steps shared by the ticket use cases, each inside the caller's transaction.

Nothing here commits or authorises: the use cases in :mod:`.service`, :mod:`.macros`,
:mod:`.merge` and :mod:`.csat` do, and call these in their unit of work.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, update

from walletdesk.audit import log as audit
from walletdesk.identity.model import User
from walletdesk.support.tickets import notices
from walletdesk.support.tickets import tables as t
from walletdesk.support.tickets.calendar import due, due_after
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.errors import InvalidTransition
from walletdesk.support.tickets.rules import (
    CLOCK_STOPPED_STATES,
    NEXT_REPLY_TARGETS,
    SLA_TARGETS,
    MessageKind,
    Priority,
    SlaEventKind,
    SlaTarget,
    TicketStatus,
    can_transition,
)
from walletdesk.support.tickets.search import insert_message
from walletdesk.support.tickets.sla import SlaClock, sla_clock
from walletdesk.support.tickets.views import load_ticket, sla_events

# The tickets column that shows each target's due while it runs.
DUE_COLUMN = {
    SlaTarget.FIRST_REPLY: "first_reply_due",
    SlaTarget.NEXT_REPLY: "next_reply_due",
    SlaTarget.RESOLUTION: "resolution_due",
}
# What a customer waits on after writing; solving the ticket closes them.
REPLY_TARGETS = (SlaTarget.FIRST_REPLY, SlaTarget.NEXT_REPLY)


def audit_ticket(
    conn: Connection,
    now: datetime,
    actor: User | None,
    action: str,
    ticket_id: uuid.UUID,
    *,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
    subject_type: str = "ticket",
) -> None:
    """One audit record about a ticket (or a macro); ``actor`` None: not a signed-in user."""
    audit.record(
        conn,
        now=now,
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_role=actor.role.value if actor is not None else "link_holder",
        subject_type=subject_type,
        subject_id=str(ticket_id),
        before=before,
        after=after,
    )


def add_message(
    conn: Connection,
    ticket_id: uuid.UUID,
    author: User,
    kind: MessageKind,
    body: str,
    now: datetime,
) -> None:
    """Store a message and index it for agents' search."""
    insert_message(
        conn,
        {
            "id": uuid.uuid4(),
            "ticket_id": ticket_id,
            "author_id": author.id,
            "author_role": author.role.value,
            "kind": kind.value,
            "body": body,
            "created_at": now,
        },
    )


def record_event(
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


def touch(conn: Connection, ticket_id: uuid.UUID, now: datetime) -> None:
    conn.execute(update(t.tickets).where(t.tickets.c.id == ticket_id).values(updated_at=now))


def move_status(
    conn: Connection,
    deps: TicketDeps,
    row: Any,
    target: TicketStatus,
    now: datetime,
    actor: User | None,
    **extra: Any,
) -> None:
    """Change status by the transition table, keep the SLA clocks in step, and audit it.

    ``extra`` are more columns to set with the status (a merge's ``merged_into``).
    """
    current = TicketStatus(row.status)
    if not can_transition(current, target):
        raise InvalidTransition(
            "this status change is not allowed", current=current.value, target=target.value
        )
    events = sla_events(conn, row.id)
    clocks = {
        goal: clock
        for goal in SlaTarget
        if (clock := sla_clock(events, goal, now, deps.calendar)) is not None
    }
    values: dict[str, Any] = {"status": target.value, "updated_at": now, **extra}
    if current is TicketStatus.SOLVED and target is TicketStatus.OPEN:
        # Reopened: the resolution clock starts afresh. A reply is owed again only for a
        # customer message that comes with it (await_next_reply), on a clock of its own.
        minutes = SLA_TARGETS[Priority(row.priority)][SlaTarget.RESOLUTION]
        record_event(conn, row.id, SlaEventKind.ACTIVATED, SlaTarget.RESOLUTION, now, minutes)
        values.update(solved_at=None, resolution_due=due(now, minutes, deps.calendar))
        # Tickets solved before solving closed the reply clocks still hold open ones:
        # closed as of the solve, so the reopened ticket is not late at once.
        _fulfil(conn, row.id, clocks, REPLY_TARGETS, row.solved_at or now, values)
    elif target is TicketStatus.SOLVED:
        # Solved: nothing more is owed. A reply clock left running would make the ticket
        # late the moment it reopens, and one paused on hold would never run again.
        values["solved_at"] = now
        _fulfil(conn, row.id, clocks, tuple(SlaTarget), now, values)
    elif target in CLOCK_STOPPED_STATES and current not in CLOCK_STOPPED_STATES:
        for goal, clock in clocks.items():
            if clock.running and not clock.fulfilled:
                record_event(conn, row.id, SlaEventKind.PAUSED, goal, now)
                values[DUE_COLUMN[goal]] = None
    elif current in CLOCK_STOPPED_STATES and target not in CLOCK_STOPPED_STATES:
        for goal, clock in clocks.items():
            if not clock.running and not clock.fulfilled:
                record_event(conn, row.id, SlaEventKind.RESUMED, goal, now)
                values[DUE_COLUMN[goal]] = due_after(now, clock.time_left, deps.calendar)
    conn.execute(update(t.tickets).where(t.tickets.c.id == row.id).values(**values))
    if target is TicketStatus.SOLVED:
        notices.ticket_solved(conn, deps, row, now)
    audit_ticket(
        conn,
        now,
        actor,
        "ticket.status_changed",
        row.id,
        before={"status": current.value},
        after={"status": target.value, **{k: str(v) for k, v in extra.items()}},
    )


def agent_public_reply(
    conn: Connection, deps: TicketDeps, row: Any, agent: User, body: str, now: datetime
) -> None:
    """An agent's public reply: fulfils the reply target the customer waits on (the first
    reply, or the next one); a new ticket opens. ``row`` is the ticket as read (and
    locked) by the caller."""
    add_message(conn, row.id, agent, MessageKind.PUBLIC, body, now)
    values: dict[str, Any] = {"updated_at": now}
    if row.first_replied_at is None:
        values["first_replied_at"] = now
    events = sla_events(conn, row.id)
    for goal in REPLY_TARGETS:
        awaited = sla_clock(events, goal, now, deps.calendar)
        if awaited is not None and not awaited.fulfilled:
            record_event(conn, row.id, SlaEventKind.FULFILLED, goal, now)
            if goal is SlaTarget.NEXT_REPLY:
                # first_reply_due stays, as a record: the queue and the breach pass
                # look at it only while first_replied_at is unset.
                values["next_reply_due"] = None
    conn.execute(update(t.tickets).where(t.tickets.c.id == row.id).values(**values))
    notices.reply_sent(conn, row, now)
    if TicketStatus(row.status) is TicketStatus.NEW:
        move_status(conn, deps, load_ticket(conn, row.id), TicketStatus.OPEN, now, agent)


def await_next_reply(conn: Connection, deps: TicketDeps, row: Any, now: datetime) -> None:
    """A customer wrote: make sure a reply target runs for them. Nothing starts while an
    earlier message of theirs still waits (its clock keeps counting); otherwise the
    next-reply target starts, or the first-reply target again on a ticket that was
    solved before anyone answered it. Started stopped when the ticket's clocks stand
    still (on hold). ``row`` is the ticket as it is now, after any reopening."""
    owed = SlaTarget.FIRST_REPLY if row.first_replied_at is None else SlaTarget.NEXT_REPLY
    stopped = TicketStatus(row.status) in CLOCK_STOPPED_STATES
    current = sla_clock(sla_events(conn, row.id), owed, now, deps.calendar)
    # A clock paused on a ticket whose clocks run is one a solve left paused before
    # solving closed reply clocks: it will never run again, so it covers nothing.
    if current is not None and not current.fulfilled and (current.running or stopped):
        return
    priority = Priority(row.priority)
    minutes = (
        SLA_TARGETS[priority][owed]
        if owed is SlaTarget.FIRST_REPLY
        else NEXT_REPLY_TARGETS[priority]
    )
    record_event(conn, row.id, SlaEventKind.ACTIVATED, owed, now, minutes)
    owed_due: datetime | None = due(now, minutes, deps.calendar)
    if stopped:
        record_event(conn, row.id, SlaEventKind.PAUSED, owed, now)
        owed_due = None
    conn.execute(
        update(t.tickets).where(t.tickets.c.id == row.id).values({DUE_COLUMN[owed]: owed_due})
    )


def _fulfil(
    conn: Connection,
    ticket_id: uuid.UUID,
    clocks: Mapping[SlaTarget, SlaClock],
    goals: Collection[SlaTarget],
    at: datetime,
    values: dict[str, Any],
) -> None:
    """Fulfil, as of ``at``, each of ``goals`` whose clock is still open (running or
    paused), and clear the due shown for the reply targets among them (``values`` are
    the ticket's columns about to be written). A breached clock stays breached."""
    for goal, clock in clocks.items():
        if goal in goals and not clock.fulfilled:
            record_event(conn, ticket_id, SlaEventKind.FULFILLED, goal, at)
            if goal in REPLY_TARGETS:
                values[DUE_COLUMN[goal]] = None

"""Merging a customer's duplicate ticket into another of theirs.

The source's messages move to the target (each keeps its author, time and place in
the conversation, and records ``merged_from``); the source ends in status
``merged`` with ``merged_into`` set, its running SLA clocks stopped, and an internal
note on both says what happened. A customer who replies to the source later lands
in the target (:func:`.service.do_customer_reply`). The target gains the source's
tags and, if it had none, its linked payment; a solved target opens again, as it
now holds messages nobody has answered.

A message of the customer's still waiting for an answer on the source stays owed on
the target: a reply target starts there (unless one already runs for an earlier
message), a pending target opens as a reply of the customer's would open it, and the
target takes the source's priority when it is the more urgent (for targets started
from then on, as a macro's priority). Both tickets are audited.

Refused, with nothing changed: merging a ticket into itself, tickets of two
customers, a source that is already closed, merged or spam, and a target that is
closed, merged or spam.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from walletdesk.db.transactions import run_transaction
from walletdesk.identity.model import User
from walletdesk.identity.roles import Permission, authorize
from walletdesk.support.tickets import tables as t
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.errors import (
    MergeAcrossCustomers,
    MergeIntoItself,
    MergeSourceClosed,
    MergeTargetClosed,
)
from walletdesk.support.tickets.rules import (
    MERGE_TARGET_STATES,
    MessageKind,
    Priority,
    TicketStatus,
    can_transition,
    more_urgent,
)
from walletdesk.support.tickets.sla import sla_clock
from walletdesk.support.tickets.steps import (
    REPLY_TARGETS,
    add_message,
    audit_ticket,
    await_next_reply,
    move_status,
    touch,
)
from walletdesk.support.tickets.views import agent_view, load_ticket, sla_events, staff_summary

MAX_TICKET_TAGS = 20

# Internal notes, in the merging agent's language.
_NOTES = {
    "source": {
        "en": "Merged into {number}; {count} message(s) moved there.",
        "zh-CN": "已合并到 {number}，{count} 条消息已移至该工单。",
    },
    "target": {
        "en": "{number} was merged into this ticket; {count} message(s) moved here.",
        "zh-CN": "{number} 已合并到本工单，{count} 条消息已移至此处。",
    },
}


def _note(which: str, agent: User, **params: object) -> str:
    locale = "zh-CN" if agent.locale.lower().startswith("zh") else "en"
    return _NOTES[which][locale].format(**params)


def do_merge(
    deps: TicketDeps, agent: User, source_id: uuid.UUID, target_id: uuid.UUID
) -> dict[str, Any]:
    """Merge ticket ``source_id`` into ``target_id`` (see the module docstring).

    Returns ``{"source": <its summary>, "target": <the agent's view of the target>}``.
    """
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    if source_id == target_id:
        raise MergeIntoItself("cannot merge a ticket into itself")
    now = deps.now()

    def work(conn: Connection) -> dict[str, Any]:
        # Both rows locked in one order, so two merges of the same pair cannot deadlock.
        rows = {
            ticket_id: load_ticket(conn, ticket_id, lock=True)
            for ticket_id in sorted((source_id, target_id), key=str)
        }
        source, target = rows[source_id], rows[target_id]
        if source.customer_id != target.customer_id:
            raise MergeAcrossCustomers("tickets of different customers")
        if not can_transition(TicketStatus(source.status), TicketStatus.MERGED):
            raise MergeSourceClosed("source closed", number=source.number, status=source.status)
        if TicketStatus(target.status) not in MERGE_TARGET_STATES:
            raise MergeTargetClosed("target closed", number=target.number, status=target.status)

        # Read before the merge stops the source's clocks.
        waiting = _awaits_reply(conn, deps, source_id, now)
        moved = [
            str(message_id)
            for message_id in conn.execute(
                select(t.ticket_messages.c.id)
                .where(t.ticket_messages.c.ticket_id == source_id)
                .order_by(t.ticket_messages.c.seq)
            ).scalars()
        ]
        conn.execute(
            update(t.ticket_messages)
            .where(t.ticket_messages.c.ticket_id == source_id)
            # A message merged before keeps the ticket it was first written on.
            .values(
                ticket_id=target_id,
                merged_from=func.coalesce(t.ticket_messages.c.merged_from, source_id),
            )
        )
        count = len(moved)
        add_message(
            conn,
            source_id,
            agent,
            MessageKind.INTERNAL,
            _note("source", agent, number=target.number, count=count),
            now,
        )
        add_message(
            conn,
            target_id,
            agent,
            MessageKind.INTERNAL,
            _note("target", agent, number=source.number, count=count),
            now,
        )
        move_status(conn, deps, source, TicketStatus.MERGED, now, agent, merged_into=target_id)
        taken = _take_over_fields(conn, source, target, now)
        target_status = TicketStatus(target.status)
        # A solved target opens again: it now holds messages nobody has answered. A
        # pending one waited on the customer, who has written meanwhile.
        if target_status is TicketStatus.SOLVED or (
            waiting and target_status is TicketStatus.PENDING
        ):
            move_status(conn, deps, load_ticket(conn, target_id), TicketStatus.OPEN, now, agent)
        else:
            touch(conn, target_id, now)
        if waiting:
            await_next_reply(conn, deps, load_ticket(conn, target_id), now)
        audit_ticket(
            conn,
            now,
            agent,
            "ticket.merged",
            source_id,
            before={"status": source.status},
            after={"status": TicketStatus.MERGED.value, "merged_into": str(target_id)},
        )
        audit_ticket(
            conn,
            now,
            agent,
            "ticket.merge_received",
            target_id,
            after={
                "merged_from": str(source_id),
                "moved_messages": moved,
                **({"priority": taken["priority"]} if "priority" in taken else {}),
            },
        )
        return {
            "source": staff_summary(load_ticket(conn, source_id)),
            "target": agent_view(conn, load_ticket(conn, target_id), now, deps.calendar),
        }

    return run_transaction(deps.engine, work)


def _awaits_reply(conn: Connection, deps: TicketDeps, ticket_id: uuid.UUID, now: datetime) -> bool:
    """True while a customer message on the ticket is owed a reply (its clock running,
    or paused with the ticket)."""
    events = sla_events(conn, ticket_id)
    for goal in REPLY_TARGETS:
        clock = sla_clock(events, goal, now, deps.calendar)
        if clock is not None and not clock.fulfilled:
            return True
    return False


def _take_over_fields(conn: Connection, source: Any, target: Any, now: datetime) -> dict[str, Any]:
    """Give the target the source's tags, linked payment and more urgent priority; returns
    the columns changed."""
    values: dict[str, Any] = {}
    tags = list(dict.fromkeys([*target.tags, *source.tags]))[:MAX_TICKET_TAGS]
    if tags != list(target.tags):
        values["tags"] = tags
    if target.payment_id is None and source.payment_id is not None:
        values["payment_id"] = source.payment_id
    priority = more_urgent(Priority(source.priority), Priority(target.priority))
    if priority is not Priority(target.priority):
        values["priority"] = priority.value
    if values:
        conn.execute(
            update(t.tickets).where(t.tickets.c.id == target.id).values(**values, updated_at=now)
        )
    return values

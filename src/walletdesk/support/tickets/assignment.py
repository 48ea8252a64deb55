"""Who gets a ticket: round-robin among the agents taking tickets, each up to a capacity.

A member of staff says whether they are taking new tickets (``accepting``); a desk lead
(supervisor or admin) sets how many *active* tickets, new or open, each may hold at
once (``capacity``). Pending and on-hold tickets do not count: they wait on the
customer or on a third party, not on the agent.

A ticket that needs an owner goes to the accepting agent with room who has waited
longest since their last ticket (a turn counter, so the rotation is exact even when two
tickets arrive in the same instant). New tickets are routed as they are created, in the
same transaction. When nobody has room a ticket waits unassigned in the queue, and the
worker's pass (:func:`assign_waiting`, from housekeeping) hands waiting tickets out as
room appears, the queue's most urgent first. An agent who starts accepting is given
waiting tickets at once.

The router only holds itself to the capacities: a person can still assign a ticket by
hand (service.do_assign) to someone who is full, or not accepting.

Concurrency: each routing decision locks the accepting agents' rows (PostgreSQL; SQLite
has one writer at a time), so two tickets created at once cannot both take an agent's
last slot; the worker skips tickets another transaction holds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from walletdesk.audit import log as audit
from walletdesk.core.errors import NotFound, ValidationError
from walletdesk.db.transactions import run_transaction
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.model import User, UserStatus
from walletdesk.identity.roles import Permission, Role, authorize, can
from walletdesk.support.tickets import tables as t
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.queue import queue_order
from walletdesk.support.tickets.rules import TicketStatus

DEFAULT_CAPACITY = 10
MAX_CAPACITY = 100
# The states that take an agent's time, and count towards their capacity.
ACTIVE_STATES = (TicketStatus.NEW.value, TicketStatus.OPEN.value)
# Tickets one worker pass hands out at most (the next pass goes on).
WAITING_BATCH = 100
# Staff who work tickets: every role that may act on customers.
DESK_ROLES = tuple(role.value for role in Role if can(role, Permission.ACT_ON_CUSTOMERS))


@dataclass(slots=True)
class _Agent:
    user_id: uuid.UUID
    capacity: int
    turn: int
    load: int = 0

    @property
    def has_room(self) -> bool:
        return self.load < self.capacity


class _Router:
    """The accepting agents, locked, with their loads: one routing transaction's view."""

    def __init__(self, conn: Connection) -> None:
        agents, users = t.ticket_agents, identity_tables.users
        rows = conn.execute(
            select(agents.c.user_id, agents.c.capacity, agents.c.turn)
            .join(users, users.c.id == agents.c.user_id)
            .where(
                agents.c.accepting.is_(True),
                users.c.status == UserStatus.ACTIVE.value,
                users.c.role.in_(DESK_ROLES),
            )
            .order_by(agents.c.user_id)  # one lock order for every router
            .with_for_update(of=agents)
        ).all()
        self.conn = conn
        self.agents = [_Agent(row.user_id, row.capacity, row.turn) for row in rows]
        self.last_turn = 0
        if self.agents:  # else nothing to route to: a ticket's creation costs one query
            self.last_turn = conn.execute(
                select(func.coalesce(func.max(agents.c.turn), 0))
            ).scalar_one()
            loads = _active_loads(conn, [agent.user_id for agent in self.agents])
            for agent in self.agents:
                agent.load = loads.get(agent.user_id, 0)

    @property
    def room(self) -> int:
        return sum(max(0, agent.capacity - agent.load) for agent in self.agents)

    def next_agent(self) -> _Agent | None:
        """The agent with room whose last ticket is the longest ago; None when all are full."""
        ready = [agent for agent in self.agents if agent.has_room]
        return min(ready, key=lambda a: (a.turn, a.user_id.int), default=None)

    def give(self, ticket_id: uuid.UUID, now: datetime) -> uuid.UUID | None:
        """Give the ticket to the next agent, if it has no owner yet and someone has room."""
        agent = self.next_agent()
        if agent is None:
            return None
        taken = self.conn.execute(
            update(t.tickets)
            .where(t.tickets.c.id == ticket_id, t.tickets.c.assignee_id.is_(None))
            .values(assignee_id=agent.user_id, updated_at=now)
        )
        if taken.rowcount != 1:  # assigned by hand meanwhile
            return None
        self.last_turn += 1
        agent.turn, agent.load = self.last_turn, agent.load + 1
        self.conn.execute(
            update(t.ticket_agents)
            .where(t.ticket_agents.c.user_id == agent.user_id)
            .values(turn=agent.turn)
        )
        audit.record(
            self.conn,
            now=now,
            action="ticket.assigned",
            actor_id=None,
            actor_role="system",
            subject_type="ticket",
            subject_id=str(ticket_id),
            before={"assignee_id": None},
            after={"assignee_id": str(agent.user_id), "by": "round_robin"},
        )
        return agent.user_id


def _active_loads(conn: Connection, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = conn.execute(
        select(t.tickets.c.assignee_id, func.count())
        .where(t.tickets.c.assignee_id.in_(user_ids), t.tickets.c.status.in_(ACTIVE_STATES))
        .group_by(t.tickets.c.assignee_id)
    ).all()
    return {row[0]: int(row[1]) for row in rows}


def assign_in(conn: Connection, ticket_id: uuid.UUID, now: datetime) -> uuid.UUID | None:
    """Route a new ticket inside the transaction creating it; returns its agent, or None
    when nobody is accepting or everyone is full (it then waits for the worker)."""
    router = _Router(conn)
    return router.give(ticket_id, now) if router.agents else None


def _assign_waiting_in(conn: Connection, now: datetime, limit: int) -> int:
    router = _Router(conn)
    room = min(router.room, limit)
    if room <= 0:
        return 0
    waiting = conn.execute(
        select(t.tickets.c.id)
        .where(t.tickets.c.assignee_id.is_(None), t.tickets.c.status.in_(ACTIVE_STATES))
        .order_by(*queue_order())
        .limit(room)
        # Another pass, or a hand assignment, holding a ticket: leave it to them.
        .with_for_update(of=t.tickets, skip_locked=True)
    ).scalars()
    return sum(router.give(ticket_id, now) is not None for ticket_id in list(waiting))


def assign_waiting(deps: TicketDeps, limit: int = WAITING_BATCH) -> int:
    """The worker's pass: hand waiting tickets (new or open, no owner) to agents with
    room, the queue's most urgent first. Returns how many were assigned."""
    return run_transaction(deps.engine, lambda conn: _assign_waiting_in(conn, deps.now(), limit))


# -- availability ------------------------------------------------------------------------


def _desk_member(conn: Connection, user_id: uuid.UUID) -> Any:
    users = identity_tables.users
    row = conn.execute(
        select(users.c.id, users.c.display_name, users.c.role, users.c.status).where(
            users.c.id == user_id
        )
    ).first()
    if row is None or row.role not in DESK_ROLES or row.status != UserStatus.ACTIVE.value:
        raise NotFound("no such agent")
    return row


def _lines(conn: Connection, members: list[Any]) -> list[dict[str, Any]]:
    """Each member's desk line: their setting (or the defaults) and active load, in two
    queries however many members."""
    ids = [member.id for member in members]
    agents = t.ticket_agents
    settings = {
        row.user_id: row for row in conn.execute(select(agents).where(agents.c.user_id.in_(ids)))
    }
    loads = _active_loads(conn, ids)
    lines = []
    for member in members:
        setting = settings.get(member.id)
        lines.append(
            {
                "user_id": str(member.id),
                "display_name": member.display_name,
                "role": member.role,
                "accepting": bool(setting.accepting) if setting else False,
                "capacity": setting.capacity if setting else DEFAULT_CAPACITY,
                "active": loads.get(member.id, 0),
            }
        )
    return lines


def do_set_availability(
    deps: TicketDeps,
    actor: User,
    agent_id: uuid.UUID,
    *,
    accepting: bool | None = None,
    capacity: int | None = None,
) -> dict[str, Any]:
    """Whether ``agent_id`` takes new tickets, and how many active ones at most.

    Anyone on the desk may start or stop taking tickets for themselves; a desk lead
    (MANAGE_DESK) sets capacities, and anyone's availability. Audited. An agent who
    starts taking tickets is given waiting ones at once (``assigned`` in the answer)."""
    authorize(actor.role, Permission.ACT_ON_CUSTOMERS)
    if agent_id != actor.id or capacity is not None:
        authorize(actor.role, Permission.MANAGE_DESK)
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        raise ValidationError(f"capacity must be 1 to {MAX_CAPACITY}", field="capacity")
    now = deps.now()

    def work(conn: Connection) -> dict[str, Any]:
        member = _desk_member(conn, agent_id)
        agents = t.ticket_agents
        current = conn.execute(
            select(agents).where(agents.c.user_id == agent_id).with_for_update()
        ).first()
        before = (
            {"accepting": current.accepting, "capacity": current.capacity}
            if current
            else {"accepting": False, "capacity": DEFAULT_CAPACITY}
        )
        after = {
            "accepting": before["accepting"] if accepting is None else accepting,
            "capacity": before["capacity"] if capacity is None else capacity,
        }
        if current is None:
            conn.execute(insert(agents).values(user_id=agent_id, turn=0, updated_at=now, **after))
        else:
            conn.execute(
                update(agents).where(agents.c.user_id == agent_id).values(updated_at=now, **after)
            )
        if after != before:
            audit.record(
                conn,
                now=now,
                action="desk.availability_changed",
                actor_id=actor.id,
                actor_role=actor.role.value,
                subject_type="user",
                subject_id=str(agent_id),
                before=before,
                after=after,
            )
        assigned = _assign_waiting_in(conn, now, WAITING_BATCH) if after["accepting"] else 0
        return {**_lines(conn, [member])[0], "assigned": assigned}

    return run_transaction(deps.engine, work)


def list_desk(deps: TicketDeps, actor: User) -> list[dict[str, Any]]:
    """Everyone on the desk: taking tickets or not, capacity and active load."""
    authorize(actor.role, Permission.READ_CUSTOMERS)
    users = identity_tables.users
    with deps.engine.connect() as conn:
        members = conn.execute(
            select(users.c.id, users.c.display_name, users.c.role, users.c.status)
            .where(users.c.role.in_(DESK_ROLES), users.c.status == UserStatus.ACTIVE.value)
            .order_by(users.c.display_name, users.c.id)
        ).all()
        return _lines(conn, list(members))


def desk_line(deps: TicketDeps, actor: User) -> dict[str, Any] | None:
    """The caller's own desk line (None for someone not on the desk): what the console's
    queue page shows above the queue, without reading everyone else's."""
    authorize(actor.role, Permission.READ_CUSTOMERS)
    with deps.engine.connect() as conn:
        try:
            member = _desk_member(conn, actor.id)
        except NotFound:
            return None
        return _lines(conn, [member])[0]


__all__ = [
    "DEFAULT_CAPACITY",
    "MAX_CAPACITY",
    "assign_in",
    "assign_waiting",
    "desk_line",
    "do_set_availability",
    "list_desk",
]

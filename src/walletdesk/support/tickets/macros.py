"""Macros (canned answers): a bilingual reply template plus optional field changes.

Agents list and apply them; supervisors and admins (who approve agents' actions)
write them. Applying one posts the reply in the customer's language with its
placeholders filled (:mod:`.placeholders`), then adds its tags, sets its priority
and moves the status, all in one transaction: any refusal leaves the ticket as it was.

A priority set by a macro applies to SLA targets started from then on (a next
reply, a reopened resolution); clocks already running keep their targets.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from walletdesk.core.clock import Clock, SystemClock
from walletdesk.core.errors import NotFound, ValidationError
from walletdesk.db.transactions import run_transaction
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.model import User
from walletdesk.identity.roles import Permission, authorize
from walletdesk.support.helpcenter.articles import Category
from walletdesk.support.tickets import tables as t
from walletdesk.support.tickets.default_macros import DEFAULT_MACROS
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.errors import (
    MacroInactive,
    MacroNameTaken,
    MacroPlaceholdersDiffer,
    MacroStatusNotAllowed,
    TicketClosed,
)
from walletdesk.support.tickets.placeholders import fill, placeholders_in
from walletdesk.support.tickets.rules import (
    CLOSED_STATES,
    MACRO_STATUSES,
    Priority,
    TicketStatus,
)
from walletdesk.support.tickets.steps import agent_public_reply, audit_ticket, move_status
from walletdesk.support.tickets.views import agent_view, load_ticket

# Who writes macros: the people who approve agents' actions (supervisors, admins).
EDIT_PERMISSION = Permission.APPROVE_ACTIONS
MAX_TICKET_TAGS = 20
EDITABLE = frozenset(
    {"name", "category", "body_en", "body_zh", "set_status", "set_priority", "add_tags", "active"}
)
_NOT_NULL = frozenset({"name", "body_en", "body_zh", "add_tags", "active"})


def macro_public(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "category": row.category,
        "body_en": row.body_en,
        "body_zh": row.body_zh,
        "placeholders": sorted(placeholders_in(row.body_en)),
        "set_status": row.set_status,
        "set_priority": row.set_priority,
        "add_tags": list(row.add_tags),
        "active": row.active,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def _load(conn: Connection, macro_id: uuid.UUID, *, lock: bool = False) -> Any:
    query = select(t.ticket_macros).where(t.ticket_macros.c.id == macro_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound("no such macro")
    return row


def _normalised(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Plain column values from what callers pass (enums, tags in any case)."""
    values = dict(fields)
    for key in ("category", "set_status", "set_priority"):
        if values.get(key) is not None:
            values[key] = str(getattr(values[key], "value", values[key]))
    if "name" in values and values["name"] is not None:
        values["name"] = str(values["name"]).strip()
    if values.get("add_tags") is not None:
        values["add_tags"] = list(dict.fromkeys(tag.strip().lower() for tag in values["add_tags"]))
    return values


def _check(macro: Mapping[str, Any]) -> None:
    """A macro as it would be stored is whole, its templates valid and alike, its actions allowed."""
    for key in _NOT_NULL:
        if macro.get(key) is None or macro.get(key) == "":
            raise ValidationError(f"{key} is required")
    english = placeholders_in(macro["body_en"], "body_en")
    chinese = placeholders_in(macro["body_zh"], "body_zh")
    if english != chinese:
        raise MacroPlaceholdersDiffer(
            "placeholders differ",
            en=", ".join("{" + n + "}" for n in sorted(english)) or "-",
            zh=", ".join("{" + n + "}" for n in sorted(chinese)) or "-",
        )
    try:
        status = None if macro["set_status"] is None else TicketStatus(macro["set_status"])
        if macro["category"] is not None:
            Category(macro["category"])
        if macro["set_priority"] is not None:
            Priority(macro["set_priority"])
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    if status is not None and status not in MACRO_STATUSES:
        raise MacroStatusNotAllowed(
            "status not allowed", allowed=", ".join(sorted(s.value for s in MACRO_STATUSES))
        )


def _name_free(conn: Connection, name: str, except_id: uuid.UUID | None = None) -> None:
    query = select(t.ticket_macros.c.id).where(t.ticket_macros.c.name == name)
    if except_id is not None:
        query = query.where(t.ticket_macros.c.id != except_id)
    if conn.execute(query).first() is not None:
        raise MacroNameTaken("name taken", name=name)


# -- writing macros ------------------------------------------------------------------


def do_create_macro(deps: TicketDeps, author: User, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Save a new macro (supervisors, admins). ``fields``: name, body_en, body_zh and
    optionally category, set_status, set_priority, add_tags. Audited."""
    authorize(author.role, EDIT_PERMISSION)
    now = deps.now()
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationError(f"unknown fields: {sorted(unknown)}")
    macro: dict[str, Any] = {
        "category": None,
        "set_status": None,
        "set_priority": None,
        "add_tags": [],
        "active": True,
        **_normalised(fields),
    }
    _check(macro)
    macro_id = uuid.uuid4()

    def work(conn: Connection) -> dict[str, Any]:
        _name_free(conn, macro["name"])
        conn.execute(
            insert(t.ticket_macros).values(
                id=macro_id,
                **macro,
                created_by=author.id,
                updated_by=author.id,
                created_at=now,
                updated_at=now,
            )
        )
        audit_ticket(
            conn,
            now,
            author,
            "ticket_macro.created",
            macro_id,
            after=macro,
            subject_type="ticket_macro",
        )
        return macro_public(_load(conn, macro_id))

    return run_transaction(deps.engine, work)


def do_update_macro(
    deps: TicketDeps, editor: User, macro_id: uuid.UUID, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Change some of a macro's fields (``active`` False switches it off). The result is
    checked as a whole, as on creation. Audited with the fields before and after."""
    authorize(editor.role, EDIT_PERMISSION)
    now = deps.now()
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError(f"unknown fields: {sorted(unknown)}")
    wanted = _normalised(changes)

    def work(conn: Connection) -> dict[str, Any]:
        row = _load(conn, macro_id, lock=True)
        current = {key: getattr(row, key) for key in EDITABLE}
        changed = {k: v for k, v in wanted.items() if current[k] != v}
        _check(current | changed)
        if not changed:
            return macro_public(row)
        if "name" in changed:
            _name_free(conn, changed["name"], except_id=macro_id)
        conn.execute(
            update(t.ticket_macros)
            .where(t.ticket_macros.c.id == macro_id)
            .values(**changed, updated_by=editor.id, updated_at=now)
        )
        audit_ticket(
            conn,
            now,
            editor,
            "ticket_macro.updated",
            macro_id,
            before={k: current[k] for k in changed},
            after=changed,
            subject_type="ticket_macro",
        )
        return macro_public(_load(conn, macro_id))

    return run_transaction(deps.engine, work)


def list_macros(
    deps: TicketDeps,
    agent: User,
    *,
    category: Category | None = None,
    include_inactive: bool = False,
) -> list[dict[str, Any]]:
    """Macros by name. With ``category``: those for it and those for any ticket."""
    authorize(agent.role, Permission.READ_CUSTOMERS)
    query = select(t.ticket_macros).order_by(t.ticket_macros.c.name)
    if category is not None:
        query = query.where(
            (t.ticket_macros.c.category == category.value) | t.ticket_macros.c.category.is_(None)
        )
    if not include_inactive:
        query = query.where(t.ticket_macros.c.active.is_(True))
    with deps.engine.connect() as conn:
        return [macro_public(row) for row in conn.execute(query)]


# -- applying a macro ----------------------------------------------------------------


def _fill_for(conn: Connection, macro: Any, ticket: Any, agent: User) -> str:
    customer = conn.execute(
        select(identity_tables.users.c.display_name, identity_tables.users.c.locale).where(
            identity_tables.users.c.id == ticket.customer_id
        )
    ).one()
    chinese = customer.locale.lower().startswith("zh")
    return fill(
        macro.body_zh if chinese else macro.body_en,
        {
            "customer_name": customer.display_name,
            "ticket_number": ticket.number,
            "ticket_subject": ticket.subject,
            "payment_id": str(ticket.payment_id) if ticket.payment_id else None,
            "agent_name": agent.display_name,
        },
    )


def do_apply_macro(
    deps: TicketDeps, agent: User, ticket_id: uuid.UUID, macro_id: uuid.UUID
) -> dict[str, Any]:
    """Reply with the macro in the customer's language, then apply its actions.

    Refused, with nothing changed: an unknown or switched-off macro, a closed (merged,
    spam) ticket, a placeholder this ticket has no value for, a status the ticket
    cannot move to. Returns the agent's view of the ticket. Audited.
    """
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    now = deps.now()

    def work(conn: Connection) -> dict[str, Any]:
        macro = _load(conn, macro_id)
        if not macro.active:
            raise MacroInactive("macro switched off")
        row = load_ticket(conn, ticket_id, lock=True)
        if TicketStatus(row.status) in CLOSED_STATES:
            raise TicketClosed("the ticket is closed")
        body = _fill_for(conn, macro, row, agent)
        before = {"status": row.status, "priority": row.priority, "tags": list(row.tags)}
        agent_public_reply(conn, deps, row, agent, body, now)
        _apply_fields(conn, row, macro, now)
        after_reply = load_ticket(conn, ticket_id)
        if macro.set_status is not None and after_reply.status != macro.set_status:
            move_status(conn, deps, after_reply, TicketStatus(macro.set_status), now, agent)
        result = load_ticket(conn, ticket_id)
        audit_ticket(
            conn,
            now,
            agent,
            "ticket.macro_applied",
            ticket_id,
            before=before,
            after={
                "macro_id": str(macro.id),
                "macro_name": macro.name,
                "status": result.status,
                "priority": result.priority,
                "tags": list(result.tags),
            },
        )
        return agent_view(conn, result, now, deps.calendar)

    return run_transaction(deps.engine, work)


def _apply_fields(conn: Connection, row: Any, macro: Any, now: datetime) -> None:
    values: dict[str, Any] = {}
    if macro.set_priority is not None and macro.set_priority != row.priority:
        values["priority"] = macro.set_priority
    tags = list(dict.fromkeys([*row.tags, *macro.add_tags]))[:MAX_TICKET_TAGS]
    if tags != list(row.tags):
        values["tags"] = tags
    if values:
        conn.execute(
            update(t.tickets).where(t.tickets.c.id == row.id).values(**values, updated_at=now)
        )


# -- shipped defaults ----------------------------------------------------------------


def seed_default_macros(engine: Engine, clock: Clock | None = None) -> int:
    """Store the shipped macros (:mod:`.default_macros`) that are missing, by name.

    Safe to run on every start or demo load: a macro already there, edited or
    switched off, is left alone. Returns how many were added. Not audited: it is
    the product's data, like the help articles, not a person's change.
    """
    now = (clock or SystemClock()).now()

    def work(conn: Connection) -> int:
        existing = set(conn.execute(select(t.ticket_macros.c.name)).scalars())
        added = 0
        for macro in DEFAULT_MACROS:
            if macro.name in existing:
                continue
            fields = _normalised(
                {
                    "name": macro.name,
                    "category": macro.category,
                    "body_en": macro.body_en,
                    "body_zh": macro.body_zh,
                    "set_status": macro.set_status,
                    "set_priority": macro.set_priority,
                    "add_tags": list(macro.add_tags),
                }
            )
            _check({**fields, "active": True})
            conn.execute(
                insert(t.ticket_macros).values(
                    id=uuid.uuid4(), **fields, active=True, created_at=now, updated_at=now
                )
            )
            added += 1
        return added

    return run_transaction(engine, work)

"""Keeping the directory current: proposed changes, a second admin's review, an audit trail.

A poisoned directory would send people straight to a scammer, so nobody changes it
alone: an admin proposes a channel (new, or a new status for a listed one — "this
number is now a known fake"), and a *different* admin approves or rejects it. Every
step is audited. The shipped YAML stays the reviewed baseline; approved changes are
applied on top of it, in order, each time the directory is rebuilt, and a change
that would make the directory contradict itself is refused when proposed and again
when approved (another approval may have come in between).
"""

from __future__ import annotations

import threading
import uuid
from datetime import date
from enum import StrEnum
from typing import Any

import pydantic
from sqlalchemy import Connection, Engine, func, select, update

from walletdesk.audit import log as audit
from walletdesk.core.clock import Clock
from walletdesk.core.errors import Conflict, NotFound, ValidationError
from walletdesk.core.ids import new_id
from walletdesk.db.transactions import run_transaction
from walletdesk.identity.errors import Forbidden
from walletdesk.identity.model import Principal, RequestContext
from walletdesk.identity.roles import Permission, authorize
from walletdesk.support.contacts.directory import ContactDirectory, default_directory
from walletdesk.support.contacts.errors import DirectoryInvalid, UnknownProvider
from walletdesk.support.contacts.model import Channel, DirectoryData
from walletdesk.support.contacts.tables import contact_changes as t

__all__ = [
    "ChangeState",
    "current_directory",
    "do_propose_change",
    "do_review_change",
    "list_changes",
]


class ChangeState(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


class ChangeInvalid(ValidationError):
    code = "contact_change_invalid"


class ChangeAlreadyReviewed(Conflict):
    code = "contact_change_reviewed"


class OwnChangeReview(Forbidden):
    code = "contact_change_own"


def apply_changes(base: DirectoryData, changes: list[tuple[str, dict[str, Any]]]) -> DirectoryData:
    """The directory data with each (provider id, channel) applied in order."""
    providers = {p.id: p for p in base.providers}
    for provider_id, raw in changes:
        provider = providers.get(provider_id)
        if provider is None:
            raise UnknownProvider("no such provider", provider=provider_id)
        channel = Channel.model_validate(raw)
        kept = tuple(
            c for c in provider.channels if (c.kind, c.value) != (channel.kind, channel.value)
        )
        providers[provider_id] = provider.model_copy(update={"channels": (*kept, channel)})
    return DirectoryData(
        version=base.version, providers=tuple(providers[p.id] for p in base.providers)
    )


def _build(changes: list[tuple[str, dict[str, Any]]]) -> ContactDirectory:
    shipped = default_directory()
    if not changes:
        return shipped
    try:
        return ContactDirectory(apply_changes(shipped.data, changes))
    except (pydantic.ValidationError, DirectoryInvalid, ValueError) as exc:
        problem = f"the directory would not be valid: {exc}"
        raise ChangeInvalid(problem, problem=problem) from exc


def _approved(conn: Connection) -> list[tuple[str, dict[str, Any]]]:
    rows = conn.execute(
        select(t.c.provider_id, t.c.channel)
        .where(t.c.state == ChangeState.APPROVED)
        .order_by(t.c.id)
    )
    return [(row.provider_id, dict(row.channel)) for row in rows]


_cache_lock = threading.Lock()
_cache: dict[tuple[str, int, object], ContactDirectory] = {}


def current_directory(engine: Engine) -> ContactDirectory:
    """The shipped directory plus every approved change; rebuilt only when one was added."""
    with engine.connect() as conn:
        count, last = conn.execute(
            select(func.count(), func.max(t.c.reviewed_at)).where(t.c.state == ChangeState.APPROVED)
        ).one()
        key = (str(engine.url), int(count), last)
        with _cache_lock:
            cached = _cache.get(key)
        if cached is not None:
            return cached
        directory = _build(_approved(conn)) if count else default_directory()
    with _cache_lock:
        _cache.clear()  # one live version per process is enough
        _cache[key] = directory
    return directory


def do_propose_change(
    engine: Engine,
    clock: Clock,
    principal: Principal,
    *,
    provider_id: str,
    channel: dict[str, Any],
    reason: str,
    ctx: RequestContext | None = None,
) -> dict[str, Any]:
    """Propose a channel for ``provider_id``; nothing is served until another admin approves."""
    authorize(principal.role, Permission.MANAGE_CONTENT)
    if not reason.strip():
        problem = "say why (and from which source) the directory should change"
        raise ChangeInvalid(problem, problem=problem)
    now = clock.now()
    raw = {"last_verified": now.date().isoformat(), **channel}
    try:
        parsed = Channel.model_validate(raw)
    except pydantic.ValidationError as exc:
        problem = f"the channel is not valid: {exc.errors()[0]['msg']}"
        raise ChangeInvalid(problem, problem=problem) from exc
    stored = parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
    context = ctx or RequestContext()

    def work(conn: Connection) -> dict[str, Any]:
        _build([*_approved(conn), (provider_id, stored)])  # refuses a contradiction now
        change_id = new_id()
        values = {
            "id": change_id,
            "provider_id": provider_id,
            "channel": stored,
            "reason": reason.strip(),
            "state": ChangeState.PROPOSED.value,
            "proposed_by": principal.user.id,
            "proposed_at": now,
        }
        conn.execute(t.insert().values(**values))
        audit.record(
            conn,
            now=now,
            action="contact_change.proposed",
            actor_id=principal.user.id,
            actor_role=principal.role.value,
            subject_type="contact_change",
            subject_id=str(change_id),
            after={"provider_id": provider_id, "channel": stored},
            source_ip=context.source_ip,
            user_agent=context.user_agent or None,
            reason=reason.strip(),
        )
        return _public(conn, change_id)

    return run_transaction(engine, work)


def do_review_change(
    engine: Engine,
    clock: Clock,
    principal: Principal,
    change_id: uuid.UUID,
    *,
    approve: bool,
    note: str | None = None,
    ctx: RequestContext | None = None,
) -> dict[str, Any]:
    """A second admin approves (the change is served from now on) or rejects it."""
    authorize(principal.role, Permission.MANAGE_CONTENT)
    now = clock.now()
    context = ctx or RequestContext()

    def work(conn: Connection) -> dict[str, Any]:
        row = conn.execute(select(t).where(t.c.id == change_id).with_for_update()).first()
        if row is None:
            raise NotFound("no such directory change")
        if row.state != ChangeState.PROPOSED:
            raise ChangeAlreadyReviewed("this change was already reviewed", state=row.state)
        if row.proposed_by == principal.user.id:
            raise OwnChangeReview("a second admin must review a directory change")
        if approve:
            _build([*_approved(conn), (row.provider_id, dict(row.channel))])
        state = ChangeState.APPROVED if approve else ChangeState.REJECTED
        conn.execute(
            update(t)
            .where(t.c.id == change_id)
            .values(
                state=state.value, reviewed_by=principal.user.id, reviewed_at=now, review_note=note
            )
        )
        audit.record(
            conn,
            now=now,
            action=f"contact_change.{state.value}",
            actor_id=principal.user.id,
            actor_role=principal.role.value,
            subject_type="contact_change",
            subject_id=str(change_id),
            before={"state": row.state},
            after={"state": state.value, "provider_id": row.provider_id, "channel": row.channel},
            source_ip=context.source_ip,
            user_agent=context.user_agent or None,
            reason=note,
        )
        return _public(conn, change_id)

    return run_transaction(engine, work)


def list_changes(
    engine: Engine, principal: Principal, state: ChangeState | None = None
) -> list[dict[str, Any]]:
    authorize(principal.role, Permission.MANAGE_CONTENT)
    query = select(t.c.id).order_by(t.c.id.desc()).limit(200)
    if state is not None:
        query = query.where(t.c.state == state.value)
    with engine.connect() as conn:
        return [_public(conn, row.id) for row in conn.execute(query)]


def _public(conn: Connection, change_id: uuid.UUID) -> dict[str, Any]:
    row = conn.execute(select(t).where(t.c.id == change_id)).one()
    return {
        "id": str(row.id),
        "provider_id": row.provider_id,
        "channel": row.channel,
        "reason": row.reason,
        "state": row.state,
        "proposed_by": str(row.proposed_by),
        "proposed_at": row.proposed_at.isoformat(),
        "reviewed_by": str(row.reviewed_by) if row.reviewed_by else None,
        "reviewed_at": row.reviewed_at.isoformat() if row.reviewed_at else None,
        "review_note": row.review_note,
    }


def stale_channels(
    directory: ContactDirectory, today: date, max_age_days: int = 180
) -> list[tuple[str, Channel]]:
    """Channels not checked against their source for ``max_age_days``: the review list."""
    return [
        (p.id, c)
        for p in directory.providers
        for c in p.channels
        if (today - c.last_verified).days > max_age_days
    ]

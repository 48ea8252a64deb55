"""Appending to and reading the audit log. Nothing here commits: the caller's unit of work does.

Every append locks the single head row (``SELECT ... FOR UPDATE`` on PostgreSQL;
SQLite's ``BEGIN IMMEDIATE`` already serialises writers), takes the next seq and
the previous hash from it, and moves it forward. Concurrent appends therefore form
one chain whose seqs have no gaps, in commit order.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Insert, Row, select, update
from sqlalchemy.dialects import postgresql, sqlite

from walletdesk.audit import tables as t
from walletdesk.audit.model import (
    GENESIS_HASH,
    AuditChainError,
    AuditPage,
    AuditRecord,
    compute_hash,
)
from walletdesk.audit.redaction import mask_card_numbers, redact
from walletdesk.core.cursors import decode_seq_cursor
from walletdesk.core.errors import ValidationError
from walletdesk.core.ids import new_id

# "session.created", "agent.refund.approved": lower-case dotted words, event in the past tense.
_ACTION = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")
_MAX_PAGE = 1000


def record(
    conn: Connection,
    *,
    now: datetime,
    action: str,
    actor_id: uuid.UUID | None,
    actor_role: str,
    subject_type: str,
    subject_id: str,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
    source_ip: str | None = None,
    user_agent: str | None = None,
    reason: str | None = None,
) -> AuditRecord:
    """Append one record to the chain inside the caller's open transaction, and return it.

    The record commits or rolls back with the audited change; this function never
    commits. ``now`` must be aware (the caller's injected clock). ``actor_id`` None
    means the system acted. ``before``/``after`` are snapshots of the subject's
    fields: they are stored redacted (:func:`walletdesk.audit.redaction.redact`),
    and card numbers in ``reason`` are masked too. ``user_agent`` is cut to
    512 characters, since clients choose it.

    The head row stays locked until the caller's transaction ends, and every
    audited transaction in the process queues on it: call this last, after the
    use case's own locks, so locks are always taken in the same order (domain
    rows, then the audit head) and are held briefly.

    Raises ValueError for a naive ``now``, no open transaction, an action not
    spelt like ``"password.changed"``, or a text field empty or over its column's
    length; TypeError/ValueError from redaction for values JSON cannot hold
    exactly; AuditChainError if the head row is missing while records exist.
    """
    if not conn.in_transaction():
        raise ValueError("record() must run inside the caller's transaction")
    if now.tzinfo is None:
        raise ValueError("record() needs an aware 'now'")
    if not _ACTION.fullmatch(action):
        raise ValueError(f"action {action!r} is not lower-case dotted words like 'user.created'")
    _check_text("action", action, t.ACTION_LENGTH)
    _check_text("actor_role", actor_role, t.ACTOR_ROLE_LENGTH)
    _check_text("subject_type", subject_type, t.SUBJECT_TYPE_LENGTH)
    _check_text("subject_id", subject_id, t.SUBJECT_ID_LENGTH)
    if source_ip is not None:
        _check_text("source_ip", source_ip, t.SOURCE_IP_LENGTH)
    last_seq, last_hash = _lock_head(conn)
    draft = AuditRecord(
        seq=last_seq + 1,
        id=new_id(),
        at=now.astimezone(UTC),
        actor_id=actor_id,
        actor_role=actor_role,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        before=None if before is None else redact(before),
        after=None if after is None else redact(after),
        source_ip=source_ip,
        user_agent=None if user_agent is None else user_agent[: t.USER_AGENT_LENGTH],
        reason=None if reason is None else mask_card_numbers(reason),
        prev_hash=last_hash,
        hash="",
    )
    entry = replace(draft, hash=compute_hash(draft))
    conn.execute(
        t.audit_log.insert().values(
            seq=entry.seq,
            id=entry.id,
            at=entry.at,
            actor_id=entry.actor_id,
            actor_role=entry.actor_role,
            action=entry.action,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            before=entry.before,
            after=entry.after,
            source_ip=entry.source_ip,
            user_agent=entry.user_agent,
            reason=entry.reason,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )
    )
    conn.execute(
        update(t.audit_head)
        .where(t.audit_head.c.id == t.HEAD_ID)
        .values(last_seq=entry.seq, last_hash=entry.hash)
    )
    return entry


def list_records(
    conn: Connection,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
    actor_id: uuid.UUID | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> AuditPage:
    """Records newest first, optionally only those about one subject and/or by one actor.

    ``subject_id`` needs ``subject_type`` (ids are only unique within a type).
    ``actor_id`` None means "any actor", not "the system". ``cursor`` is the
    ``next_cursor`` of the previous page. Raises ValidationError for a limit
    outside 1..1000, a cursor this module did not issue, or a lone subject_id.
    """
    if not 1 <= limit <= _MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {_MAX_PAGE}", field="limit")
    if subject_id is not None and subject_type is None:
        raise ValidationError("subject_id needs subject_type", field="subject_id")
    log = t.audit_log
    conditions = []
    if subject_type is not None:
        conditions.append(log.c.subject_type == subject_type)
    if subject_id is not None:
        conditions.append(log.c.subject_id == subject_id)
    if actor_id is not None:
        conditions.append(log.c.actor_id == actor_id)
    before_seq = _decode_cursor(cursor)
    if before_seq is not None:
        conditions.append(log.c.seq < before_seq)
    # One row more than asked tells whether another page exists.
    stmt = select(log).where(*conditions).order_by(log.c.seq.desc()).limit(limit + 1)
    items = [record_from_row(row) for row in conn.execute(stmt)]
    if len(items) > limit:
        return AuditPage(items=items[:limit], next_cursor=format(items[limit - 1].seq, "x"))
    return AuditPage(items=items, next_cursor=None)


def record_from_row(row: Row[Any]) -> AuditRecord:
    """The record an ``audit_log`` row holds, exactly as stored (nothing re-validated)."""
    return AuditRecord(
        seq=row.seq,
        id=row.id,
        at=row.at,
        actor_id=row.actor_id,
        actor_role=row.actor_role,
        action=row.action,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        before=row.before,
        after=row.after,
        source_ip=row.source_ip,
        user_agent=row.user_agent,
        reason=row.reason,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _check_text(name: str, value: str, max_length: int) -> None:
    if not value:
        raise ValueError(f"{name} must not be empty")
    if len(value) > max_length:
        raise ValueError(f"{name} is longer than {max_length} characters")


def _decode_cursor(cursor: str | None) -> int | None:
    """Cursors are opaque to callers; inside they are the last seq of the previous page."""
    return decode_seq_cursor(cursor)


def _lock_head(conn: Connection) -> tuple[int, str]:
    """Lock the head row, creating it on the first append ever; return (last_seq, last_hash)."""
    locked = (
        select(t.audit_head.c.last_seq, t.audit_head.c.last_hash)
        .where(t.audit_head.c.id == t.HEAD_ID)
        .with_for_update()
    )
    row = conn.execute(locked).one_or_none()
    if row is None:
        _create_head(conn)
        row = conn.execute(locked).one()
        # Records are only written under this lock, each moving the head forward,
        # so a head still at 0 beside existing records means the head was deleted.
        # Starting a fresh chain over them would hide that; refuse, and let
        # `walletdesk audit verify` say what is wrong.
        has_records = conn.execute(select(t.audit_log.c.seq).limit(1)).first() is not None
        if row.last_seq == 0 and has_records:
            raise AuditChainError("the audit head row is missing but the audit log has records")
    return int(row.last_seq), str(row.last_hash)


def _create_head(conn: Connection) -> None:
    values = {"id": t.HEAD_ID, "last_seq": 0, "last_hash": GENESIS_HASH}
    # Two first appends may race here; DO NOTHING makes the loser wait for the
    # winner's row instead of failing on the primary key (under SERIALIZABLE the
    # loser gets 40001 and run_transaction retries it).
    insert: Insert
    if conn.dialect.name == "sqlite":
        insert = sqlite.insert(t.audit_head).values(values).on_conflict_do_nothing()
    else:  # PostgreSQL, and CockroachDB through its PostgreSQL-derived dialect
        insert = postgresql.insert(t.audit_head).values(values).on_conflict_do_nothing()
    conn.execute(insert)

"""Audit records, chain reports, and the hash that links each record to the one before.

Pure rules: no SQLAlchemy, no I/O. The hash input is fixed here, field by field,
so adding a field to :class:`AuditRecord` can never silently change the hashes of
records already written.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeAlias

from walletdesk.core.errors import WalletdeskError

JSONValue: TypeAlias = dict[str, "JSONValue"] | list["JSONValue"] | str | int | float | bool | None

# prev_hash of the first record: there is nothing before it.
GENESIS_HASH = "0" * 64


class AuditChainError(WalletdeskError):
    """The chain's own bookkeeping is broken (e.g. its head row is gone); nothing was written."""

    code = "audit_chain_broken"
    http_status = 500


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audited event, as stored.

    ``actor_id`` is None when the system acted on its own. ``before``/``after`` are
    the redacted snapshots (see :mod:`walletdesk.audit.redaction`), never the raw
    values the caller passed. ``hash`` is :func:`compute_hash` of every other field.
    """

    seq: int
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    actor_role: str
    action: str
    subject_type: str
    subject_id: str
    before: JSONValue
    after: JSONValue
    source_ip: str | None
    user_agent: str | None
    reason: str | None
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of records, newest first; pass ``next_cursor`` back for the next (None = last)."""

    items: list[AuditRecord]
    next_cursor: str | None = None


class ProblemReason(StrEnum):
    """Why a verification found the chain broken; values are stable and shown to operators."""

    # The row's fields do not hash to its stored hash: the row was edited, or forged.
    HASH_MISMATCH = "hash_mismatch"
    # The row's prev_hash is not the previous row's hash: a row before it was
    # deleted or inserted, or the previous row's hash was rewritten.
    PREV_HASH_MISMATCH = "prev_hash_mismatch"
    # The row's seq does not follow the previous row's by exactly one.
    SEQ_GAP = "seq_gap"
    # A stored value cannot even be decoded (only possible on SQLite, which keeps
    # whatever is written into any column).
    UNREADABLE_ROW = "unreadable_row"
    # The head names a later seq than the last row: the newest rows were deleted.
    NEWEST_ROWS_MISSING = "newest_rows_missing"
    # The head names the last row's seq but another hash: that row was replaced.
    HEAD_MISMATCH = "head_mismatch"
    # Rows exist past the head's seq: they were written around record().
    ROWS_BEYOND_HEAD = "rows_beyond_head"
    # Rows exist but the head row does not.
    HEAD_MISSING = "head_missing"


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """One break in the chain. ``seq`` is the row where it shows (for head problems, see
    each reason's detail); ``detail`` is a sentence for people, ``reason`` the stable code."""

    seq: int
    reason: ProblemReason
    detail: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Result of :func:`walletdesk.audit.verify.verify_chain`.

    ``problems`` keeps at most the verifier's ``max_problems`` entries;
    ``problems_omitted`` counts the rest. ``head_seq``/``head_hash`` are what the
    head row said at the end (0 and :data:`GENESIS_HASH` when there is none): worth
    copying somewhere the database's owner cannot rewrite.
    """

    records_checked: int
    problems: list[ChainProblem] = field(default_factory=list)
    problems_omitted: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH

    @property
    def ok(self) -> bool:
        return not self.problems and not self.problems_omitted


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds and a ``Z``: one spelling per instant.

    Raises ValueError for a naive datetime, whose instant is unknown.
    """
    if moment.tzinfo is None:
        raise ValueError("naive datetime in an audit record")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_json(value: JSONValue) -> str:
    """Sorted keys, no whitespace, ASCII only, no NaN: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def compute_hash(record: AuditRecord) -> str:
    """SHA-256 (hex) of the canonical JSON of every field except ``hash``, prev_hash included."""
    hashed: dict[str, JSONValue] = {
        "seq": record.seq,
        "id": str(record.id),
        "at": format_timestamp(record.at),
        "actor_id": None if record.actor_id is None else str(record.actor_id),
        "actor_role": record.actor_role,
        "action": record.action,
        "subject_type": record.subject_type,
        "subject_id": record.subject_id,
        "before": record.before,
        "after": record.after,
        "source_ip": record.source_ip,
        "user_agent": record.user_agent,
        "reason": record.reason,
        "prev_hash": record.prev_hash,
    }
    return hashlib.sha256(canonical_json(hashed).encode("ascii")).hexdigest()

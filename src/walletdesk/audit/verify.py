"""Checking the whole audit chain, streamed in seq order so memory stays flat.

The check is of the chain as it stood at one instant: one statement reads the
head and the highest seq together (one snapshot), and only rows up to there are
walked, so appends that keep arriving neither race with the check nor keep it
running forever. Each chunk is read in its own short transaction: on SQLite
every transaction takes the write lock (``BEGIN IMMEDIATE``), and one long read
would stall every writer for the whole scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, select

from walletdesk.audit import tables as t
from walletdesk.audit.log import record_from_row
from walletdesk.audit.model import (
    GENESIS_HASH,
    AuditRecord,
    ChainProblem,
    ChainReport,
    ProblemReason,
    compute_hash,
)

DEFAULT_CHUNK_SIZE = 1000
DEFAULT_MAX_PROBLEMS = 1000


def verify_chain(
    engine: Engine,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> ChainReport:
    """Recompute every record's hash and link, and compare the last one with the head.

    Detects an edited row (its hash no longer matches), a deleted or inserted row
    in the middle (seq gap, or prev_hash not the previous row's hash), deleted
    newest rows (the head is ahead of the log), rows written around
    :func:`walletdesk.audit.log.record` (past the head) and, on SQLite, values
    that no longer decode. Holds at most ``chunk_size`` rows in memory and keeps
    the first ``max_problems`` problems (the rest are only counted). Checks the
    chain as it stood when the check began; records appended meanwhile are left
    for the next run.

    The hash is unkeyed: someone who can write to the database can rebuild the
    whole chain and head. :mod:`walletdesk.audit.anchors` catches that with copies
    of earlier heads kept outside the database.
    """
    if chunk_size < 1 or max_problems < 1:
        raise ValueError("chunk_size and max_problems must be positive")
    with engine.connect() as conn:
        snapshot = _read_snapshot(conn)
        walk = _Walk(max_problems=max_problems, head_seq=snapshot.head_seq)
        _walk_rows(conn, walk, chunk_size, snapshot.end_seq)
    walk.check_head(snapshot)
    return ChainReport(
        records_checked=walk.records_checked,
        problems=walk.problems,
        problems_omitted=walk.problems_omitted,
        head_seq=snapshot.head_seq or 0,
        head_hash=snapshot.head_hash or GENESIS_HASH,
    )


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """The head and the highest seq, read by one statement so they agree with each other."""

    head_seq: int | None  # None: there is no head row
    head_hash: str | None
    max_seq: int | None  # None: the log is empty

    @property
    def end_seq(self) -> int:
        """The last seq to walk: rows written past the head are checked too."""
        return max(self.head_seq or 0, self.max_seq or 0)


@dataclass(frozen=True, slots=True)
class _UnreadableRow:
    """A row whose typed columns fail to decode; only its chain columns are known."""

    seq: int
    prev_hash: str
    hash: str
    error: str


@dataclass(slots=True)
class _Walk:
    """The state carried from one row to the next: only the previous row's seq and hash."""

    max_problems: int
    head_seq: int | None
    cursor: int | None = None  # seq of the last row read; None before the first
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    records_checked: int = 0
    problems: list[ChainProblem] = field(default_factory=list)
    problems_omitted: int = 0
    # The last row at or before the head's seq, to compare with the head.
    last_within_head: tuple[int, str] = (0, GENESIS_HASH)

    def report(self, seq: int, reason: ProblemReason, detail: str) -> None:
        if len(self.problems) < self.max_problems:
            self.problems.append(ChainProblem(seq=seq, reason=reason, detail=detail))
        else:
            self.problems_omitted += 1

    def check_row(self, row: AuditRecord | _UnreadableRow) -> None:
        if isinstance(row, _UnreadableRow):
            self.report(row.seq, ProblemReason.UNREADABLE_ROW, f"cannot decode: {row.error}")
        elif _hash_of(row) != row.hash:
            self.report(
                row.seq, ProblemReason.HASH_MISMATCH, "the row's fields do not match its hash"
            )
        expected_seq = self.last_seq + 1
        if row.seq != expected_seq:
            detail = (
                f"seq {expected_seq} to {row.seq - 1} are missing"
                if row.seq > expected_seq
                else f"seq {row.seq} is out of sequence (expected {expected_seq})"
            )
            self.report(row.seq, ProblemReason.SEQ_GAP, detail)
        if row.prev_hash != self.last_hash:
            self.report(
                row.seq,
                ProblemReason.PREV_HASH_MISMATCH,
                f"prev_hash is not the hash of the row before (seq {self.last_seq})",
            )
        if self.head_seq is not None and row.seq <= self.head_seq:
            self.last_within_head = (row.seq, row.hash)
        self.cursor = row.seq
        self.last_seq = row.seq
        self.last_hash = row.hash
        self.records_checked += 1

    def check_head(self, snapshot: _Snapshot) -> None:
        if snapshot.head_seq is None:
            if self.records_checked:
                self.report(self.last_seq, ProblemReason.HEAD_MISSING, "the head row is gone")
            return
        head_seq = snapshot.head_seq
        last_seq, last_hash = self.last_within_head
        if last_seq < head_seq:
            self.report(
                head_seq,
                ProblemReason.NEWEST_ROWS_MISSING,
                f"the head records seq {head_seq} but the log stops at seq {last_seq}",
            )
        elif last_hash != snapshot.head_hash:
            self.report(
                head_seq,
                ProblemReason.HEAD_MISMATCH,
                f"the head's hash for seq {head_seq} is not that row's hash",
            )
        if snapshot.max_seq is not None and snapshot.max_seq > head_seq:
            self.report(
                head_seq + 1,
                ProblemReason.ROWS_BEYOND_HEAD,
                f"rows after seq {head_seq} (up to {snapshot.max_seq}) bypassed the head",
            )


def _hash_of(row: AuditRecord) -> str | None:
    try:
        return compute_hash(row)
    except (TypeError, ValueError):  # e.g. a NaN written into a JSON column by hand
        return None


def _walk_rows(conn: Connection, walk: _Walk, chunk_size: int, end_seq: int) -> None:
    """Check every row up to ``end_seq``, one chunk per transaction."""
    while True:
        rows = _read_chunk(conn, walk.cursor, end_seq, chunk_size)
        # End the read transaction so writers are not held up between chunks.
        conn.rollback()
        for row in rows:
            walk.check_row(row)
        if len(rows) < chunk_size:
            return


def _chunk_query(columns: Any, after: int | None, end_seq: int, size: int) -> Select[Any]:
    seq = t.audit_log.c.seq
    stmt = select(*columns).where(seq <= end_seq).order_by(seq).limit(size)
    # No lower bound on the first chunk: a forged row may carry a seq below 1.
    return stmt if after is None else stmt.where(seq > after)


def _read_chunk(
    conn: Connection, after: int | None, end_seq: int, size: int
) -> list[AuditRecord | _UnreadableRow]:
    stmt = _chunk_query([t.audit_log], after, end_seq, size)
    try:
        return [record_from_row(row) for row in conn.execute(stmt)]
    except (TypeError, ValueError):
        # A hand-edited value that no longer decodes (SQLite stores anything in
        # any column) spoils the whole chunk; go row by row to name it.
        conn.rollback()
        return _read_chunk_row_by_row(conn, after, end_seq, size)


def _read_chunk_row_by_row(
    conn: Connection, after: int | None, end_seq: int, size: int
) -> list[AuditRecord | _UnreadableRow]:
    log = t.audit_log
    stmt = _chunk_query([log.c.seq, log.c.prev_hash, log.c.hash], after, end_seq, size)
    rows: list[AuditRecord | _UnreadableRow] = []
    for seq, prev_hash, stored_hash in conn.execute(stmt).all():
        try:
            full = conn.execute(select(log).where(log.c.seq == seq)).one()
            rows.append(record_from_row(full))
        except (TypeError, ValueError) as exc:
            rows.append(_UnreadableRow(seq, str(prev_hash), str(stored_hash), str(exc)))
    return rows


def _read_snapshot(conn: Connection) -> _Snapshot:
    head = t.audit_head
    at_head = head.c.id == t.HEAD_ID
    # Scalar subqueries in one SELECT: one snapshot even under READ COMMITTED,
    # where two statements could straddle an append.
    row = conn.execute(
        select(
            select(head.c.last_seq).where(at_head).scalar_subquery(),
            select(head.c.last_hash).where(at_head).scalar_subquery(),
            select(func.max(t.audit_log.c.seq)).scalar_subquery(),
        )
    ).one()
    conn.rollback()
    head_seq, head_hash, max_seq = row
    return _Snapshot(
        head_seq=None if head_seq is None else int(head_seq),
        head_hash=None if head_hash is None else str(head_hash),
        max_seq=None if max_seq is None else int(max_seq),
    )

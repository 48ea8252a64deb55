"""Checking the whole audit chain, streamed in seq order so memory stays flat.

Each chunk is read in its own short transaction: on SQLite every transaction
takes the write lock (``BEGIN IMMEDIATE``), so one long read would stall every
writer for the whole scan. Reading the head only after the rows keeps this
correct while appends continue: an append writes its row and moves the head in
one transaction, so every row already read is covered by the head read after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, select

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
    the first ``max_problems`` problems (the rest are only counted).

    The hash is unkeyed: someone who can write to the database can rebuild the
    whole chain and head. To catch that, keep the report's head hash somewhere
    they cannot write and compare later reports with it.
    """
    if chunk_size < 1 or max_problems < 1:
        raise ValueError("chunk_size and max_problems must be positive")
    walk = _Walk(max_problems=max_problems)
    with engine.connect() as conn:
        _walk_rows(conn, walk, chunk_size)
        while True:
            head = _read_head(conn)
            # A head ahead of the rows read means rows were deleted, or rows were
            # appended after the last chunk was read; reading on tells which.
            if head is None or head[0] <= walk.last_seq:
                break
            if _walk_rows(conn, walk, chunk_size) == 0:
                break
    walk.check_head(head)
    return ChainReport(
        records_checked=walk.records_checked,
        problems=walk.problems,
        problems_omitted=walk.problems_omitted,
        head_seq=0 if head is None else head[0],
        head_hash=GENESIS_HASH if head is None else head[1],
    )


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
    cursor: int | None = None  # seq of the last row read; None before the first
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    records_checked: int = 0
    problems: list[ChainProblem] = field(default_factory=list)
    problems_omitted: int = 0

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
        self.cursor = row.seq
        self.last_seq = row.seq
        self.last_hash = row.hash
        self.records_checked += 1

    def check_head(self, head: tuple[int, str] | None) -> None:
        if head is None:
            if self.records_checked:
                self.report(self.last_seq, ProblemReason.HEAD_MISSING, "the head row is gone")
            return
        head_seq, head_hash = head
        if head_seq > self.last_seq:
            self.report(
                head_seq,
                ProblemReason.NEWEST_ROWS_MISSING,
                f"the head records seq {head_seq} but the log ends at seq {self.last_seq}",
            )
        elif head_seq < self.last_seq:
            self.report(
                head_seq + 1,
                ProblemReason.ROWS_BEYOND_HEAD,
                f"rows after seq {head_seq} (up to {self.last_seq}) bypassed the head",
            )
        elif head_hash != self.last_hash:
            self.report(
                head_seq,
                ProblemReason.HEAD_MISMATCH,
                f"the head's hash for seq {head_seq} is not that row's hash",
            )


def _hash_of(row: AuditRecord) -> str | None:
    try:
        return compute_hash(row)
    except (TypeError, ValueError):  # e.g. a NaN written into a JSON column by hand
        return None


def _walk_rows(conn: Connection, walk: _Walk, chunk_size: int) -> int:
    """Check every row after ``walk.cursor`` up to the current end; return how many."""
    read = 0
    while True:
        rows = _read_chunk(conn, walk.cursor, chunk_size)
        # End the read transaction so writers are not held up between chunks.
        conn.rollback()
        for row in rows:
            walk.check_row(row)
        read += len(rows)
        if len(rows) < chunk_size:
            return read


def _read_chunk(
    conn: Connection, after: int | None, size: int
) -> list[AuditRecord | _UnreadableRow]:
    log = t.audit_log
    stmt = select(log).order_by(log.c.seq).limit(size)
    if after is not None:
        stmt = stmt.where(log.c.seq > after)
    try:
        return [record_from_row(row) for row in conn.execute(stmt)]
    except (TypeError, ValueError):
        # A hand-edited value that no longer decodes (SQLite stores anything in
        # any column) spoils the whole chunk; go row by row to name it.
        conn.rollback()
        return _read_chunk_row_by_row(conn, after, size)


def _read_chunk_row_by_row(
    conn: Connection, after: int | None, size: int
) -> list[AuditRecord | _UnreadableRow]:
    log = t.audit_log
    stmt = select(log.c.seq, log.c.prev_hash, log.c.hash).order_by(log.c.seq).limit(size)
    if after is not None:
        stmt = stmt.where(log.c.seq > after)
    rows: list[AuditRecord | _UnreadableRow] = []
    for seq, prev_hash, stored_hash in conn.execute(stmt).all():
        try:
            full = conn.execute(select(log).where(log.c.seq == seq)).one()
            rows.append(record_from_row(full))
        except (TypeError, ValueError) as exc:
            rows.append(_UnreadableRow(seq, str(prev_hash), str(stored_hash), str(exc)))
    return rows


def _read_head(conn: Connection) -> tuple[int, str] | None:
    head = t.audit_head
    row = conn.execute(
        select(head.c.last_seq, head.c.last_hash).where(head.c.id == t.HEAD_ID)
    ).one_or_none()
    conn.rollback()
    return None if row is None else (int(row.last_seq), str(row.last_hash))

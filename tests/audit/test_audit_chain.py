"""verify_chain: an intact chain verifies; every kind of tampering is found where it happened."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, delete, text, update

from walletdesk.audit import tables as t
from walletdesk.audit.model import GENESIS_HASH, AuditChainError, compute_hash
from walletdesk.audit.verify import verify_chain
from walletdesk.core.clock import FakeClock

from .audit_world import append, problems_of, raw_head, raw_log, tampering, write_chain

MIDDLE = 3


def test_a_chain_of_records_verifies(engine: Engine, clock: FakeClock) -> None:
    written = write_chain(engine, clock, 5)

    report = verify_chain(engine)

    assert report.ok
    assert report.records_checked == 5
    assert report.problems == []
    assert (report.head_seq, report.head_hash) == (5, written[-1].hash)
    assert [r.seq for r in written] == [1, 2, 3, 4, 5]
    assert [r.prev_hash for r in written] == [GENESIS_HASH] + [r.hash for r in written[:-1]]
    assert all(compute_hash(r) == r.hash for r in written)


def test_an_empty_log_verifies(engine: Engine) -> None:
    report = verify_chain(engine)

    assert report.ok
    assert (report.records_checked, report.head_seq, report.head_hash) == (0, 0, GENESIS_HASH)


def test_a_chain_longer_than_one_chunk_verifies_chunk_by_chunk(
    engine: Engine, clock: FakeClock
) -> None:
    write_chain(engine, clock, 7)

    report = verify_chain(engine, chunk_size=2)

    assert report.ok
    assert report.records_checked == 7


EDITS: list[tuple[str, Any, list[tuple[int, str]]]] = [
    ("id", uuid.UUID(int=42), [(MIDDLE, "hash_mismatch")]),
    ("at", datetime(2020, 1, 1, tzinfo=UTC), [(MIDDLE, "hash_mismatch")]),
    ("actor_id", uuid.UUID(int=7), [(MIDDLE, "hash_mismatch")]),
    ("actor_role", "admin", [(MIDDLE, "hash_mismatch")]),
    ("action", "agent.refund.rejected", [(MIDDLE, "hash_mismatch")]),
    ("subject_type", "ticket", [(MIDDLE, "hash_mismatch")]),
    ("subject_id", "rf_999", [(MIDDLE, "hash_mismatch")]),
    ("before", {"status": "requested", "amount": "99.99"}, [(MIDDLE, "hash_mismatch")]),
    ("after", None, [(MIDDLE, "hash_mismatch")]),
    ("source_ip", "198.51.100.1", [(MIDDLE, "hash_mismatch")]),
    ("user_agent", "curl/8.0", [(MIDDLE, "hash_mismatch")]),
    ("reason", "no reason", [(MIDDLE, "hash_mismatch")]),
    (
        "prev_hash",
        "a" * 64,
        [(MIDDLE, "hash_mismatch"), (MIDDLE, "prev_hash_mismatch")],
    ),
    ("hash", "b" * 64, [(MIDDLE, "hash_mismatch"), (MIDDLE + 1, "prev_hash_mismatch")]),
]


@pytest.mark.parametrize(("column", "value", "expected"), EDITS, ids=[e[0] for e in EDITS])
def test_editing_any_field_of_a_middle_row_is_detected_at_that_seq(
    engine: Engine, clock: FakeClock, column: str, value: Any, expected: list[tuple[int, str]]
) -> None:
    write_chain(engine, clock, 5)
    with tampering(engine) as conn:
        conn.execute(update(t.audit_log).where(t.audit_log.c.seq == MIDDLE).values({column: value}))

    report = verify_chain(engine)

    assert not report.ok
    assert problems_of(report) == expected
    assert report.records_checked == 5


def test_editing_a_middle_row_and_recomputing_its_hash_breaks_the_next_link(
    engine: Engine, clock: FakeClock
) -> None:
    written = write_chain(engine, clock, 5)
    forged = replace(written[MIDDLE - 1], reason="approved by supervisor")
    with tampering(engine) as conn:
        conn.execute(
            update(t.audit_log)
            .where(t.audit_log.c.seq == MIDDLE)
            .values(reason=forged.reason, hash=compute_hash(forged))
        )

    assert problems_of(verify_chain(engine)) == [(MIDDLE + 1, "prev_hash_mismatch")]


def test_deleting_a_middle_row_is_detected_at_the_row_after_it(
    engine: Engine, clock: FakeClock
) -> None:
    write_chain(engine, clock, 5)
    with tampering(engine) as conn:
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq == MIDDLE))

    report = verify_chain(engine)

    assert problems_of(report) == [(MIDDLE + 1, "seq_gap"), (MIDDLE + 1, "prev_hash_mismatch")]
    assert report.records_checked == 4


def test_deleting_a_row_on_a_chunk_boundary_is_detected(engine: Engine, clock: FakeClock) -> None:
    write_chain(engine, clock, 6)
    with tampering(engine) as conn:
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq == 5))

    report = verify_chain(engine, chunk_size=2)

    assert problems_of(report) == [(6, "seq_gap"), (6, "prev_hash_mismatch")]


def test_deleting_the_newest_row_is_detected_through_the_head(
    engine: Engine, clock: FakeClock
) -> None:
    write_chain(engine, clock, 5)
    with tampering(engine) as conn:
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq == 5))

    report = verify_chain(engine)

    assert problems_of(report) == [(5, "newest_rows_missing")]
    assert report.records_checked == 4


def test_deleting_every_row_is_detected_through_the_head(engine: Engine, clock: FakeClock) -> None:
    write_chain(engine, clock, 5)
    with tampering(engine) as conn:
        conn.execute(delete(t.audit_log))

    report = verify_chain(engine)

    assert problems_of(report) == [(5, "newest_rows_missing")]
    assert report.records_checked == 0


def test_rewriting_the_newest_rows_hash_is_detected_at_the_row_and_the_head(
    engine: Engine, clock: FakeClock
) -> None:
    write_chain(engine, clock, 5)
    with tampering(engine) as conn:
        conn.execute(update(t.audit_log).where(t.audit_log.c.seq == 5).values(hash="c" * 64))

    assert problems_of(verify_chain(engine)) == [(5, "hash_mismatch"), (5, "head_mismatch")]


def test_a_forged_row_appended_without_the_head_is_detected_even_with_a_valid_hash(
    engine: Engine, clock: FakeClock
) -> None:
    written = write_chain(engine, clock, 5)
    last = written[-1]
    forged = replace(last, seq=6, id=uuid.UUID(int=6), reason="forged", prev_hash=last.hash)
    forged = replace(forged, hash=compute_hash(forged))
    with tampering(engine) as conn:
        conn.execute(t.audit_log.insert().values(_row_values(forged)))

    report = verify_chain(engine)

    assert problems_of(report) == [(6, "rows_beyond_head")]
    assert report.records_checked == 6


def test_a_forged_row_with_a_made_up_hash_is_detected_at_its_seq(
    engine: Engine, clock: FakeClock
) -> None:
    written = write_chain(engine, clock, 5)
    forged = replace(written[-1], seq=6, id=uuid.UUID(int=6), prev_hash=written[-1].hash)
    forged = replace(forged, hash="d" * 64)
    with tampering(engine) as conn:
        conn.execute(t.audit_log.insert().values(_row_values(forged)))

    assert problems_of(verify_chain(engine)) == [(6, "hash_mismatch"), (6, "rows_beyond_head")]


def test_a_missing_head_is_detected_and_blocks_further_appends(
    engine: Engine, clock: FakeClock
) -> None:
    write_chain(engine, clock, 3)
    with tampering(engine) as conn:
        conn.execute(delete(t.audit_head))
    before = raw_log(engine)

    assert problems_of(verify_chain(engine)) == [(3, "head_missing")]
    with pytest.raises(AuditChainError):
        append(engine, clock)
    assert raw_log(engine) == before
    assert raw_head(engine) is None


def test_problems_past_the_limit_are_counted_not_kept(engine: Engine, clock: FakeClock) -> None:
    write_chain(engine, clock, 5)
    with tampering(engine) as conn:
        conn.execute(update(t.audit_log).values(reason="rewritten"))

    report = verify_chain(engine, max_problems=2)

    assert problems_of(report) == [(1, "hash_mismatch"), (2, "hash_mismatch")]
    assert report.problems_omitted == 3
    assert not report.ok


@pytest.mark.parametrize("database_settings", ["sqlite"], indirect=True)
def test_a_value_that_no_longer_decodes_is_reported_at_its_seq(
    engine: Engine, clock: FakeClock
) -> None:
    # SQLite keeps whatever is written into any column; PostgreSQL's types refuse it.
    write_chain(engine, clock, 5)
    with tampering(engine) as conn:
        conn.execute(text("UPDATE audit_log SET at = 'yesterday' WHERE seq = :seq"), {"seq": 2})
        conn.execute(text("UPDATE audit_log SET after = '{broken' WHERE seq = :seq"), {"seq": 4})

    report = verify_chain(engine, chunk_size=3)

    assert problems_of(report) == [(2, "unreadable_row"), (4, "unreadable_row")]
    assert report.records_checked == 5


def _row_values(entry: Any) -> dict[str, Any]:
    return {column.name: getattr(entry, column.name) for column in t.audit_log.columns}

"""PostgreSQL refuses to rewrite audit history once the append-only triggers are installed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, delete, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

from walletdesk.audit import tables as t
from walletdesk.audit.append_only import drop_append_only_trigger, install_append_only_trigger
from walletdesk.audit.verify import verify_chain
from walletdesk.core.clock import FakeClock

from .audit_world import append, problems_of, raw_head, raw_log, write_chain

BACKENDS = ["postgres"]


@pytest.fixture
def guarded(engine: Engine) -> Iterator[Engine]:
    """The test database with the triggers; removed afterwards because the database is shared."""
    with engine.begin() as conn:
        install_append_only_trigger(conn)
    try:
        yield engine
    finally:
        with engine.begin() as conn:
            drop_append_only_trigger(conn)


def test_appends_still_work_and_verify_with_the_triggers_installed(
    guarded: Engine, clock: FakeClock
) -> None:
    write_chain(guarded, clock, 3)

    report = verify_chain(guarded)

    assert report.ok
    assert report.records_checked == 3


def test_installing_the_triggers_twice_is_harmless(guarded: Engine, clock: FakeClock) -> None:
    with guarded.begin() as conn:
        install_append_only_trigger(conn)

    assert append(guarded, clock).seq == 1


REFUSED = {
    "edit-row": (
        update(t.audit_log).where(t.audit_log.c.seq == 2).values(reason="rewritten"),
        "audit_log is append-only: UPDATE refused",
    ),
    "delete-row": (
        delete(t.audit_log).where(t.audit_log.c.seq == 2),
        "audit_log is append-only: DELETE refused",
    ),
    "delete-all": (delete(t.audit_log), "audit_log is append-only: DELETE refused"),
    "rewind-head": (
        update(t.audit_head).values(last_seq=2),
        "audit_head may only advance by one record",
    ),
    "rewrite-head": (
        update(t.audit_head).values(last_hash="e" * 64),
        "audit_head may only advance by one record",
    ),
    "delete-head": (delete(t.audit_head), "audit_head is append-only: DELETE refused"),
}


@pytest.mark.parametrize(("statement", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_rewriting_history_is_refused_and_nothing_changes(
    guarded: Engine, clock: FakeClock, statement: Executable, message: str
) -> None:
    write_chain(guarded, clock, 3)
    log_before, head_before = raw_log(guarded), raw_head(guarded)

    with pytest.raises(DBAPIError, match=message), guarded.begin() as conn:
        conn.execute(statement)

    assert raw_log(guarded) == log_before
    assert raw_head(guarded) == head_before
    assert problems_of(verify_chain(guarded)) == []


def test_dropping_the_triggers_lets_the_verifier_be_the_last_line(
    guarded: Engine, clock: FakeClock
) -> None:
    write_chain(guarded, clock, 3)
    with guarded.begin() as conn:
        drop_append_only_trigger(conn)
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq == 3))

    assert problems_of(verify_chain(guarded)) == [(3, "newest_rows_missing")]


def test_the_triggers_are_postgresql_only(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    with engine.begin() as conn, pytest.raises(ValueError, match="PostgreSQL-only"):
        install_append_only_trigger(conn)
    engine.dispose()

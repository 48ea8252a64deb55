"""Real threads appending at once still build one gapless, valid chain."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from walletdesk.audit import tables as t
from walletdesk.audit.verify import verify_chain
from walletdesk.core.clock import FakeClock

from .audit_world import append, raw_log

THREADS = 8
APPENDS_PER_THREAD = 15


def test_concurrent_appends_from_eight_threads_form_one_valid_chain(
    engine: Engine, clock: FakeClock
) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(number: int) -> None:
        try:
            start.wait()
            for n in range(APPENDS_PER_THREAD):
                append(engine, clock, subject_id=f"thread_{number}_{n}")
        except BaseException as exc:  # surfaced to the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    total = THREADS * APPENDS_PER_THREAD
    report = verify_chain(engine, chunk_size=50)
    assert report.ok, report.problems
    assert (report.records_checked, report.head_seq) == (total, total)
    seq_column = list(t.audit_log.columns).index(t.audit_log.c.seq)
    subject_column = list(t.audit_log.columns).index(t.audit_log.c.subject_id)
    rows = raw_log(engine)
    assert [row[seq_column] for row in rows] == list(range(1, total + 1))
    assert {row[subject_column] for row in rows} == {
        f"thread_{number}_{n}" for number in range(THREADS) for n in range(APPENDS_PER_THREAD)
    }


def test_verifying_while_appends_continue_never_reports_tampering(
    engine: Engine, clock: FakeClock
) -> None:
    append(engine, clock)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            while not stop.is_set():
                append(engine, clock)
        except BaseException as exc:  # surfaced to the main thread below
            errors.append(exc)

    writers = [threading.Thread(target=writer) for _ in range(3)]
    for thread in writers:
        thread.start()
    try:
        reports = [verify_chain(engine, chunk_size=3) for _ in range(10)]
    finally:
        stop.set()
        for thread in writers:
            thread.join(timeout=300)

    assert errors == []
    assert [report.problems for report in reports] == [[]] * 10
    assert all(report.records_checked == report.head_seq for report in reports)
    assert verify_chain(engine).ok

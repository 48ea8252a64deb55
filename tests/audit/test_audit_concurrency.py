"""Real threads appending at once still build one gapless, valid chain."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine

from walletdesk.audit import tables as t
from walletdesk.audit.model import ChainReport
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
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(APPENDS_PER_THREAD):
                append(engine, clock)
                # Let the verifier's chunk reads in between: SQLite grants its
                # write lock to whoever polls first, and tight loops would hog it.
                time.sleep(0.002)
        except BaseException as exc:  # surfaced to the main thread below
            errors.append(exc)

    writers = [threading.Thread(target=writer) for _ in range(3)]
    for thread in writers:
        thread.start()
    reports: list[ChainReport] = []
    while any(thread.is_alive() for thread in writers) or not reports:
        reports.append(verify_chain(engine, chunk_size=3))
    for thread in writers:
        thread.join(timeout=300)

    assert errors == []
    assert [report.problems for report in reports] == [[]] * len(reports)
    assert all(report.records_checked == report.head_seq for report in reports)
    final = verify_chain(engine)
    assert (final.ok, final.records_checked) == (True, 1 + 3 * APPENDS_PER_THREAD)

"""The retrying unit of work.

Every write use case runs as ``run_transaction(engine, work)``: one database
transaction, committed when ``work`` returns, rolled back when it raises. When
the database says the transaction lost a race it could not resolve (PostgreSQL
SQLSTATE 40001 serialization_failure or 40P01 deadlock_detected; SQLite
"database is locked" after the busy timeout), the whole unit of work is run
again after a jittered exponential backoff. ``work`` must therefore have no
side effects outside the transaction.

A unit of work a person is waiting for (paying in a shop) can be given a deadline:
lock waits are cut to what is left of it (SQLite's busy timeout, PostgreSQL's
``lock_timeout``), no retry starts after it, and :class:`TransactionTimedOut` says
that nothing was committed, instead of the request hanging for minutes behind a
busy database.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from walletdesk.db.engine import WAIT_MS_OPTION, WRITE_OPTION

T = TypeVar("T")

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
# lock_not_available: a lock wait ran past lock_timeout.
LOCK_TIMEOUT_SQLSTATES = frozenset({"55P03"})
# Never wait less than this for a lock: below it every wait is a failure.
MIN_WAIT_SECONDS = 0.01


class TransactionTimedOut(Exception):
    """The unit of work did not commit before its deadline; nothing of it was written."""


def is_retryable(exc: DBAPIError) -> bool:
    """True when the failure is a lost race, not a bug or bad input."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message


def backoff_seconds(attempt: int, *, base: float = 0.002, cap: float = 0.5) -> float:
    """Full-jitter backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    return random.uniform(0, min(cap, base * (2**attempt)))


def is_lock_timeout(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in LOCK_TIMEOUT_SQLSTATES


def run_transaction(
    engine: Engine,
    work: Callable[[Connection], T],
    *,
    retries: int = 30,
    sleep: Callable[[float], None] = time.sleep,
    deadline_seconds: float | None = None,
) -> T:
    """Run ``work`` in one transaction, retrying it whole on a retryable conflict.

    With ``deadline_seconds``, raise :class:`TransactionTimedOut` rather than wait or
    retry past it.
    """
    ends = None if deadline_seconds is None else time.monotonic() + deadline_seconds
    attempt = 0
    while True:
        wait = None if ends is None else ends - time.monotonic()
        if wait is not None and wait < MIN_WAIT_SECONDS:
            raise TransactionTimedOut()
        try:
            with writing(engine, wait_seconds=wait) as connection:
                return work(connection)
        except DBAPIError as exc:
            timed_out = is_lock_timeout(exc)
            if not (timed_out or is_retryable(exc)):
                raise
            if ends is not None and (timed_out or time.monotonic() >= ends):
                raise TransactionTimedOut() from exc
            if attempt >= retries or timed_out:
                raise
            attempt += 1
            sleep(backoff_seconds(attempt))


@contextmanager
def writing(engine: Engine, *, wait_seconds: float | None = None) -> Iterator[Connection]:
    """One write transaction, committed on exit (``engine.begin()`` for writers).

    On SQLite it begins IMMEDIATE, taking the write lock first; plain
    ``engine.connect()`` reads begin DEFERRED and do not queue behind writers.
    ``wait_seconds`` bounds every lock wait inside it (else the configured timeouts).
    """
    with engine.connect() as connection:
        options: dict[str, object] = {WRITE_OPTION: True}
        wait_ms = None if wait_seconds is None else max(1, int(wait_seconds * 1000))
        if wait_ms is not None:
            options[WAIT_MS_OPTION] = wait_ms
        connection.execution_options(**options)
        with connection.begin():
            if wait_ms is not None and connection.dialect.name in {"postgresql", "cockroachdb"}:
                # SET LOCAL ends with the transaction; a literal, as SET takes no parameters.
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = {wait_ms}")
            yield connection

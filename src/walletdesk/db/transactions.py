"""The retrying unit of work.

Every write use case runs as ``run_transaction(engine, work)``: one database
transaction, committed when ``work`` returns, rolled back when it raises. When
the database says the transaction lost a race it could not resolve (PostgreSQL
SQLSTATE 40001 serialization_failure or 40P01 deadlock_detected; SQLite
"database is locked" after the busy timeout), the whole unit of work is run
again after a jittered exponential backoff. ``work`` must therefore have no
side effects outside the transaction.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from walletdesk.db.engine import WRITE_OPTION

T = TypeVar("T")

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


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


def run_transaction(
    engine: Engine,
    work: Callable[[Connection], T],
    *,
    retries: int = 30,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``work`` in one transaction, retrying it whole on a retryable conflict."""
    attempt = 0
    while True:
        try:
            with writing(engine) as connection:
                return work(connection)
        except DBAPIError as exc:
            if attempt >= retries or not is_retryable(exc):
                raise
            attempt += 1
            sleep(backoff_seconds(attempt))


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction, committed on exit (``engine.begin()`` for writers).

    On SQLite it begins IMMEDIATE, taking the write lock first; plain
    ``engine.connect()`` reads begin DEFERRED and do not queue behind writers.
    """
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            yield connection

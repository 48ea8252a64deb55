"""Statements on the DBAPI connection of the caller's SQLAlchemy transaction.

The ledger's batch path (batch_store.py) runs here rather than through SQLAlchemy
Core; the section comment below says why. Repositories never commit.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.exc import DBAPIError

from walletdesk.ledger import tables as t

# Keeps every SQLite statement well under its bound-parameter limit.
CHUNK = 4000


def chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# -- the driver level -----------------------------------------------------------
#
# A batch of 8,000 transfers writes some 32,000 rows. Through SQLAlchemy Core
# each row pays for parameter dictionaries and per-value type processing, which
# cost more than the database's own work on them; and a one-transfer commit runs
# half a dozen statements whose compile-cache and expanding-IN overhead (~100 µs
# each) dwarfs what SQLite spends executing them. So the batch path runs on the
# DBAPI cursor of the connection already in the unit of work's transaction:
# values are converted with the columns' own SQLAlchemy type processors (so rows
# are stored exactly as Core would store them), and driver errors are re-raised
# as SQLAlchemy's exceptions so the retry logic sees what it always saw.
# On PostgreSQL, id lists travel as one array (``= ANY(...)``) instead of huge
# IN lists, rows go in with binary COPY, and balances with one UPDATE ... FROM
# unnest(): a fixed handful of statements per batch, whatever its size.


_PG_TYPES: dict[tuple[str, tuple[str, ...]], list[str]] = {}


def _pg_types(table: Table, columns: tuple[str, ...], dialect: Dialect) -> list[str]:
    """The columns' PostgreSQL type names, which binary COPY needs to be told."""
    key = (table.name, columns)
    if key not in _PG_TYPES:
        _PG_TYPES[key] = [
            table.c[name].type.compile(dialect).split("(")[0].lower() for name in columns
        ]
    return _PG_TYPES[key]


def _identity(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class _Codec:
    """How one dialect's driver wants uuids and timestamps, in and out.

    ``created_at_out`` is ``time_out`` behind a small cache: accounts opened
    together share a timestamp, and parsing one cost more than the row's lookup.
    """

    uuid_in: Callable[[Any], Any]
    uuid_out: Callable[[Any], Any]
    time_in: Callable[[Any], Any]
    time_out: Callable[[Any], Any]
    created_at_out: Callable[[Any], Any]


_CODECS: weakref.WeakKeyDictionary[Dialect, _Codec] = weakref.WeakKeyDictionary()


def _codec(dialect: Dialect) -> _Codec:
    codec = _CODECS.get(dialect)
    if codec is None:
        uuid_type = t.transfers.c.id.type.dialect_impl(dialect)
        time_type = t.transfers.c.created_at.type.dialect_impl(dialect)
        time_out = time_type.result_processor(dialect, None) or _identity
        codec = _Codec(
            uuid_in=uuid_type.bind_processor(dialect) or _identity,
            uuid_out=uuid_type.result_processor(dialect, None) or _identity,
            time_in=time_type.bind_processor(dialect) or _identity,
            time_out=time_out,
            created_at_out=functools.lru_cache(maxsize=256)(time_out),
        )
        _CODECS[dialect] = codec
    return codec


class DbapiDriver:
    """Statements on the DBAPI connection inside the caller's SQLAlchemy transaction.

    One DBAPI cursor serves every statement of a batch (a cursor per statement
    cost more than the statements of a one-transfer commit); :meth:`close` ends it.
    """

    def __init__(self, conn: Connection) -> None:
        if not conn.in_transaction():
            # What Core's autobegin would do, so raw statements never run outside it.
            conn.begin()
        self.conn = conn
        self.codec = _codec(conn.dialect)
        self.postgres = conn.dialect.name == "postgresql"
        self.mark = "%s" if self.postgres else "?"
        self.error: type[Exception] = conn.dialect.loaded_dbapi.Error
        self.cursor: Any = conn.connection.cursor()

    def close(self) -> None:
        self.cursor.close()

    def _wrapped(self, statement: str, exc: Any) -> BaseException:
        """The driver's error as SQLAlchemy would raise it, so retries see what they expect."""
        dialect = self.conn.dialect
        lost = dialect.is_disconnect(exc, self.conn.connection.dbapi_connection, None)
        if lost:
            self.conn.invalidate(exc)
        wrapped = DBAPIError.instance(
            statement,
            None,
            exc,
            self.error,
            connection_invalidated=lost,
            dialect=dialect,
        )
        assert isinstance(wrapped, BaseException)
        return wrapped

    def fetch(self, statement: str, params: Sequence[Any]) -> list[Any]:
        cursor = self.cursor
        try:
            cursor.execute(statement, params)
            return list(cursor.fetchall())
        except self.error as exc:
            raise self._wrapped(statement, exc) from exc

    @contextmanager
    def copy(self, table: Table, columns: Sequence[str]) -> Iterator[Any]:
        """PostgreSQL: a binary ``COPY table (columns) FROM STDIN``; write rows to it."""
        # Binary COPY spares the server from parsing uuids and timestamps as text.
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        try:
            with self.cursor.copy(statement) as copy:
                copy.set_types(_pg_types(table, tuple(columns), self.conn.dialect))
                yield copy
        except self.error as exc:
            raise self._wrapped(statement, exc) from exc

    def insert(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if self.postgres:
            with self.copy(table, columns) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            names = ", ".join(columns)
            cursor = self.cursor
            marks = ", ".join("?" * len(columns))
            statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
            try:
                cursor.executemany(statement, rows)
            except self.error as exc:
                raise self._wrapped(statement, exc) from exc

    def execute(self, statement: str, params: Sequence[Any]) -> int:
        cursor = self.cursor
        try:
            cursor.execute(statement, params)
        except self.error as exc:
            raise self._wrapped(statement, exc) from exc
        return int(cursor.rowcount)

    def execute_many(self, statement: str, rows: list[tuple[Any, ...]]) -> int:
        cursor = self.cursor
        try:
            cursor.executemany(statement, rows)
        except self.error as exc:
            raise self._wrapped(statement, exc) from exc
        # Both drivers report the total over all rows.
        return int(cursor.rowcount)

"""Column types shared by every context."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Integer, MetaData
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

# One naming convention so Alembic migrations name constraints the same everywhere.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigIntPrimaryKey = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware.

    SQLite has no time zones; without this a naive value would come back and
    comparisons with aware "now" would raise.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class earliest(FunctionElement[datetime]):  # noqa: N801 - used like a SQL function
    """The earliest of its arguments that is not NULL, or NULL when all are: PostgreSQL's
    ``LEAST``, which skips NULLs. SQLite's scalar ``min()`` is NULL as soon as one
    argument is, so there each argument is first coalesced with the others: every
    coalesce then holds a value present among the arguments (its own when it has one),
    and their ``min()`` is the earliest present, or NULL when none is.

    On SQLite each argument is rendered once per argument, bound parameters included."""

    type = UTCDateTime()
    name = "earliest"
    inherit_cache = True


@compiles(earliest)
def _least(element: earliest, compiler: Any, **kw: Any) -> str:
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(earliest, "sqlite")
def _sqlite_earliest(element: earliest, compiler: Any, **kw: Any) -> str:
    parts = [compiler.process(clause, **kw) for clause in element.clauses]
    if len(parts) == 1:
        return str(parts[0])
    coalesced = [
        f"coalesce({', '.join([part, *parts[:n], *parts[n + 1 :]])})"
        for n, part in enumerate(parts)
    ]
    return f"min({', '.join(coalesced)})"

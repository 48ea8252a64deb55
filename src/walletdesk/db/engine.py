"""Engines for SQLite (embedded default) and PostgreSQL (production).

SQLite: WAL journal, ``synchronous`` from settings (FULL by default), a busy
timeout, and every transaction opened with ``BEGIN IMMEDIATE`` so that a writer
takes the write lock up front instead of failing on lock upgrade halfway.
PostgreSQL: psycopg 3, isolation from settings.

Both hide bound parameters from logs and error messages (``hide_parameters``):
they carry one-time codes, password hashes and tokens' hashes, and turning on
SQL logging to debug something must not copy those into log files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from walletdesk.settings import Settings

# Execution option that marks a connection as a writer (set by db.transactions).
WRITE_OPTION = "walletdesk_write"
# Execution option: at most this many milliseconds to wait for the write lock (SQLite's
# busy timeout for this transaction only); unset means the configured busy timeout.
WAIT_MS_OPTION = "walletdesk_wait_ms"


def normalise_url(url: str) -> str:
    """Prefer psycopg 3 for ``postgresql://`` URLs; leave everything else as given."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(settings: Settings) -> Engine:
    """Build the engine the settings describe. Creates the SQLite file's folder if missing."""
    url = normalise_url(settings.database_url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, settings)
    return create_engine(
        url,
        isolation_level=settings.isolation_level,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        hide_parameters=True,
    )


def _sqlite_engine(url: str, settings: Settings) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {
        # Threads share the engine; each checks out its own connection.
        "connect_args": {
            "check_same_thread": False,
            "timeout": settings.sqlite_busy_timeout_ms / 1000,
        },
        "hide_parameters": True,
    }
    if database in {"", ":memory:"}:
        raise ValueError("walletdesk needs a SQLite file, not an in-memory database")
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's begin hook below (pysqlite would
        # otherwise open DEFERRED transactions on its own).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={settings.sqlite_synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={settings.sqlite_busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers (every unit of work, see db/transactions.py) begin IMMEDIATE: they take
        # the write lock up front, so no deadlock on lock upgrade and no lost update.
        # Readers begin DEFERRED: under WAL they neither wait for a writer nor block one.
        options = connection.get_execution_options()
        _set_busy_timeout(connection, options.get(WAIT_MS_OPTION))
        if options.get(WRITE_OPTION, False):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    def _set_busy_timeout(connection: Any, wait_ms: int | None) -> None:
        # A PRAGMA outlives the transaction on a pooled connection, so a shortened wait
        # is put back by the next transaction that does not ask for one.
        info = connection.connection.info
        wanted = settings.sqlite_busy_timeout_ms if wait_ms is None else wait_ms
        if info.get("busy_timeout_ms", settings.sqlite_busy_timeout_ms) != wanted:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={int(wanted)}")
            info["busy_timeout_ms"] = wanted

    return engine

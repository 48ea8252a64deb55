"""Where the ledger benchmark runs: a SQLite file or a scratch PostgreSQL database per
phase, and beside each the baseline — the least the database itself must do per transfer,
hand-written with the raw driver (sqlite3 or psycopg, no SQLAlchemy) at the same
durability setting.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url

from walletdesk.benchmarks.http_environment import ScratchDatabase
from walletdesk.db.engine import make_engine
from walletdesk.db.schema import metadata
from walletdesk.ledger import tables as t
from walletdesk.settings import Settings

SQLITE_SYNCHRONOUS = "FULL"
LEDGER_TABLES = (t.accounts, t.transfers, t.entries, t.holds, t.failed_transfers)
PG_ISOLATION = "READ COMMITTED"

# The baseline's statements: the minimum per transfer, whatever the engine does.
BASELINE_DDL = (
    "CREATE TABLE bench_baseline_acc (id BIGINT PRIMARY KEY, bal BIGINT NOT NULL)",
    "CREATE TABLE bench_baseline_xfer (id BIGINT PRIMARY KEY, debit_id BIGINT NOT NULL,"
    " credit_id BIGINT NOT NULL, amount BIGINT NOT NULL)",
)


def baseline_sql(param: Callable[[str], str]) -> dict[str, str]:
    """The baseline's statements in a driver's parameter style: the minimum per transfer."""
    a, account = param("a"), param("id")
    return {
        "debit": f"UPDATE bench_baseline_acc SET bal = bal - {a}"
        f" WHERE id = {account} AND bal >= {a}",
        "credit": f"UPDATE bench_baseline_acc SET bal = bal + {a} WHERE id = {account}",
        "insert": "INSERT INTO bench_baseline_xfer (id, debit_id, credit_id, amount)"
        f" VALUES ({account}, {param('debit')}, {param('credit')}, {a})",
    }


# (transfer id, debit index, credit index, amount): one unit of work for both sides.
Work = list[tuple[int, int, int, int]]


class Baseline(Protocol):
    def single(self, work: Work) -> None: ...
    def batch(self, work: Work) -> None: ...
    def close(self) -> None: ...


class Backend(Protocol):
    name: str
    version: str

    def fresh_engine(self) -> Engine: ...
    def release_engine(self, engine: Engine) -> None: ...
    def baseline(self, accounts: int, funds: int) -> Baseline: ...


class SqliteBackend:
    """Each phase gets its own database file, deleted afterwards (a 1M history is large)."""

    name = "sqlite"
    version = sqlite3.sqlite_version

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._paths: dict[int, Path] = {}
        self._count = 0

    def fresh_engine(self) -> Engine:
        self._count += 1
        path = self.folder / f"ledger-{self._count}.db"
        settings = Settings(database_url=f"sqlite:///{path}", sqlite_synchronous=SQLITE_SYNCHRONOUS)
        engine = make_engine(settings)
        metadata.create_all(engine)
        self._paths[id(engine)] = path
        return engine

    def release_engine(self, engine: Engine) -> None:
        engine.dispose()
        path = self._paths.pop(id(engine))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def baseline(self, accounts: int, funds: int) -> Baseline:
        return SqliteBaseline(self.folder / "baseline.db", accounts, funds)


class SqliteBaseline:
    """The least SQLite must do per transfer, in the engine's journal and sync mode."""

    def __init__(self, path: Path, accounts: int, funds: int) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        # Autocommit mode: we issue BEGIN IMMEDIATE / COMMIT ourselves, as the engine does.
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        for ddl in BASELINE_DDL:
            self.conn.execute(ddl)
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany(
            "INSERT INTO bench_baseline_acc (id, bal) VALUES (?, ?)",
            [(i, funds) for i in range(accounts)],
        )
        self.conn.execute("COMMIT")
        statements = baseline_sql(lambda name: f":{name}")
        self.debit, self.credit, self.insert = (
            statements["debit"],
            statements["credit"],
            statements["insert"],
        )

    def single(self, work: Work) -> None:
        cur = self.conn.cursor()
        for tid, debit, credit, amount in work:
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(self.debit, {"a": amount, "id": debit})
            if cur.rowcount != 1:
                cur.execute("ROLLBACK")
                raise RuntimeError("baseline debit refused: the benchmark is mis-funded")
            cur.execute(self.credit, {"a": amount, "id": credit})
            cur.execute(self.insert, {"id": tid, "debit": debit, "credit": credit, "a": amount})
            cur.execute("COMMIT")

    def batch(self, work: Work) -> None:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        cur.executemany(self.debit, [{"a": a, "id": d} for _, d, _, a in work])
        if cur.rowcount != len(work):
            cur.execute("ROLLBACK")
            raise RuntimeError("baseline debit refused: the benchmark is mis-funded")
        cur.executemany(self.credit, [{"a": a, "id": c} for _, _, c, a in work])
        cur.executemany(
            self.insert, [{"id": i, "debit": d, "credit": c, "a": a} for i, d, c, a in work]
        )
        cur.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


def conninfo(url: URL) -> str:
    """A libpq URI (what psycopg takes) from a SQLAlchemy URL."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresServer:
    """A scratch database ``walletdesk_bench_<random>``, dropped WITH (FORCE) at the end."""

    name = "postgresql"

    def __init__(self, scratch: ScratchDatabase) -> None:
        self.scratch = scratch
        self.url = make_url(scratch.url)
        self.version = scratch.version
        self._schema_created = False

    @property
    def conninfo(self) -> str:
        return conninfo(self.url)

    @classmethod
    def create(cls, server_url: str) -> PostgresServer:
        return cls(ScratchDatabase.create(server_url, prefix="walletdesk_bench"))

    def fresh_engine(self) -> Engine:
        engine = make_engine(
            Settings(
                database_url=self.url.render_as_string(hide_password=False),
                isolation_level=PG_ISOLATION,
            )
        )
        if not self._schema_created:
            metadata.create_all(engine)
            self._schema_created = True
        else:
            # A new phase starts from empty tables (TRUNCATE gives them new files).
            names = ", ".join(f'"{table.name}"' for table in reversed(metadata.sorted_tables))
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return engine

    def release_engine(self, engine: Engine) -> None:
        engine.dispose()

    def baseline(self, accounts: int, funds: int) -> Baseline:
        return PostgresBaseline(self.conninfo, accounts, funds)

    def drop(self) -> None:
        self.scratch.drop()


class PostgresBaseline:
    """The least PostgreSQL must do per transfer, at the server's durability settings."""

    def __init__(self, conninfo: str, accounts: int, funds: int) -> None:
        self.conn = psycopg.connect(conninfo)
        try:
            self._create_tables(accounts, funds)
        except BaseException:
            self.conn.close()
            raise
        statements = baseline_sql(lambda name: f"%({name})s")
        self.debit, self.credit, self.insert = (
            statements["debit"],
            statements["credit"],
            statements["insert"],
        )

    def _create_tables(self, accounts: int, funds: int) -> None:
        with self.conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_baseline_xfer, bench_baseline_acc")
            for ddl in BASELINE_DDL:
                cur.execute(ddl)
            with cur.copy("COPY bench_baseline_acc (id, bal) FROM STDIN") as copy:
                for i in range(accounts):
                    copy.write_row((i, funds))
        self.conn.commit()

    def single(self, work: Work) -> None:
        with self.conn.cursor() as cur:
            for tid, debit, credit, amount in work:
                cur.execute(self.debit, {"a": amount, "id": debit})
                if cur.rowcount != 1:
                    self.conn.rollback()
                    raise RuntimeError("baseline debit refused: the benchmark is mis-funded")
                cur.execute(self.credit, {"a": amount, "id": credit})
                cur.execute(self.insert, {"id": tid, "debit": debit, "credit": credit, "a": amount})
                self.conn.commit()

    def batch(self, work: Work) -> None:
        # executemany runs in psycopg's pipeline mode: one round trip per batch, not per row.
        with self.conn.cursor() as cur:
            cur.executemany(self.debit, [{"a": a, "id": d} for _, d, _, a in work])
            if cur.rowcount != len(work):
                self.conn.rollback()
                raise RuntimeError("baseline debit refused: the benchmark is mis-funded")
            cur.executemany(self.credit, [{"a": a, "id": c} for _, _, c, a in work])
            cur.executemany(
                self.insert, [{"id": i, "debit": d, "credit": c, "a": a} for i, d, c, a in work]
            )
        self.conn.commit()

    def close(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_baseline_xfer, bench_baseline_acc")
        self.conn.commit()
        self.conn.close()

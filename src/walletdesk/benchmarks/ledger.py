"""The ledger benchmark: transfers/second beside a raw-driver baseline, and read costs.

An absolute figure says little on a shared two-core machine, so every engine figure
sits beside a *baseline measured in the same run*: the least work the database
itself must do for the same transfers, hand-written with the raw driver (sqlite3 or
psycopg, no SQLAlchemy) at the same durability setting — a guarded debit, a credit
and one transfer row in minimal tables. ``ratio = engine / baseline`` is therefore
what the engine keeps of the database's own speed. Engine and baseline repetitions
alternate, so background load falls on both alike, and medians are reported.

Read costs are measured on ledgers of growing size with the history concentrated
on a few accounts: balance reads and transfer pages are index-driven, so their cost
at the largest size should stay close to the cost at the smallest.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import psycopg
import sqlalchemy
from psycopg import sql
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import URL, make_url

from walletdesk.core.clock import SystemClock
from walletdesk.core.ids import new_id
from walletdesk.db.engine import make_engine, normalise_url
from walletdesk.db.schema import metadata
from walletdesk.ledger import tables as t
from walletdesk.ledger.model import (
    AccountFlags,
    AccountKind,
    CreateAccountResult,
    CreateTransferResult,
    NewAccount,
    NewTransfer,
    TransferOutcome,
)
from walletdesk.ledger.service import Ledger
from walletdesk.settings import Settings

CURRENCY = "CNY"
# Enough that no wallet ever runs dry, so every transfer in every scenario succeeds.
WALLET_FUNDS = 10**12
HOT_WALLET_FUNDS = 10**15
# The history benchmark concentrates its transfers on this many wallets.
HOT_ACCOUNTS = 8
HISTORY_BATCH = 8_000
PAGE_LIMIT = 50
# Building a PostgreSQL history larger than this (at the measured batch speed) is
# skipped so the full run stays within its time budget; SQLite still covers it.
PG_HISTORY_BUDGET_SECONDS = 120.0
SQLITE_SYNCHRONOUS = "FULL"
_LEDGER_TABLES = (t.accounts, t.transfers, t.entries, t.holds, t.failed_transfers)
PG_ISOLATION = "READ COMMITTED"

# The baseline's statements: the minimum per transfer, whatever the engine does.
_BASELINE_DDL = (
    "CREATE TABLE bench_baseline_acc (id BIGINT PRIMARY KEY, bal BIGINT NOT NULL)",
    "CREATE TABLE bench_baseline_xfer (id BIGINT PRIMARY KEY, debit_id BIGINT NOT NULL,"
    " credit_id BIGINT NOT NULL, amount BIGINT NOT NULL)",
)


def _baseline_sql(param: Callable[[str], str]) -> dict[str, str]:
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


@dataclass(frozen=True)
class Plan:
    """How much to measure; ``quick`` is a smoke run, the default the real thing."""

    accounts: int
    single_commits: int
    single_repetitions: int
    batch_repetitions: dict[int, int]
    read_calls: int
    read_warmup: int = 20


# Repetitions are many and short so that the median shrugs off the bursts of
# load that other processes put on a shared two-core machine.
FULL_PLAN = Plan(
    accounts=10_000,
    single_commits=2_000,
    single_repetitions=8,
    batch_repetitions={1_000: 9, 8_000: 7},
    read_calls=200,
)
QUICK_PLAN = Plan(
    accounts=2_000,
    single_commits=150,
    single_repetitions=3,
    batch_repetitions={1_000: 3, 8_000: 3},
    read_calls=50,
    read_warmup=5,
)

BACKENDS = ("sqlite", "postgresql")
SCENARIOS = ("single_commit", "batch_1000", "batch_8000")


def _narrowed(plan: Plan, scenarios: Sequence[str] | None) -> Plan:
    """The plan with only the named write scenarios (all of them when ``None``)."""
    if scenarios is None:
        return plan
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        raise ValueError(f"unknown scenarios {sorted(unknown)}; choose from {SCENARIOS}")
    return replace(
        plan,
        single_repetitions=plan.single_repetitions if "single_commit" in scenarios else 0,
        batch_repetitions={
            size: reps
            for size, reps in plan.batch_repetitions.items()
            if f"batch_{size}" in scenarios
        },
    )


# (backend, scenario, metric, minimum): what the engine must reach.
TARGETS: tuple[tuple[str, str, str, float], ...] = (
    ("sqlite", "single_commit", "ratio", 0.6),
    ("sqlite", "batch_1000", "ratio", 0.5),
    ("sqlite", "batch_8000", "ratio", 0.5),
    ("postgresql", "batch_8000", "engine_tps", 20_000.0),
)


def run_all(
    postgres_url: str | None,
    quick: bool,
    history_sizes: list[int],
    *,
    backends: Sequence[str] = BACKENDS,
    scenarios: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Run every scenario on SQLite and, when reachable, PostgreSQL; return the report.

    ``backends`` and ``scenarios`` (``single_commit``, ``batch_1000``, ``batch_8000``)
    narrow a run while iterating on one figure; the defaults measure everything.
    """
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        raise ValueError(f"unknown backends {sorted(unknown)}; choose from {BACKENDS}")
    plan = _narrowed(QUICK_PLAN if quick else FULL_PLAN, scenarios)
    started = time.perf_counter()
    report: dict[str, Any] = {
        "benchmark": "ledger",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": _machine(),
        "plan": _describe_plan(plan, history_sizes),
        "backends": {},
    }
    rng = random.Random(20261125)

    if "sqlite" in backends:
        with tempfile.TemporaryDirectory(prefix="walletdesk-bench-") as folder:
            sqlite_backend = _SqliteBackend(Path(folder))
            report["backends"]["sqlite"] = _run_backend(sqlite_backend, plan, history_sizes, rng)
    else:
        report["backends"]["sqlite"] = {"available": False, "reason": "not asked for"}

    if "postgresql" not in backends:
        report["backends"]["postgresql"] = {"available": False, "reason": "not asked for"}
    elif postgres_url:
        try:
            server = _PostgresServer.create(postgres_url)
        except psycopg.Error as exc:
            reason = f"PostgreSQL not reachable: {type(exc).__name__}: {exc}".strip()
            _log(reason)
            report["backends"]["postgresql"] = {"available": False, "reason": reason}
        else:
            report["machine"]["postgresql_version"] = server.version
            try:
                report["backends"]["postgresql"] = _run_backend(server, plan, history_sizes, rng)
            finally:
                server.drop()
    else:
        report["backends"]["postgresql"] = {"available": False, "reason": "no --postgres-url"}

    report["targets"] = _judge(report["backends"])
    report["all_measured_targets_pass"] = all(
        target["status"] == "pass" for target in report["targets"] if target["status"] != "not_run"
    )
    report["machine"]["load_average_end"] = _load_average()
    report["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    return report


# -- backends ---------------------------------------------------------------------


class _Baseline(Protocol):
    def single(self, work: Work) -> None: ...
    def batch(self, work: Work) -> None: ...
    def close(self) -> None: ...


class _Backend(Protocol):
    name: str
    version: str

    def fresh_engine(self) -> Engine: ...
    def release_engine(self, engine: Engine) -> None: ...
    def baseline(self, accounts: int, funds: int) -> _Baseline: ...


class _SqliteBackend:
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

    def baseline(self, accounts: int, funds: int) -> _Baseline:
        return _SqliteBaseline(self.folder / "baseline.db", accounts, funds)


class _SqliteBaseline:
    """The least SQLite must do per transfer, in the engine's journal and sync mode."""

    def __init__(self, path: Path, accounts: int, funds: int) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        # Autocommit mode: we issue BEGIN IMMEDIATE / COMMIT ourselves, as the engine does.
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        for ddl in _BASELINE_DDL:
            self.conn.execute(ddl)
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany(
            "INSERT INTO bench_baseline_acc (id, bal) VALUES (?, ?)",
            [(i, funds) for i in range(accounts)],
        )
        self.conn.execute("COMMIT")
        statements = _baseline_sql(lambda name: f":{name}")
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


def _conninfo(url: URL) -> str:
    """A libpq URI (what psycopg takes) from a SQLAlchemy URL."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class _PostgresServer:
    """A scratch database ``walletdesk_bench_<random>``, dropped WITH (FORCE) at the end."""

    name = "postgresql"

    def __init__(self, admin_conninfo: str, database: str, url: URL, version: str) -> None:
        self.admin_conninfo = admin_conninfo
        self.database = database
        self.url = url
        self.version = version
        self._schema_created = False

    @property
    def conninfo(self) -> str:
        return _conninfo(self.url)

    @classmethod
    def create(cls, server_url: str) -> _PostgresServer:
        admin_url = make_url(normalise_url(server_url))
        admin_conninfo = _conninfo(admin_url)
        database = f"walletdesk_bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin_conninfo, autocommit=True, connect_timeout=5) as admin:
            row = admin.execute("SHOW server_version").fetchone()
            version = str(row[0]) if row else "unknown"
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        return cls(admin_conninfo, database, admin_url.set(database=database), version)

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

    def baseline(self, accounts: int, funds: int) -> _Baseline:
        return _PostgresBaseline(self.conninfo, accounts, funds)

    def drop(self) -> None:
        with psycopg.connect(self.admin_conninfo, autocommit=True, connect_timeout=5) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.database)
                )
            )


class _PostgresBaseline:
    """The least PostgreSQL must do per transfer, at the server's durability settings."""

    def __init__(self, conninfo: str, accounts: int, funds: int) -> None:
        self.conn = psycopg.connect(conninfo)
        try:
            self._create_tables(accounts, funds)
        except BaseException:
            self.conn.close()
            raise
        statements = _baseline_sql(lambda name: f"%({name})s")
        self.debit, self.credit, self.insert = (
            statements["debit"],
            statements["credit"],
            statements["insert"],
        )

    def _create_tables(self, accounts: int, funds: int) -> None:
        with self.conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_baseline_xfer, bench_baseline_acc")
            for ddl in _BASELINE_DDL:
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


# -- one backend ------------------------------------------------------------------


def _run_backend(
    backend: _Backend, plan: Plan, history_sizes: Sequence[int], rng: random.Random
) -> dict[str, Any]:
    label = backend.name
    result: dict[str, Any] = {"available": True, "version": backend.version}
    started = time.perf_counter()
    result["scenarios"] = _write_scenarios(backend, label, plan, rng)
    batch_tps = result["scenarios"].get("batch_8000", {}).get("engine_tps", 0.0)
    budget = PG_HISTORY_BUDGET_SECONDS if label == "postgresql" else None
    result["read_costs"] = _read_costs(backend, label, plan, history_sizes, rng, batch_tps, budget)
    result["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    return result


def _write_scenarios(
    backend: _Backend, label: str, plan: Plan, rng: random.Random
) -> dict[str, dict[str, Any]]:
    engine = backend.fresh_engine()
    baseline = backend.baseline(plan.accounts, WALLET_FUNDS)
    try:
        ledger = Ledger(engine, SystemClock())
        _log(f"{label}: opening and funding {plan.accounts:,} wallets")
        wallets = _open_wallets(ledger, plan.accounts, WALLET_FUNDS)
        ids = iter(range(1, 1 << 62))

        def draw(count: int) -> Work:
            work: Work = []
            for _ in range(count):
                debit, credit = rng.sample(range(plan.accounts), 2)
                work.append((next(ids), debit, credit, rng.randint(1, 100)))
            return work

        def engine_requests(work: Work) -> list[NewTransfer]:
            return [_transfer(wallets[d], wallets[c], a) for _, d, c, a in work]

        scenarios: dict[str, dict[str, Any]] = {}

        per_rep = max(1, plan.single_commits // max(1, plan.single_repetitions))

        def engine_single(requests: list[NewTransfer]) -> list[TransferOutcome]:
            outcomes: list[TransferOutcome] = []
            for request in requests:
                outcomes.extend(ledger.create_transfers([request]))
            return outcomes

        if plan.single_repetitions:
            _log(f"{label}: {plan.single_commits:,} single-transfer commits")
            scenarios["single_commit"] = _alternate(
                draw,
                engine_requests,
                engine_single,
                baseline.single,
                transfers=per_rep,
                repetitions=plan.single_repetitions,
            )
            scenarios["single_commit"]["transfers_per_commit"] = 1

        for size, repetitions in plan.batch_repetitions.items():
            _log(f"{label}: {repetitions} batches of {size:,}")
            scenario = _alternate(
                draw,
                engine_requests,
                ledger.create_transfers,
                baseline.batch,
                transfers=size,
                repetitions=repetitions,
            )
            scenario["transfers_per_commit"] = size
            scenarios[f"batch_{size}"] = scenario

        # Not timed: the figures count only if the ledger is still consistent.
        problems = ledger.check_invariants()
        for scenario in scenarios.values():
            scenario["invariants_ok"] = not problems
        if problems:
            raise RuntimeError(f"ledger invariants broken after the benchmark: {problems[:3]}")
        return scenarios
    finally:
        baseline.close()
        backend.release_engine(engine)


def _alternate(
    draw: Callable[[int], Work],
    engine_requests: Callable[[Work], list[NewTransfer]],
    run_engine: Callable[[list[NewTransfer]], list[TransferOutcome]],
    run_baseline: Callable[[Work], None],
    *,
    transfers: int,
    repetitions: int,
) -> dict[str, Any]:
    """Time engine and baseline repetitions in turn, after one warm-up of each."""
    engine_tps: list[float] = []
    baseline_tps: list[float] = []
    for repetition in range(repetitions + 1):
        work_engine = draw(transfers)
        requests = engine_requests(work_engine)
        work_baseline = draw(transfers)

        def time_engine(requests: list[NewTransfer] = requests) -> float:
            begin = time.perf_counter()
            outcomes = run_engine(requests)
            elapsed = time.perf_counter() - begin
            _expect_ok(outcomes)
            return transfers / elapsed

        def time_baseline(work: Work = work_baseline) -> float:
            begin = time.perf_counter()
            run_baseline(work)
            return transfers / (time.perf_counter() - begin)

        # Swap who goes first each time so drift in background load hits both alike.
        if repetition % 2:
            first, second = time_baseline(), time_engine()
            pair = (second, first)
        else:
            pair = (time_engine(), time_baseline())
        if repetition == 0:
            continue  # warm-up: statement caches, page cache, pool
        engine_tps.append(pair[0])
        baseline_tps.append(pair[1])
    engine_median = statistics.median(engine_tps)
    baseline_median = statistics.median(baseline_tps)
    return {
        "engine_tps": round(engine_median, 1),
        "baseline_tps": round(baseline_median, 1),
        "ratio": round(engine_median / baseline_median, 3),
        "repetitions": repetitions,
        "transfers_per_repetition": transfers,
        "engine_tps_runs": [round(x, 1) for x in engine_tps],
        "baseline_tps_runs": [round(x, 1) for x in baseline_tps],
    }


# -- read costs as the ledger grows -------------------------------------------------


def _read_costs(
    backend: _Backend,
    label: str,
    plan: Plan,
    sizes: Sequence[int],
    rng: random.Random,
    batch_tps: float,
    budget_seconds: float | None,
) -> dict[str, Any]:
    by_size: dict[str, dict[str, Any]] = {}
    for size in sizes:
        estimate = size / batch_tps if batch_tps > 0 else math.inf
        if budget_seconds is not None and estimate > budget_seconds:
            reason = (
                f"building {size:,} transfers would take ~{estimate:.0f} s at the measured "
                f"{batch_tps:,.0f} transfers/s (budget {budget_seconds:.0f} s); "
                "measured on SQLite only"
            )
            _log(f"{label}: history {size:,} skipped: {reason}")
            by_size[str(size)] = {"skipped": True, "reason": reason}
            continue
        _log(f"{label}: building a history of {size:,} transfers on {HOT_ACCOUNTS} wallets")
        by_size[str(size)] = _read_costs_at(backend, plan, size, rng)
    return {
        "hot_accounts": HOT_ACCOUNTS,
        "page_limit": PAGE_LIMIT,
        "calls": plan.read_calls,
        "by_size": by_size,
        "growth": _growth(by_size),
    }


def _read_costs_at(backend: _Backend, plan: Plan, size: int, rng: random.Random) -> dict[str, Any]:
    engine = backend.fresh_engine()
    try:
        ledger = Ledger(engine, SystemClock())
        hot = _open_wallets(ledger, HOT_ACCOUNTS, HOT_WALLET_FUNDS)
        # Only the engine's calls are timed, not the making of the requests.
        build_seconds = 0.0
        built = 0
        while built < size:
            count = min(HISTORY_BATCH, size - built)
            batch = []
            for _ in range(count):
                debit, credit = rng.sample(hot, 2)
                batch.append(_transfer(debit, credit, rng.randint(1, 100)))
            begin = time.perf_counter()
            outcomes = ledger.create_transfers(batch)
            build_seconds += time.perf_counter() - begin
            _expect_ok(outcomes)
            built += count
        if engine.dialect.name == "postgresql":
            # What autovacuum would do next anyway after a bulk load: without it the
            # planner guesses from empty-table statistics, and an autovacuum of a
            # million fresh rows would run during, and distort, the timed reads.
            tables = ", ".join(table.name for table in _LEDGER_TABLES)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f"VACUUM (ANALYZE) {tables}"))

        account = hot[0]
        with engine.connect() as conn:
            lowest, highest = conn.execute(
                select(func.min(t.transfers.c.seq), func.max(t.transfers.c.seq))
            ).one()
        # A cursor 90% of the way back into history: the page after it is among the oldest.
        deep_cursor = format(lowest + (highest - lowest) // 10, "x")
        deep_items = len(
            ledger.account_transfers(account, limit=PAGE_LIMIT, cursor=deep_cursor).items
        )
        first_items = len(ledger.account_transfers(account, limit=PAGE_LIMIT).items)
        return {
            "transfers": size,
            "build_seconds": round(build_seconds, 2),
            "build_tps": round(size / build_seconds, 1) if build_seconds > 0 else None,
            "get_account": _time_calls(lambda: ledger.get_account(account), plan),
            "transfers_first_page": {
                **_time_calls(lambda: ledger.account_transfers(account, limit=PAGE_LIMIT), plan),
                "items": first_items,
            },
            "transfers_deep_page": {
                **_time_calls(
                    lambda: ledger.account_transfers(account, limit=PAGE_LIMIT, cursor=deep_cursor),
                    plan,
                ),
                "items": deep_items,
                "cursor_seq": int(deep_cursor, 16),
            },
        }
    finally:
        backend.release_engine(engine)


def _time_calls(call: Callable[[], object], plan: Plan) -> dict[str, float]:
    for _ in range(plan.read_warmup):
        call()
    samples: list[int] = []
    for _ in range(plan.read_calls):
        begin = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - begin)
    samples.sort()
    p95 = samples[max(0, math.ceil(0.95 * len(samples)) - 1)]
    return {
        "median_us": round(statistics.median(samples) / 1000, 1),
        "p95_us": round(p95 / 1000, 1),
    }


_READS = ("get_account", "transfers_first_page", "transfers_deep_page")


def _growth(by_size: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Cost at the largest measured size over cost at the smallest (1.0 = flat)."""
    measured = sorted(
        (int(size), data) for size, data in by_size.items() if not data.get("skipped")
    )
    if len(measured) < 2:
        return {}
    (small, low), (large, high) = measured[0], measured[-1]
    growth: dict[str, Any] = {"from": small, "to": large}
    for read in _READS:
        growth[read] = {
            "median_ratio": round(high[read]["median_us"] / low[read]["median_us"], 2),
            "p95_ratio": round(high[read]["p95_us"] / low[read]["p95_us"], 2),
        }
    return growth


# -- helpers --------------------------------------------------------------------------


def _open_wallets(ledger: Ledger, count: int, funds: int) -> list[uuid.UUID]:
    """A funding account and ``count`` customer wallets, each funded with ``funds``."""
    funding = new_id()
    _expect_accounts(ledger.create_accounts([NewAccount(funding, CURRENCY, AccountKind.FUNDING)]))
    wallets = [new_id() for _ in range(count)]
    for start in range(0, count, 5_000):
        chunk = wallets[start : start + 5_000]
        _expect_accounts(
            ledger.create_accounts(
                [
                    NewAccount(
                        wallet,
                        CURRENCY,
                        AccountKind.CUSTOMER_WALLET,
                        AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
                    )
                    for wallet in chunk
                ]
            )
        )
        _expect_ok(ledger.create_transfers([_transfer(funding, w, funds) for w in chunk]))
    return wallets


def _transfer(debit: uuid.UUID, credit: uuid.UUID, amount: int) -> NewTransfer:
    return NewTransfer(
        id=new_id(),
        debit_account_id=debit,
        credit_account_id=credit,
        amount=amount,
        currency=CURRENCY,
        code="bench",
    )


def _expect_ok(outcomes: Sequence[TransferOutcome]) -> None:
    refused = [o for o in outcomes if o.result is not CreateTransferResult.OK]
    if refused:
        raise RuntimeError(f"{len(refused)} benchmark transfers refused, e.g. {refused[0]}")


def _expect_accounts(outcomes: Sequence[Any]) -> None:
    if any(o.result is not CreateAccountResult.OK for o in outcomes):
        raise RuntimeError("benchmark accounts could not be opened")


def _judge(backends: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    judged: list[dict[str, Any]] = []
    for backend, scenario, metric, minimum in TARGETS:
        figures = backends.get(backend, {}).get("scenarios", {}).get(scenario)
        value = None if figures is None else figures[metric]
        status = "not_run" if value is None else "pass" if value >= minimum else "fail"
        judged.append(
            {
                "backend": backend,
                "scenario": scenario,
                "metric": metric,
                "minimum": minimum,
                "value": value,
                "status": status,
                "pass": None if value is None else status == "pass",
            }
        )
    return judged


def _machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite_version": sqlite3.sqlite_version,
        "postgresql_version": None,
        "sqlalchemy": sqlalchemy.__version__,
        "psycopg": psycopg.__version__,
        "load_average_start": _load_average(),
    }


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _describe_plan(plan: Plan, history_sizes: Sequence[int]) -> dict[str, Any]:
    return {
        "accounts": plan.accounts,
        "single_commits": plan.single_commits,
        "single_repetitions": plan.single_repetitions,
        "batch_repetitions": {str(k): v for k, v in plan.batch_repetitions.items()},
        "history_sizes": list(history_sizes),
        "history_batch": HISTORY_BATCH,
        "read_calls": plan.read_calls,
        "sqlite_synchronous": SQLITE_SYNCHRONOUS,
        "sqlite_journal_mode": "WAL",
        "postgresql_isolation": PG_ISOLATION,
        "baseline": (
            "raw driver, own minimal tables: guarded debit UPDATE, credit UPDATE, one "
            "transfer INSERT; single = one transaction per transfer, batches = one "
            "transaction per batch with executemany"
        ),
    }


def _log(message: str) -> None:
    # stdout carries the JSON report; progress goes to stderr.
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m walletdesk.benchmarks.ledger``: a narrowed run while iterating.

    The full, recorded run is ``walletdesk bench ledger``; this adds ``--backend``
    and ``--scenario`` (each repeatable) and takes ``--history-sizes ''`` to skip
    the read benchmark.
    """
    parser = argparse.ArgumentParser(prog="python -m walletdesk.benchmarks.ledger")
    parser.add_argument("--postgres-url")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--history-sizes", default="10000,1000000")
    parser.add_argument("--backend", action="append", choices=BACKENDS)
    parser.add_argument("--scenario", action="append", choices=SCENARIOS)
    args = parser.parse_args(argv)
    report = run_all(
        postgres_url=args.postgres_url,
        quick=args.quick,
        history_sizes=[int(s) for s in args.history_sizes.split(",") if s.strip()],
        backends=args.backend or BACKENDS,
        scenarios=args.scenario,
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()

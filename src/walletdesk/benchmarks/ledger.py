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
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy

from walletdesk.benchmarks.http_environment import load_average
from walletdesk.benchmarks.ledger_backends import (
    PG_ISOLATION,
    SQLITE_SYNCHRONOUS,
    Backend,
    PostgresServer,
    SqliteBackend,
    Work,
)
from walletdesk.benchmarks.ledger_reads import read_costs
from walletdesk.benchmarks.ledger_workload import (
    FULL_PLAN,
    HISTORY_BATCH,
    PG_HISTORY_BUDGET_SECONDS,
    QUICK_PLAN,
    WALLET_FUNDS,
    Plan,
    expect_ok,
    log,
    open_wallets,
    transfer,
)
from walletdesk.core.clock import SystemClock
from walletdesk.ledger.model import (
    NewTransfer,
    TransferOutcome,
)
from walletdesk.ledger.service import Ledger

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
            sqlite_backend = SqliteBackend(Path(folder))
            report["backends"]["sqlite"] = _run_backend(sqlite_backend, plan, history_sizes, rng)
    else:
        report["backends"]["sqlite"] = {"available": False, "reason": "not asked for"}

    if "postgresql" not in backends:
        report["backends"]["postgresql"] = {"available": False, "reason": "not asked for"}
    elif postgres_url:
        try:
            server = PostgresServer.create(postgres_url)
        except psycopg.Error as exc:
            reason = f"PostgreSQL not reachable: {type(exc).__name__}: {exc}".strip()
            log(reason)
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
    report["machine"]["load_average_end"] = load_average()
    report["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    return report


# -- one backend ------------------------------------------------------------------


def _run_backend(
    backend: Backend, plan: Plan, history_sizes: Sequence[int], rng: random.Random
) -> dict[str, Any]:
    label = backend.name
    result: dict[str, Any] = {"available": True, "version": backend.version}
    started = time.perf_counter()
    result["scenarios"] = _write_scenarios(backend, label, plan, rng)
    batch_tps = result["scenarios"].get("batch_8000", {}).get("engine_tps", 0.0)
    budget = PG_HISTORY_BUDGET_SECONDS if label == "postgresql" else None
    result["read_costs"] = read_costs(backend, label, plan, history_sizes, rng, batch_tps, budget)
    result["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    return result


def _write_scenarios(
    backend: Backend, label: str, plan: Plan, rng: random.Random
) -> dict[str, dict[str, Any]]:
    engine = backend.fresh_engine()
    baseline = backend.baseline(plan.accounts, WALLET_FUNDS)
    try:
        ledger = Ledger(engine, SystemClock())
        log(f"{label}: opening and funding {plan.accounts:,} wallets")
        wallets = open_wallets(ledger, plan.accounts, WALLET_FUNDS)
        ids = iter(range(1, 1 << 62))

        def draw(count: int) -> Work:
            work: Work = []
            for _ in range(count):
                debit, credit = rng.sample(range(plan.accounts), 2)
                work.append((next(ids), debit, credit, rng.randint(1, 100)))
            return work

        def engine_requests(work: Work) -> list[NewTransfer]:
            return [transfer(wallets[d], wallets[c], a) for _, d, c, a in work]

        scenarios: dict[str, dict[str, Any]] = {}

        per_rep = max(1, plan.single_commits // max(1, plan.single_repetitions))

        def engine_single(requests: list[NewTransfer]) -> list[TransferOutcome]:
            outcomes: list[TransferOutcome] = []
            for request in requests:
                outcomes.extend(ledger.create_transfers([request]))
            return outcomes

        if plan.single_repetitions:
            log(f"{label}: {plan.single_commits:,} single-transfer commits")
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
            log(f"{label}: {repetitions} batches of {size:,}")
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
            expect_ok(outcomes)
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
        "load_average_start": load_average(),
    }


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

"""The HTTP benchmark: merchant payments per second and their latency through the real server.

The path measured is the one a customer's app takes: ``POST
/api/v1/payment-intents/{id}/pay`` with a session bearer token, served by uvicorn
running :func:`walletdesk.api.app.create_app` in its own process(es), against a
SQLite file (WAL, ``synchronous=FULL``) and a scratch PostgreSQL database.

* **Data** is prepared through the services, not over HTTP: one merchant (with a
  webhook URL, so each payment also queues its webhook), ``customers`` customers
  registered by phone, each with a card, KYC tier III and a large top-up, logged in
  with :func:`walletdesk.identity.authentication.do_login` (cheap argon2 here: it
  is not on the payment path and is measured by ``bench identity``), and one
  payment intent per payment to make, made by
  :func:`walletdesk.wallet.payments.do_create_intent`.
* **The server** is ``python -m uvicorn walletdesk.benchmarks.http:create_server_app
  --factory --workers N``: each worker builds its own container from the
  environment, as ``walletdesk serve`` does (log level ``info``, so the access log
  is on, as in ``walletdesk serve``); the alert dispatcher is not started in the
  server (production runs ``walletdesk worker``), so alerts queue in the outbox.
* **The load** comes from another process: ``clients`` asyncio tasks, each with one
  keep-alive HTTP/1.1 connection to 127.0.0.1 written with plain asyncio streams
  (the cheapest client, so it takes as little CPU from the server as possible).
  Each client pays its own intents, rotating over its own customers, so no one
  wallet row is the only lock. Closed loop: a client sends its next request when
  the previous one is answered. Requests completed in the first ``warmup`` seconds
  are not counted; the measured window is the next ``seconds``.
* **The baseline**, in the same run and the same server, is the same load against
  ``GET /api/v1/health`` (routing, one dependency, one ``SELECT 1``): the
  server's floor. ``payments_to_health`` says how much of that floor a payment keeps.

With ``clients`` requests always in flight, Little's law ties the two targets
together: mean latency = clients / throughput, so at 50 clients 1,000 payments/s
means a 50 ms *mean*; a p99 within 50 ms needs well over 1,000/s.

Every figure is JSON; nothing is judged by eye. CPU use of the server's processes,
of the load generator and of the whole machine during the window is reported too,
since the load generator and the database share the same two cores.

This module runs the benchmark and judges the report. Beside it: http_data.py
(preparing the data), http_server.py (uvicorn's process), http_load.py (the load
generator's process), http_cpu.py (CPU accounting) and http_environment.py (the
scratch PostgreSQL database and the machine's description).
"""

from __future__ import annotations

import math
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy import and_, func, select

from walletdesk.api.app import create_app
from walletdesk.benchmarks.http_data import CURRENCY, PAYMENT_AMOUNT, create_intents, prepare_data
from walletdesk.benchmarks.http_environment import (
    ScratchDatabase,
    load_average,
    machine_description,
)
from walletdesk.benchmarks.http_load import run_load
from walletdesk.benchmarks.http_server import running_server
from walletdesk.bootstrap import Container, build
from walletdesk.db import migrate
from walletdesk.settings import Settings
from walletdesk.wallet import tables as t
from walletdesk.wallet.merchants import Merchant

if TYPE_CHECKING:
    from fastapi import FastAPI

TARGET_PAYMENTS_PER_SECOND = 1_000.0
TARGET_P99_MS = 50.0
DEFAULT_CUSTOMERS = 200
DEFAULT_WORKERS = (1, 2)
# The pool of intents: enough for the health baseline's rate (a payment cannot be
# faster than the floor) plus this margin, for the warm-up and the measured window.
POOL_MARGIN = 1.3
MAX_INTENTS = 150_000


def run_http_bench(
    postgres_url: str | None,
    seconds: float,
    clients: int = 50,
    *,
    workers: Sequence[int] = DEFAULT_WORKERS,
    customers: int = DEFAULT_CUSTOMERS,
    warmup: float | None = None,
) -> dict[str, Any]:
    """Run the HTTP benchmark on SQLite and, when reachable, PostgreSQL; return the report.

    ``seconds`` is the measured window of each load (health, then payments), after
    ``warmup`` seconds (default: 10% of it, at least 2 s, so that each client has paid
    for each of its customers before the window opens). Each server configuration in
    ``workers`` (uvicorn worker processes) is measured in turn on the same data.
    """
    if seconds <= 0 or clients < 1 or customers < 1 or not workers:
        raise ValueError("seconds, clients, customers and workers must be positive")
    warm = max(2.0, seconds / 10) if warmup is None else warmup
    started = time.perf_counter()
    report: dict[str, Any] = {
        "benchmark": "http",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_description(),
        "parameters": {
            "seconds": seconds,
            "warmup_seconds": warm,
            "clients": clients,
            "customers": customers,
            "workers": list(workers),
            "payment_amount_minor": PAYMENT_AMOUNT,
            "currency": CURRENCY,
            "server": "python -m uvicorn walletdesk.benchmarks.http:create_server_app"
            " --factory --workers N --log-level info (access log on, as walletdesk serve)",
            "load_generator": "one separate process, asyncio streams, one keep-alive"
            " HTTP/1.1 connection per client, closed loop, 127.0.0.1 only",
            "sqlite": "WAL, synchronous=FULL (the Settings default)",
            "postgresql": "READ COMMITTED (the Settings default), server's own durability",
        },
        "backends": {},
    }
    with tempfile.TemporaryDirectory(prefix="walletdesk-bench-http-") as folder:
        url = f"sqlite:///{Path(folder) / 'http.db'}"
        report["backends"]["sqlite"] = _run_backend(
            "sqlite", url, Path(folder), seconds, warm, clients, customers, workers
        )
        if postgres_url:
            try:
                scratch = ScratchDatabase.create(postgres_url)
            except psycopg.Error as exc:
                reason = f"PostgreSQL not reachable: {type(exc).__name__}: {exc}".strip()
                _log(reason)
                report["backends"]["postgresql"] = {"available": False, "reason": reason}
            else:
                report["machine"]["postgresql_version"] = scratch.version
                try:
                    report["backends"]["postgresql"] = _run_backend(
                        "postgresql",
                        scratch.url,
                        Path(folder),
                        seconds,
                        warm,
                        clients,
                        customers,
                        workers,
                        scratch=scratch,
                    )
                finally:
                    scratch.drop()
        else:
            report["backends"]["postgresql"] = {"available": False, "reason": "no --postgres-url"}
    report["targets"] = _judge(report["backends"])
    judged = [t for t in report["targets"] if t["status"] != "not_run"]
    report["all_targets_pass"] = bool(judged) and all(t["status"] == "pass" for t in judged)
    report["machine"]["load_average_end"] = load_average()
    report["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    return report


def create_server_app() -> FastAPI:
    """The uvicorn factory: each worker process builds its own container from the environment."""
    return create_app(build(Settings()))


# -- one backend ---------------------------------------------------------------------


def _run_backend(
    name: str,
    url: str,
    folder: Path,
    seconds: float,
    warm: float,
    clients: int,
    customers: int,
    workers: Sequence[int],
    *,
    scratch: ScratchDatabase | None = None,
) -> dict[str, Any]:
    _log(f"{name}: migrating and preparing {customers} customers")
    migrate.upgrade(url)
    if scratch is not None:
        scratch.fast_setup(True)
    # Setup commits need not reach the disk, and argon2 is measured by `bench identity`.
    setup_settings = Settings(
        database_url=url,
        sqlite_synchronous="NORMAL",
        argon2_time_cost=1,
        argon2_memory_kib=64,
        argon2_parallelism=1,
    )
    container = build(setup_settings)
    try:
        prepare_started = time.perf_counter()
        merchant, tokens = prepare_data(container, customers)
        prepared_in = time.perf_counter() - prepare_started
        if scratch is not None:
            scratch.fast_setup(False)
        runs = []
        for count in workers:
            runs.append(
                _run_configuration(
                    name, url, folder, container, merchant, tokens, count, seconds, warm, clients
                )
            )
        invariants = container.ledger.check_invariants()
    finally:
        container.close()
    return {
        "available": True,
        "version": scratch.version if scratch else sqlite3.sqlite_version,
        "setup_seconds": round(prepared_in, 1),
        "runs": runs,
        "ledger_invariants_ok": not invariants,
    }


def _run_configuration(
    backend: str,
    url: str,
    folder: Path,
    container: Container,
    merchant: Merchant,
    tokens: list[str],
    workers: int,
    seconds: float,
    warm: float,
    clients: int,
) -> dict[str, Any]:
    prefix = f"bench-w{workers}-{uuid.uuid4().hex[:6]}"
    log_path = folder / f"uvicorn-{backend}-w{workers}.log"
    with running_server(url, workers, log_path) as (port, pid):
        _log(f"{backend}, {workers} worker(s): health baseline, {clients} clients, {seconds} s")
        health = run_load(port, pid, "health", clients, seconds, warm, tokens=[], intents=[])
        rate = min(max(health["requests_per_second"], 1.0), 4 * TARGET_PAYMENTS_PER_SECOND)
        pool = min(MAX_INTENTS, math.ceil(rate * POOL_MARGIN * (seconds + warm)) + 4 * clients)
        _log(f"{backend}, {workers} worker(s): creating {pool} payment intents")
        created = time.perf_counter()
        intents = create_intents(container, merchant, pool, prefix)
        created_in = time.perf_counter() - created
        _log(f"{backend}, {workers} worker(s): payments, {clients} clients, {seconds} s")
        pay = run_load(port, pid, "pay", clients, seconds, warm, tokens=tokens, intents=intents)
    with container.engine.connect() as conn:
        succeeded = conn.execute(
            select(func.count())
            .select_from(t.payments)
            .where(
                and_(t.payments.c.order_ref.like(f"{prefix}-%"), t.payments.c.status == "succeeded")
            )
        ).scalar_one()
    ratio = (
        pay["requests_per_second"] / health["requests_per_second"]
        if health["requests_per_second"]
        else None
    )
    return {
        "workers": workers,
        "payments_per_second": pay["requests_per_second"],
        "p50_ms": pay["p50_ms"],
        "p99_ms": pay["p99_ms"],
        "errors": pay["errors"],
        "payments": pay,
        "health": health,
        "payments_to_health": round(ratio, 3) if ratio is not None else None,
        "intents_created": pool,
        "intents_created_per_second": round(pool / created_in, 1) if created_in else None,
        "consistency": {
            "succeeded_responses": pay["ok_total"],
            "succeeded_in_database": succeeded,
            "match": succeeded == pay["ok_total"],
        },
        "targets": {
            "payments_per_second": _status(
                pay["requests_per_second"] >= TARGET_PAYMENTS_PER_SECOND
            ),
            "p99_ms": _status(pay["p99_ms"] is not None and pay["p99_ms"] <= TARGET_P99_MS),
        },
    }


def _status(ok: bool) -> str:
    return "pass" if ok else "fail"


def _judge(backends: dict[str, Any]) -> list[dict[str, Any]]:
    targets: list[dict[str, Any]] = []
    for backend in ("sqlite", "postgresql"):
        result = backends.get(backend, {})
        if not result.get("available"):
            for metric, target in (
                ("payments_per_second", f">= {TARGET_PAYMENTS_PER_SECOND:g}"),
                ("p99_ms", f"<= {TARGET_P99_MS:g}"),
            ):
                targets.append(
                    {
                        "backend": backend,
                        "workers": None,
                        "metric": metric,
                        "target": target,
                        "value": None,
                        "status": "not_run",
                    }
                )
            continue
        for run in result["runs"]:
            targets.append(
                {
                    "backend": backend,
                    "workers": run["workers"],
                    "metric": "payments_per_second",
                    "target": f">= {TARGET_PAYMENTS_PER_SECOND:g}",
                    "value": run["payments_per_second"],
                    "status": run["targets"]["payments_per_second"],
                }
            )
            targets.append(
                {
                    "backend": backend,
                    "workers": run["workers"],
                    "metric": "p99_ms",
                    "target": f"<= {TARGET_P99_MS:g}",
                    "value": run["p99_ms"],
                    "status": run["targets"]["p99_ms"],
                }
            )
    return targets


def _log(message: str) -> None:
    # stdout carries the JSON report; progress goes to stderr.
    print(f"[bench http] {message}", file=sys.stderr, flush=True)

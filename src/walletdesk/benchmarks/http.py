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
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import math
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import psycopg
from psycopg import sql
from sqlalchemy import and_, func, select
from sqlalchemy.engine import make_url

from walletdesk.api.app import create_app
from walletdesk.bootstrap import Container, build
from walletdesk.db import migrate
from walletdesk.db.engine import normalise_url
from walletdesk.identity import changes, verification
from walletdesk.identity.accounts import do_register
from walletdesk.identity.authentication import do_login
from walletdesk.identity.model import KycTier, Principal, RequestContext, VerificationMethod
from walletdesk.identity.staff import console_operator
from walletdesk.settings import Settings
from walletdesk.wallet import tables as t
from walletdesk.wallet.funding import do_fund
from walletdesk.wallet.merchants import Merchant, do_create_merchant
from walletdesk.wallet.payments import do_create_intent

if TYPE_CHECKING:
    from fastapi import FastAPI

TARGET_PAYMENTS_PER_SECOND = 1_000.0
TARGET_P99_MS = 50.0
CURRENCY = "CNY"
# 0.10 CNY: tier III's single-factor daily spend limit (1,000 CNY) allows 10,000 a day each.
PAYMENT_AMOUNT = 10
TOPUP_AMOUNT = 10_000_000  # 100,000 CNY per customer: never short of funds
PASSWORD = "Bench-Wallet-2026!"  # noqa: S105 - throwaway accounts in a scratch database
ID_NUMBER = "11010519491231002X"  # a valid (checksummed) test resident ID
DEFAULT_CUSTOMERS = 200
DEFAULT_WORKERS = (1, 2)
# The pool of intents: enough for the health baseline's rate (a payment cannot be
# faster than the floor) plus this margin, for the warm-up and the measured window.
POOL_MARGIN = 1.3
MAX_INTENTS = 150_000
REQUEST_TIMEOUT = 10.0
SERVER_START_TIMEOUT = 60.0
SERVER_STOP_TIMEOUT = 15.0
HEALTH = "/api/v1/health"


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
        "machine": _machine(),
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
                scratch = _ScratchDatabase.create(postgres_url)
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
    report["machine"]["load_average_end"] = _load_average()
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
    scratch: _ScratchDatabase | None = None,
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
        merchant, tokens = _prepare(container, customers)
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


def _prepare(container: Container, customers: int) -> tuple[Merchant, list[str]]:
    """One merchant and ``customers`` funded, tier III customers; returns their session tokens."""
    ctx = RequestContext(source_ip="127.0.0.1", user_agent="walletdesk-bench", country="CN")
    merchant, _key = do_create_merchant(
        container.wallet,
        actor=console_operator(container.clock.now()),
        name="Bench Tea House",
        currency=CURRENCY,
        refund_policy=None,
        webhook_url="https://shop.example/hooks",
        ctx=ctx,
    )
    tokens = []
    for index in range(customers):
        phone = f"+86139{index:08d}"
        user = do_register(
            container.identity,
            phone=phone,
            email=None,
            password=PASSWORD,
            display_name=f"Bench customer {index}",
            locale="zh-CN",
            ctx=ctx,
        )
        principal = Principal(user=user, session_id=None)
        proof = verification.do_verify(
            container.identity,
            principal,
            method=VerificationMethod.PASSWORD,
            password=PASSWORD,
            code=None,
            ctx=ctx,
        )
        card = changes.do_add_card(
            container.identity,
            principal,
            number="4242424242424242",
            expiry_month=12,
            expiry_year=2031,
            verification_token=proof.token,
            ctx=ctx,
        )
        kyc = changes.do_submit_kyc(
            container.identity,
            principal,
            requested=KycTier.III,
            full_name="李雷",
            id_type="cn_resident_id",
            id_number=ID_NUMBER,
            selfie_provided=True,
            ctx=ctx,
        )
        if kyc["tier"] != KycTier.III.value:
            raise RuntimeError(f"KYC granted {kyc['tier']}, not III: {kyc['reasons']}")
        funded = do_fund(
            container.wallet,
            user,
            kind="topup",
            amount=TOPUP_AMOUNT,
            currency=CURRENCY,
            card_id=uuid.UUID(card["id"]),
            idempotency_key=f"bench-topup-{index}",
            locale="en",
        )
        if funded["status"] != "succeeded":
            raise RuntimeError(f"the bench top-up did not succeed: {funded['status']}")
        session = do_login(
            container.identity,
            login=phone,
            password=PASSWORD,
            totp_code=None,
            recovery_code=None,
            ctx=ctx,
        )
        tokens.append(session.token)
    return merchant, tokens


def _create_intents(container: Container, merchant: Merchant, count: int, prefix: str) -> list[str]:
    return [
        do_create_intent(
            container.wallet,
            merchant,
            amount=PAYMENT_AMOUNT,
            currency=CURRENCY,
            order_ref=f"{prefix}-{index}",
            description="bench",
            expires_in=3600,
        )["id"]
        for index in range(count)
    ]


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
    with _server(url, workers, log_path) as (port, pid):
        _log(f"{backend}, {workers} worker(s): health baseline, {clients} clients, {seconds} s")
        health = _load(port, pid, "health", clients, seconds, warm, tokens=[], intents=[])
        rate = min(max(health["requests_per_second"], 1.0), 4 * TARGET_PAYMENTS_PER_SECOND)
        pool = min(MAX_INTENTS, math.ceil(rate * POOL_MARGIN * (seconds + warm)) + 4 * clients)
        _log(f"{backend}, {workers} worker(s): creating {pool} payment intents")
        created = time.perf_counter()
        intents = _create_intents(container, merchant, pool, prefix)
        created_in = time.perf_counter() - created
        _log(f"{backend}, {workers} worker(s): payments, {clients} clients, {seconds} s")
        pay = _load(port, pid, "pay", clients, seconds, warm, tokens=tokens, intents=intents)
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


# -- the server ----------------------------------------------------------------------


@contextmanager
def _server(url: str, workers: int, log_path: Path) -> Iterator[tuple[int, int]]:
    """uvicorn in its own process group on a free port; yields (port, pid); always stopped."""
    port = _free_port()
    env = {**os.environ, "WALLETDESK_DATABASE_URL": url}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "walletdesk.benchmarks.http:create_server_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "info",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            _wait_until_healthy(process, port, log_path)
            yield port, process.pid
        finally:
            _stop(process)


def _wait_until_healthy(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited ({process.returncode}): {_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{HEALTH}", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"uvicorn did not answer {HEALTH} in time: {_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (ours: it was started in a new session), then KILL."""
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=SERVER_STOP_TIMEOUT)
    # Workers of a multi-process server leave with their group.
    _signal_group(process.pid, signal.SIGKILL)


def _signal_group(pid: int, signum: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# -- the load generator (its own process) ----------------------------------------------


def _load(
    port: int,
    server_pid: int,
    kind: str,
    clients: int,
    seconds: float,
    warm: float,
    *,
    tokens: list[str],
    intents: list[str],
) -> dict[str, Any]:
    """Run one load in a separate process (``python -m walletdesk.benchmarks.http``)."""
    spec = {
        "port": port,
        "server_pid": server_pid,
        "kind": kind,
        "clients": clients,
        "seconds": seconds,
        "warmup": warm,
        "tokens": tokens,
        "intents": intents,
    }
    budget = warm + seconds + REQUEST_TIMEOUT + 30
    with tempfile.TemporaryFile() as stderr:
        done = subprocess.run(
            [sys.executable, "-m", "walletdesk.benchmarks.http"],
            input=json.dumps(spec).encode(),
            stdout=subprocess.PIPE,
            stderr=stderr,
            timeout=budget,
            check=False,
        )
        if done.returncode != 0:
            stderr.seek(0)
            raise RuntimeError(f"load generator failed: {stderr.read().decode()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@dataclass
class _Tally:
    warm_end: float
    end: float
    # (completed at, latency) of every successful request, warm-up included.
    answered: list[tuple[float, float]]
    ok_total: int = 0
    errors: int = 0
    error_kinds: dict[str, int] | None = None
    exhausted: int = 0
    # When the first client ran out of intents: the window ends there, not later.
    exhausted_at: float | None = None

    def error(self, kind: str) -> None:
        self.errors += 1
        if self.error_kinds is None:
            self.error_kinds = {}
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


def _loadgen_main(spec: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_loadgen(spec))


async def _loadgen(spec: dict[str, Any]) -> dict[str, Any]:
    port: int = spec["port"]
    clients: int = spec["clients"]
    kind: str = spec["kind"]
    tokens: list[str] = spec["tokens"]
    intents: list[str] = spec["intents"]
    server_pids = _process_tree(spec["server_pid"])
    start = time.perf_counter()
    tally = _Tally(
        warm_end=start + spec["warmup"], end=start + spec["warmup"] + spec["seconds"], answered=[]
    )
    host = f"127.0.0.1:{port}".encode()
    requests: list[list[bytes]] = []
    for client in range(clients):
        if kind == "health":
            requests.append(
                [b"GET " + HEALTH.encode() + b" HTTP/1.1\r\nHost: " + host + b"\r\n\r\n"]
            )
            continue
        own = tokens[client::clients] or [tokens[client % len(tokens)]]
        mine = intents[client::clients]
        requests.append(
            [
                b"POST /api/v1/payment-intents/"
                + intent.encode()
                + b"/pay HTTP/1.1\r\nHost: "
                + host
                + b"\r\nAuthorization: Bearer "
                + own[n % len(own)].encode()
                + b"\r\nContent-Length: 0\r\n\r\n"
                for n, intent in enumerate(mine)
            ]
        )
    sampler = asyncio.create_task(_sample_cpu(tally, server_pids))
    # Clients join one at a time: each connects once the previous one has had its
    # first answer. All connecting at once would let one worker process accept them
    # all in a single pass (asyncio accepts a whole backlog per wake-up).
    joined = [asyncio.Event() for _ in range(clients)]
    await asyncio.gather(
        *(
            _client(port, requests[i], kind == "health", tally, joined[i - 1] if i else None, ready)
            for i, ready in enumerate(joined)
        )
    )
    cpu = await sampler
    end = min(tally.end, tally.exhausted_at or tally.end)
    window = end - tally.warm_end
    latencies = sorted(lat for done, lat in tally.answered if tally.warm_end <= done <= end)
    count = len(latencies)
    return {
        "requests_per_second": round(count / window, 1) if window > 0 else 0.0,
        "measured_requests": count,
        "window_seconds": round(window, 3),
        "p50_ms": _percentile_ms(latencies, 50),
        "p90_ms": _percentile_ms(latencies, 90),
        "p99_ms": _percentile_ms(latencies, 99),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
        "mean_ms": round(sum(latencies) / count * 1000, 2) if count else None,
        "errors": tally.errors,
        "error_kinds": tally.error_kinds or {},
        "ok_total": tally.ok_total,
        "clients_out_of_intents": tally.exhausted,
        "cpu": _cpu_summary(cpu, count),
    }


async def _client(
    port: int,
    requests: list[bytes],
    repeat: bool,
    tally: _Tally,
    after: asyncio.Event | None,
    ready: asyncio.Event,
) -> None:
    """One connection, one request at a time until the window ends (or its intents do).

    Starts when ``after`` is set; sets ``ready`` once its first request is answered.
    """
    stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    index = 0
    try:
        if after is not None:
            try:
                await asyncio.wait_for(after.wait(), max(0.0, tally.end - time.perf_counter()))
            except TimeoutError:
                return
        while time.perf_counter() < tally.end:
            if index:
                ready.set()
            if index >= len(requests):
                if not repeat:
                    tally.exhausted += 1
                    if tally.exhausted_at is None:
                        tally.exhausted_at = time.perf_counter()
                    return
                index = 0
            request = requests[index]
            index += 1
            sent = time.perf_counter()
            try:
                if stream is None:
                    stream = await asyncio.wait_for(
                        asyncio.open_connection("127.0.0.1", port), REQUEST_TIMEOUT
                    )
                status, close = await asyncio.wait_for(_exchange(*stream, request), REQUEST_TIMEOUT)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                tally.error(type(exc).__name__)
                close = True
            else:
                done = time.perf_counter()
                if status == 200:
                    tally.ok_total += 1
                    tally.answered.append((done, done - sent))
                else:
                    tally.error(f"http_{status}")
            if close and stream is not None:
                stream[1].close()
                stream = None
    finally:
        ready.set()
        if stream is not None:
            stream[1].close()


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bool]:
    """Send one request, read the whole answer; (status, server closes the connection)."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    chunked = close = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = b"close" in value.lower()
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, close


def _percentile_ms(ordered: list[float], percent: float) -> float | None:
    """Nearest-rank percentile of sorted seconds, in milliseconds."""
    if not ordered:
        return None
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return round(ordered[rank - 1] * 1000, 2)


# -- CPU accounting (Linux /proc; absent elsewhere) -------------------------------------


@dataclass(frozen=True)
class _CpuSample:
    at: float
    server: dict[int, float]  # pid -> CPU seconds
    loadgen: float
    machine_busy: float | None
    machine_total: float | None


async def _sample_cpu(tally: _Tally, pids: list[int]) -> tuple[_CpuSample, _CpuSample] | None:
    if not pids:
        return None
    await asyncio.sleep(max(0.0, tally.warm_end - time.perf_counter()))
    first = _cpu_sample(pids)
    await asyncio.sleep(max(0.0, tally.end - time.perf_counter()))
    return first, _cpu_sample(pids)


def _cpu_sample(pids: list[int]) -> _CpuSample:
    times = os.times()
    busy, total = _machine_jiffies()
    return _CpuSample(
        at=time.perf_counter(),
        server={pid: _process_cpu(pid) for pid in pids},
        loadgen=times.user + times.system,
        machine_busy=busy,
        machine_total=total,
    )


def _cpu_summary(
    samples: tuple[_CpuSample, _CpuSample] | None, requests: int
) -> dict[str, Any] | None:
    if samples is None:
        return None
    first, last = samples
    wall = last.at - first.at
    if wall <= 0:
        return None
    per_process = [last.server[pid] - first.server[pid] for pid in sorted(first.server)]
    server = sum(per_process)
    loadgen = last.loadgen - first.loadgen
    machine: float | None = None
    cores = os.cpu_count() or 1
    if (
        first.machine_busy is not None
        and last.machine_busy is not None
        and first.machine_total is not None
        and last.machine_total is not None
        and last.machine_total > first.machine_total
    ):
        share = (last.machine_busy - first.machine_busy) / (
            last.machine_total - first.machine_total
        )
        machine = share * cores
    return {
        "server_cores": round(server / wall, 2),
        "server_cores_per_process": [round(x / wall, 2) for x in per_process],
        "server_cpu_ms_per_request": round(server / requests * 1000, 3) if requests else None,
        "loadgen_cores": round(loadgen / wall, 2),
        "machine_busy_cores": round(machine, 2) if machine is not None else None,
        # The database server (PostgreSQL) and anything else running on the machine.
        "other_cores": round(machine - server / wall - loadgen / wall, 2)
        if machine is not None
        else None,
        "cores": cores,
    }


def _process_tree(root: int) -> list[int]:
    """``root`` and its descendants (uvicorn's worker processes), from /proc."""
    if not Path(f"/proc/{root}/stat").exists():
        return []
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat_fields(int(entry.name))
            if stat is not None:
                parents[int(entry.name)] = int(stat[1])
    tree = [root]
    for pid in tree:
        tree.extend(child for child, parent in parents.items() if parent == pid)
    return tree


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: [state, ppid, ...]."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def _process_cpu(pid: int) -> float:
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    # utime and stime are fields 14 and 15 of stat; 11 and 12 after the name.
    return (int(fields[11]) + int(fields[12])) / ticks


def _machine_jiffies() -> tuple[float | None, float | None]:
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None, None
    values = [int(v) for v in first[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return float(sum(values) - idle), float(sum(values))


# -- PostgreSQL scratch database -------------------------------------------------------


class _ScratchDatabase:
    """``walletdesk_bench_http_<random>`` on the given server, dropped WITH (FORCE) after."""

    def __init__(self, admin: str, database: str, url: str, version: str) -> None:
        self.admin = admin
        self.database = database
        self.url = url
        self.version = version

    @classmethod
    def create(cls, server_url: str) -> _ScratchDatabase:
        parsed = make_url(normalise_url(server_url))
        admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        database = f"walletdesk_bench_http_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            version = str(row[0]) if row else "unknown"
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        url = parsed.set(database=database).render_as_string(hide_password=False)
        return cls(admin, database, url, version)

    def fast_setup(self, on: bool) -> None:
        """Setup commits need not wait for the disk; the server's sessions use the default."""
        statement = (
            "ALTER DATABASE {} SET synchronous_commit = off"
            if on
            else "ALTER DATABASE {} RESET synchronous_commit"
        )
        with psycopg.connect(self.admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL(statement).format(sql.Identifier(self.database)))

    def drop(self) -> None:
        with psycopg.connect(self.admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.database)
                )
            )


# -- the machine -------------------------------------------------------------------------


def _machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "processor": _cpu_model() or platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_start": _load_average(),
        "python": platform.python_version(),
        "sqlite_version": sqlite3.sqlite_version,
        "postgresql_version": None,
        "packages": {name: _version(name) for name in _PACKAGES},
    }


_PACKAGES = ("uvicorn", "fastapi", "starlette", "sqlalchemy", "psycopg", "httptools", "uvloop")


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _log(message: str) -> None:
    # stdout carries the JSON report; progress goes to stderr.
    print(f"[bench http] {message}", file=sys.stderr, flush=True)


def _main(stdin: IO[bytes], stdout: IO[str]) -> None:
    """The load generator's entry point: the spec as JSON on stdin, the result on stdout."""
    result = _loadgen_main(json.loads(stdin.read()))
    stdout.write(json.dumps(result))


if __name__ == "__main__":
    _main(sys.stdin.buffer, sys.stdout)

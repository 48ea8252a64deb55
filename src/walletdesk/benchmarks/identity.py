"""The identity benchmark: what argon2id costs at the production settings, and logins/second.

Login is deliberately expensive: every attempt, right or wrong, known login or
not, runs one argon2id verification with the production parameters (t=3, 64 MiB,
p=1, RFC 9106's second recommended option). That cost is what makes a stolen
table of password hashes slow to attack offline, and it bounds how many logins
one core can serve. This benchmark measures both sides on one core:

* argon2id hashes/second and verifies/second, each the median of several timed
  runs, with the process pinned to one CPU (``p=1`` uses one thread anyway);
* full logins/second through :func:`walletdesk.identity.authentication.do_login`
  (password check, session row, device row, audit record, one commit) against a
  temporary SQLite database at the production durability (WAL, synchronous=FULL).

The parameters are the :class:`~walletdesk.settings.Settings` field defaults,
never the environment, so a lowered test cost cannot leak into the figures.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from walletdesk.benchmarks.http_environment import cpu_model, load_average
from walletdesk.bootstrap import build
from walletdesk.db.engine import make_engine
from walletdesk.db.schema import metadata
from walletdesk.identity.accounts import do_register
from walletdesk.identity.authentication import do_login
from walletdesk.identity.model import RequestContext
from walletdesk.identity.passwords import Passwords
from walletdesk.settings import Settings

PASSWORD = "Correct-Horse-Battery-9"  # noqa: S105 - the benchmark's own throwaway account
PHONE = "+8613800138000"
ARGON2_RUNS = 5
LOGIN_RUNS = 3
# A timed run lasts at least this long, so timer resolution and warm-up do not count.
MIN_RUN_SECONDS = 0.25
_COST_FIELDS = ("argon2_time_cost", "argon2_memory_kib", "argon2_parallelism")


def run_identity_bench(seconds: float) -> dict[str, Any]:
    """Measure argon2id and login throughput; ``seconds`` is the login traffic's length.

    Hashing and verifying are each timed for as long again. Returns parameters, machine and
    figures as a JSON-able dict (rates per second, latencies in milliseconds).
    """
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    cost = {name: Settings.model_fields[name].default for name in _COST_FIELDS}
    with _one_core() as cpu:
        passwords = Passwords(
            time_cost=cost["argon2_time_cost"],
            memory_kib=cost["argon2_memory_kib"],
            parallelism=cost["argon2_parallelism"],
        )
        argon2_run = max(MIN_RUN_SECONDS, seconds / ARGON2_RUNS)
        stored = passwords.hash(PASSWORD)
        hashing = _median_rate(lambda: passwords.hash(PASSWORD), ARGON2_RUNS, argon2_run)
        verifying = _median_rate(
            lambda: passwords.verify(stored, PASSWORD), ARGON2_RUNS, argon2_run
        )
        login = _login_throughput(cost, max(MIN_RUN_SECONDS, seconds / LOGIN_RUNS))
    verify_ms = verifying["median_ms"]
    return {
        "benchmark": "identity",
        "parameters": {
            "algorithm": "argon2id",
            "time_cost": cost["argon2_time_cost"],
            "memory_kib": cost["argon2_memory_kib"],
            "parallelism": cost["argon2_parallelism"],
            "hash_example": stored.rsplit("$", 2)[0] + "$...",
            "login_database": "SQLite file, WAL, synchronous=FULL",
            "argon2_runs": ARGON2_RUNS,
            "login_runs": LOGIN_RUNS,
            "login_seconds": seconds,
        },
        "machine": _machine(cpu),
        "argon2": {"hash": hashing, "verify": verifying},
        "login": {
            **login,
            # How much of a login is the password check: the rest is the database.
            "argon2_share": round(verify_ms / login["median_ms"], 3),
        },
        "summary": (
            f"one core: {hashing['per_second']:.1f} argon2id hashes/s, "
            f"{verifying['per_second']:.1f} verifies/s, "
            f"{login['per_second']:.1f} full logins/s "
            f"({login['per_cpu_second']:.1f} per CPU-second)"
        ),
    }


def _median_rate(operation: Callable[[], object], runs: int, run_seconds: float) -> dict[str, Any]:
    """Run ``operation`` repeatedly for ``run_seconds``, ``runs`` times; report the medians.

    ``per_second`` is by the wall clock. ``per_cpu_second`` divides by the CPU time
    this process got instead: on a shared machine other work steals part of the
    core, and ``cpu_share`` (CPU time / wall time, 1.0 when undisturbed) says how much.
    """
    rates: list[float] = []
    cpu_rates: list[float] = []
    cpu_share: list[float] = []
    total = 0
    for _ in range(runs):
        count = 0
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        while True:
            operation()
            count += 1
            elapsed = time.perf_counter() - wall_start
            if elapsed >= run_seconds:
                break
        cpu_used = time.process_time() - cpu_start
        rates.append(count / elapsed)
        cpu_rates.append(count / cpu_used)
        cpu_share.append(cpu_used / elapsed)
        total += count
    median = statistics.median(rates)
    return {
        "per_second": round(median, 2),
        "median_ms": round(1000 / median, 2),
        "per_cpu_second": round(statistics.median(cpu_rates), 2),
        "runs_per_second": [round(rate, 2) for rate in rates],
        "cpu_share": round(statistics.median(cpu_share), 2),
        "operations": total,
    }


def _login_throughput(cost: dict[str, Any], run_seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="walletdesk-bench-identity-") as folder:
        settings = Settings(database_url=f"sqlite:///{Path(folder) / 'identity.db'}", **cost)
        engine = make_engine(settings)
        metadata.create_all(engine)
        engine.dispose()
        container = build(settings)
        try:
            ctx = RequestContext(
                source_ip="127.0.0.1", user_agent="walletdesk-bench", device_id="bench-device"
            )
            do_register(
                container.identity,
                phone=PHONE,
                email=None,
                password=PASSWORD,
                display_name="Bench User",
                locale="en",
                ctx=ctx,
            )

            # Counted, so the report shows what a login costs by what it does, not only by
            # timings: each login checks the password with argon2 (once).
            passwords = container.identity.passwords
            verify, checks = passwords.verify, [0]

            def counted(stored: str | None, password: str) -> bool:
                checks[0] += 1
                return verify(stored, password)

            passwords.verify = counted  # type: ignore[method-assign]

            def log_in() -> None:
                do_login(
                    container.identity,
                    login=PHONE,
                    password=PASSWORD,
                    totp_code=None,
                    recovery_code=None,
                    ctx=ctx,
                )

            log_in()  # the first login registers the device; measure the steady state
            checks[0] = 0
            figures = _median_rate(log_in, LOGIN_RUNS, run_seconds)
            figures["argon2_checks_per_login"] = round(checks[0] / figures["operations"], 3)
            return figures
        finally:
            container.close()


@contextmanager
def _one_core() -> Iterator[int | None]:
    """Pin this process to one CPU (Linux) while measuring; yields that CPU or None."""
    if not hasattr(os, "sched_getaffinity"):
        yield None
        return
    allowed = os.sched_getaffinity(0)
    cpu = max(allowed)
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, allowed)


def _machine(cpu: int | None) -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "processor": cpu_model() or platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "pinned_cpu": cpu,
        "load_average": load_average(),
        "python": platform.python_version(),
        "argon2_cffi": importlib.metadata.version("argon2-cffi"),
    }

"""The ledger benchmark's read costs as the ledger grows: a balance read and two transfer
pages timed on ledgers of growing size, the history concentrated on a few accounts, so
index-driven reads should cost at the largest size what they cost at the smallest.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select, text

from walletdesk.benchmarks.ledger_backends import LEDGER_TABLES, Backend
from walletdesk.benchmarks.ledger_workload import (
    HISTORY_BATCH,
    HOT_ACCOUNTS,
    HOT_WALLET_FUNDS,
    PAGE_LIMIT,
    Plan,
    expect_ok,
    log,
    open_wallets,
    transfer,
)
from walletdesk.core.clock import SystemClock
from walletdesk.ledger import tables as t
from walletdesk.ledger.service import Ledger


def read_costs(
    backend: Backend,
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
            log(f"{label}: history {size:,} skipped: {reason}")
            by_size[str(size)] = {"skipped": True, "reason": reason}
            continue
        log(f"{label}: building a history of {size:,} transfers on {HOT_ACCOUNTS} wallets")
        by_size[str(size)] = _read_costs_at(backend, plan, size, rng)
    return {
        "hot_accounts": HOT_ACCOUNTS,
        "page_limit": PAGE_LIMIT,
        "calls": plan.read_calls,
        "by_size": by_size,
        "growth": growth(by_size),
    }


def _read_costs_at(backend: Backend, plan: Plan, size: int, rng: random.Random) -> dict[str, Any]:
    engine = backend.fresh_engine()
    try:
        ledger = Ledger(engine, SystemClock())
        hot = open_wallets(ledger, HOT_ACCOUNTS, HOT_WALLET_FUNDS)
        # Only the engine's calls are timed, not the making of the requests.
        build_seconds = 0.0
        built = 0
        while built < size:
            count = min(HISTORY_BATCH, size - built)
            batch = []
            for _ in range(count):
                debit, credit = rng.sample(hot, 2)
                batch.append(transfer(debit, credit, rng.randint(1, 100)))
            begin = time.perf_counter()
            outcomes = ledger.create_transfers(batch)
            build_seconds += time.perf_counter() - begin
            expect_ok(outcomes)
            built += count
        if engine.dialect.name == "postgresql":
            # What autovacuum would do next anyway after a bulk load: without it the
            # planner guesses from empty-table statistics, and an autovacuum of a
            # million fresh rows would run during, and distort, the timed reads.
            tables = ", ".join(table.name for table in LEDGER_TABLES)
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
            "get_account": time_calls(lambda: ledger.get_account(account), plan),
            "transfers_first_page": {
                **time_calls(lambda: ledger.account_transfers(account, limit=PAGE_LIMIT), plan),
                "items": first_items,
            },
            "transfers_deep_page": {
                **time_calls(
                    lambda: ledger.account_transfers(account, limit=PAGE_LIMIT, cursor=deep_cursor),
                    plan,
                ),
                "items": deep_items,
                "cursor_seq": int(deep_cursor, 16),
            },
        }
    finally:
        backend.release_engine(engine)


def time_calls(call: Callable[[], object], plan: Plan) -> dict[str, float]:
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


READS = ("get_account", "transfers_first_page", "transfers_deep_page")


def growth(by_size: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Cost at the largest measured size over cost at the smallest (1.0 = flat)."""
    measured = sorted(
        (int(size), data) for size, data in by_size.items() if not data.get("skipped")
    )
    if len(measured) < 2:
        return {}
    (small, low), (large, high) = measured[0], measured[-1]
    growth: dict[str, Any] = {"from": small, "to": large}
    for read in READS:
        growth[read] = {
            "median_ratio": round(high[read]["median_us"] / low[read]["median_us"], 2),
            "p95_ratio": round(high[read]["p95_us"] / low[read]["p95_us"], 2),
        }
    return growth

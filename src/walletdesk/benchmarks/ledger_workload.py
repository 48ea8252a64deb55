"""What the ledger benchmark asks of the ledger: how much to measure (the plans), the
wallets it opens and the transfers it sends, and the checks that every one succeeded.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from walletdesk.core.ids import new_id
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


def open_wallets(ledger: Ledger, count: int, funds: int) -> list[uuid.UUID]:
    """A funding account and ``count`` customer wallets, each funded with ``funds``."""
    funding = new_id()
    expect_accounts(ledger.create_accounts([NewAccount(funding, CURRENCY, AccountKind.FUNDING)]))
    wallets = [new_id() for _ in range(count)]
    for start in range(0, count, 5_000):
        chunk = wallets[start : start + 5_000]
        expect_accounts(
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
        expect_ok(ledger.create_transfers([transfer(funding, w, funds) for w in chunk]))
    return wallets


def transfer(debit: uuid.UUID, credit: uuid.UUID, amount: int) -> NewTransfer:
    return NewTransfer(
        id=new_id(),
        debit_account_id=debit,
        credit_account_id=credit,
        amount=amount,
        currency=CURRENCY,
        code="bench",
    )


def expect_ok(outcomes: Sequence[TransferOutcome]) -> None:
    refused = [o for o in outcomes if o.result is not CreateTransferResult.OK]
    if refused:
        raise RuntimeError(f"{len(refused)} benchmark transfers refused, e.g. {refused[0]}")


def expect_accounts(outcomes: Sequence[Any]) -> None:
    if any(o.result is not CreateAccountResult.OK for o in outcomes):
        raise RuntimeError("benchmark accounts could not be opened")


def log(message: str) -> None:
    # stdout carries the JSON report; progress goes to stderr.
    print(f"[bench] {message}", file=sys.stderr, flush=True)

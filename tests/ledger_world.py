"""Test helpers for the ledger: open accounts, build transfers, snapshot everything."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from walletdesk.core.ids import new_id
from walletdesk.ledger import tables as t
from walletdesk.ledger.model import (
    AccountFlags,
    AccountKind,
    CreateAccountResult,
    NewAccount,
    NewTransfer,
    TransferFlags,
)
from walletdesk.ledger.service import Ledger


def open_account(
    ledger: Ledger,
    *,
    currency: str = "CNY",
    kind: AccountKind = AccountKind.CUSTOMER_WALLET,
    flags: AccountFlags = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
) -> uuid.UUID:
    account_id = new_id()
    [outcome] = ledger.create_accounts([NewAccount(account_id, currency, kind, flags)])
    assert outcome.result is CreateAccountResult.OK
    return account_id


def transfer(
    debit: uuid.UUID | None,
    credit: uuid.UUID | None,
    amount: int | None,
    *,
    currency: str = "CNY",
    flags: TransferFlags = TransferFlags.NONE,
    pending_id: uuid.UUID | None = None,
    timeout_seconds: int = 0,
    code: str = "test",
    id: uuid.UUID | None = None,
) -> NewTransfer:
    return NewTransfer(
        id=id or new_id(),
        debit_account_id=debit,
        credit_account_id=credit,
        amount=amount,
        currency=currency,
        code=code,
        flags=flags,
        pending_id=pending_id,
        timeout_seconds=timeout_seconds,
    )


@dataclass
class World:
    """A funding account (unbounded) and two customer wallets, the first funded."""

    ledger: Ledger
    bank: uuid.UUID
    alice: uuid.UUID
    bob: uuid.UUID

    def fund(self, account: uuid.UUID, amount: int) -> None:
        assert self.ledger.create_transfer(transfer(self.bank, account, amount)).value == "ok"

    def available(self, account: uuid.UUID) -> int:
        return self.ledger.get_account(account).available


def make_world(ledger: Ledger, alice_funds: int = 10_000) -> World:
    bank = open_account(ledger, kind=AccountKind.FUNDING, flags=AccountFlags.NONE)
    world = World(ledger, bank, open_account(ledger), open_account(ledger))
    if alice_funds:
        world.fund(world.alice, alice_funds)
    return world


def snapshot(ledger: Ledger) -> dict[str, Any]:
    """Every row that a transfer could change, except the failed-id register."""
    with ledger.engine.connect() as conn:
        return {
            "accounts": sorted(
                tuple(row) for row in conn.execute(select(t.accounts).order_by(t.accounts.c.id))
            ),
            "transfers": [tuple(r) for r in conn.execute(select(t.transfers).order_by("seq"))],
            "entries": [tuple(r) for r in conn.execute(select(t.entries).order_by("seq"))],
            "holds": sorted(tuple(r) for r in conn.execute(select(t.holds))),
        }

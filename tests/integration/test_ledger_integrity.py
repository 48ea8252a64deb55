"""Referential integrity without foreign keys (ADR 0002), and large batches written in order.

Transfers and entries carry no foreign key to accounts: the engine refuses an
unknown account itself, under the same lock that reads the known ones, and the
checks (`recompute`, `check_invariants`) are what would see an orphan row.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from ledger_world import make_world, open_account, snapshot, transfer
from walletdesk.core.ids import new_id
from walletdesk.ledger import tables as t
from walletdesk.ledger.model import CreateTransferResult as R
from walletdesk.ledger.model import TransferFlags as F
from walletdesk.ledger.posting import PROGRESS_EVERY
from walletdesk.ledger.service import Ledger


def rows_naming(ledger: Ledger, account_id: uuid.UUID) -> int:
    with ledger.engine.connect() as conn:
        transfers = conn.execute(
            select(func.count()).where(
                (t.transfers.c.debit_account_id == account_id)
                | (t.transfers.c.credit_account_id == account_id)
            )
        ).scalar_one()
        entries = conn.execute(
            select(func.count()).where(t.entries.c.account_id == account_id)
        ).scalar_one()
    return int(transfers) + int(entries)


def test_an_unknown_account_in_a_large_batch_is_refused_and_named_by_no_row(
    ledger: Ledger,
) -> None:
    world = make_world(ledger, alice_funds=1_000_000)
    ghost = new_id()
    batch = [transfer(world.alice, world.bob, 1) for _ in range(2 * PROGRESS_EVERY)]
    batch[PROGRESS_EVERY + 3] = transfer(world.alice, ghost, 1)
    batch[PROGRESS_EVERY + 4] = transfer(ghost, world.bob, 1)

    results = [o.result for o in ledger.create_transfers(batch)]

    assert results[PROGRESS_EVERY + 3] is R.CREDIT_ACCOUNT_NOT_FOUND
    assert results[PROGRESS_EVERY + 4] is R.DEBIT_ACCOUNT_NOT_FOUND
    assert results.count(R.OK) == len(batch) - 2
    assert rows_naming(ledger, ghost) == 0
    assert world.available(world.bob) == len(batch) - 2
    assert ledger.check_invariants() == []


def test_a_linked_chain_naming_an_unknown_account_changes_nothing(ledger: Ledger) -> None:
    world = make_world(ledger)
    ghost = new_id()
    before = snapshot(ledger)

    outcomes = ledger.create_transfers(
        [transfer(world.alice, world.bob, 10, flags=F.LINKED), transfer(world.bob, ghost, 5)]
    )

    assert [o.result for o in outcomes] == [R.LINKED_EVENT_FAILED, R.CREDIT_ACCOUNT_NOT_FOUND]
    assert snapshot(ledger) == before
    assert ledger.check_invariants() == []


def test_an_entry_for_an_account_that_does_not_exist_is_reported(ledger: Ledger) -> None:
    world = make_world(ledger)
    ghost = new_id()
    with ledger.engine.begin() as conn:
        conn.execute(
            insert(t.entries).values(
                account_id=ghost,
                transfer_id=new_id(),
                event="posted",
                side="C",
                posted_delta=5,
                pending_delta=0,
                debits_posted=0,
                credits_posted=5,
                debits_pending=0,
                credits_pending=0,
                created_at=datetime.now(UTC),
            )
        )

    assert ledger.recompute().mismatches == [ghost]
    assert ledger.check_invariants() == [f"{ghost}: entries for an account that does not exist"]
    assert world.available(world.alice) == 10_000


def test_a_transfer_naming_an_account_that_does_not_exist_is_reported(ledger: Ledger) -> None:
    world = make_world(ledger)
    orphan = new_id()
    with ledger.engine.begin() as conn:
        conn.execute(
            insert(t.transfers).values(
                id=orphan,
                debit_account_id=world.alice,
                credit_account_id=new_id(),
                amount=1,
                currency="CNY",
                code="test",
                flags=0,
                timeout_seconds=0,
                fingerprint="0" * 32,
                created_at=datetime.now(UTC),
            )
        )

    assert ledger.check_invariants() == [f"{orphan}: transfer names an account that does not exist"]


def test_a_large_batch_with_chains_and_holds_keeps_every_balance_after_in_order(
    ledger: Ledger,
) -> None:
    """Entries may reach the database while the batch is still being posted: their
    order, and each one's balance after, must be exactly those of posting."""
    world = make_world(ledger, alice_funds=0)
    wallets = [world.alice, world.bob] + [open_account(ledger) for _ in range(3)]
    for wallet in wallets:
        world.fund(wallet, 2_000)
    batch = []
    for n in range(3 * PROGRESS_EVERY):
        debit, credit = wallets[n % 5], wallets[(n + 2) % 5]
        if n % 7 == 0:
            # A chain across whatever boundary: its second leg fails when n % 21 == 0.
            amount = 10**9 if n % 21 == 0 else 3
            batch += [
                transfer(debit, credit, 2, flags=F.LINKED),
                transfer(credit, debit, amount),
            ]
        elif n % 5 == 0:
            batch.append(transfer(debit, credit, 4, flags=F.PENDING))
        else:
            batch.append(transfer(debit, credit, 1 + n % 3))

    results = [o.result for o in ledger.create_transfers(batch)]

    assert R.LINKED_EVENT_FAILED in results
    assert R.OK in results
    assert ledger.check_invariants() == []
    for wallet in wallets:
        history = list(reversed(ledger.account_history(wallet, limit=1000).items))
        counters = [0, 0, 0, 0]
        for entry in history:
            side = 0 if entry.side == "D" else 1
            counters[side] += entry.posted_delta
            counters[side + 2] += entry.pending_delta
            assert counters == [
                entry.debits_posted,
                entry.credits_posted,
                entry.debits_pending,
                entry.credits_pending,
            ]
        account = ledger.get_account(wallet)
        assert counters == list(account.counters())

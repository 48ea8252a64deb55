"""Real threads against one database: no double spend, no lost update, no deadlock."""

from __future__ import annotations

import random
import threading
import uuid

from ledger_world import make_world, open_account, transfer
from walletdesk.core.ids import new_id
from walletdesk.ledger.model import CreateTransferResult as R
from walletdesk.ledger.model import TransferFlags as F
from walletdesk.ledger.service import Ledger

THREADS = 8
OPERATIONS = 40


def test_eight_threads_hammering_overlapping_wallets_keep_every_invariant(
    ledger: Ledger,
) -> None:
    world = make_world(ledger, alice_funds=0)
    wallets = [world.alice, world.bob] + [open_account(ledger) for _ in range(4)]
    for wallet in wallets:
        world.fund(wallet, 5_000)
    acknowledged: list[uuid.UUID] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[uuid.UUID] = []
        holds: list[uuid.UUID] = []
        try:
            start.wait()
            for _ in range(OPERATIONS):
                debit, credit = rng.sample(wallets, 2)
                choice = rng.random()
                if choice < 0.2 and holds:
                    request = transfer(
                        None,
                        None,
                        None,
                        flags=rng.choice([F.POST_PENDING, F.VOID_PENDING]),
                        pending_id=holds.pop(),
                    )
                    batch = [request]
                elif choice < 0.4:
                    batch = [transfer(debit, credit, rng.randint(1, 1_500), flags=F.PENDING)]
                elif choice < 0.6:
                    # A payment with its fee leg: both or neither.
                    third = rng.choice([w for w in wallets if w not in (debit, credit)])
                    batch = [
                        transfer(debit, credit, rng.randint(1, 2_000), flags=F.LINKED),
                        transfer(debit, third, rng.randint(1, 50)),
                    ]
                else:
                    batch = [transfer(debit, credit, rng.randint(1, 2_500))]
                outcomes = ledger.create_transfers(batch)
                for request, outcome in zip(batch, outcomes, strict=True):
                    if outcome.result is R.OK:
                        mine.append(request.id)
                        if request.flags & F.PENDING:
                            holds.append(request.id)
        except BaseException as exc:  # surfaced to the main thread below
            errors.append(exc)
        with lock:
            acknowledged.extend(mine)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    assert ledger.check_invariants() == []
    present = {t.id for t in ledger.lookup_transfers(acknowledged)}
    assert present == set(acknowledged)
    accounts = ledger.lookup_accounts(wallets)
    assert all(a.available >= 0 for a in accounts)
    # Money moved only between the wallets: their total is what was funded.
    assert sum(a.balance + a.credits_pending - a.debits_pending for a in accounts) + sum(
        a.debits_pending - a.credits_pending for a in accounts
    ) == 5_000 * len(wallets)


def test_the_same_transfer_sent_by_many_threads_at_once_moves_money_once(
    ledger: Ledger,
) -> None:
    world = make_world(ledger, alice_funds=1_000)
    request = transfer(world.alice, world.bob, 700, id=new_id())
    results: list[R] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def send() -> None:
        start.wait()
        result = ledger.create_transfer(request)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=send) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == sorted([R.OK] + [R.EXISTS] * (THREADS - 1))
    assert world.available(world.bob) == 700
    assert world.available(world.alice) == 300


def test_concurrent_spends_of_one_balance_never_overdraw_it(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=1_000)
    results: list[R] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def spend() -> None:
        start.wait()
        result = ledger.create_transfer(transfer(world.alice, world.bob, 300))
        with lock:
            results.append(result)

    threads = [threading.Thread(target=spend) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results.count(R.OK) == 3
    assert results.count(R.EXCEEDS_CREDITS) == THREADS - 3
    assert world.available(world.alice) == 100
    assert ledger.check_invariants() == []

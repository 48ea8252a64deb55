"""Two deliveries of one request (same Idempotency-Key) that overlap, on real threads.

Both requests look the key up before either has written anything, so both go on
to their transaction. The second must then answer like a sequential retry would:
the first one's result (or the mismatch refusal), with nothing of its own left
behind: no second limit count, no error, no second record.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from money_world import money_snapshot
from sqlalchemy import func, select
from test_refunds import World, cny

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity.model import User
from walletdesk.wallet import p2p
from walletdesk.wallet import tables as t
from walletdesk.wallet.funding import IdempotencyKeyReused
from walletdesk.wallet.limits_policy import Scope


@pytest.fixture
def world(container: Container, clock: FakeClock) -> Iterator[World]:
    yield World(container, clock)
    assert container.ledger.check_invariants() == []


def overlapping(
    monkeypatch: pytest.MonkeyPatch, module: Any, calls: list[Callable[[], Any]]
) -> list[Any]:
    """Run ``calls`` on threads held together just after their idempotency look-up.

    ``module.wallet_account`` is the first thing each use case does after looking the
    key up: every thread waits there until all have looked, then all go on at once.
    Returns each call's result or the exception it raised, in order.
    """
    real = module.wallet_account
    all_looked = threading.Barrier(len(calls), timeout=20)
    waited = threading.local()

    def wallet_account(*args: Any) -> Any:
        if not getattr(waited, "done", False):
            waited.done = True
            all_looked.wait()
        return real(*args)

    monkeypatch.setattr(module, "wallet_account", wallet_account)
    outcomes: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            outcomes[i] = calls[i]()
        except Exception as exc:  # the outcome under test, whatever it is
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    monkeypatch.setattr(module, "wallet_account", real)
    return outcomes


def usage(world: World, user: User, scope: Scope) -> dict[str, int]:
    u = t.limit_usage.c
    with world.c.engine.connect() as conn:
        rows = conn.execute(
            select(u.window, func.sum(u.used))
            .where(u.user_id == user.id, u.scope == scope.value)
            .group_by(u.window)
        ).all()
    return {window: int(used) for window, used in rows}


# -- P2P --------------------------------------------------------------------------


def _send(world: World, sender: User, receiver: User, amount: int) -> Callable[[], Any]:
    return lambda: p2p.do_transfer(
        world.c.wallet,
        sender,
        to=str(receiver.id),
        amount=amount,
        currency="CNY",
        note=None,
        idempotency_key="same-key",
        locale="en",
    )


def test_an_overlapping_duplicate_transfer_moves_money_and_counts_the_limit_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = world.customer("500.00")
    receiver = world.customer("0.01")

    first, second = overlapping(monkeypatch, p2p, [_send(world, sender, receiver, 10_000)] * 2)

    assert isinstance(first, dict), first
    assert isinstance(second, dict), second
    assert first["id"] == second["id"]
    assert (first["status"], second["status"]) == ("succeeded", "succeeded")
    assert (world.wallet(sender), world.wallet(receiver)) == (40_000, 10_001)
    assert usage(world, sender, Scope.SPEND) == {"day": 10_000, "lifetime": 10_000}
    with world.c.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.p2p_transfers)).scalar() == 1
    # A later sequential retry answers the same, and changes nothing either.
    before = money_snapshot(world.c)
    assert _send(world, sender, receiver, 10_000)()["id"] == first["id"]
    assert money_snapshot(world.c) == before


def test_an_overlapping_request_with_the_key_and_another_amount_is_refused_and_changes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = world.customer("500.00")
    receiver = world.customer("0.01")

    outcomes = overlapping(
        monkeypatch,
        p2p,
        [_send(world, sender, receiver, 10_000), _send(world, sender, receiver, 20_000)],
    )

    sent = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, IdempotencyKeyReused)]
    assert (len(sent), len(refused)) == (1, 1), outcomes
    moved = cny(sent[0]["amount"]).minor
    # Exactly the winner's transfer, counted once; nothing of the refused one.
    assert (world.wallet(sender), world.wallet(receiver)) == (50_000 - moved, 1 + moved)
    assert usage(world, sender, Scope.SPEND) == {"day": moved, "lifetime": moved}


def test_an_overlapping_duplicate_that_the_first_one_left_no_limit_for_answers_like_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tier I: ¥1,000 of spending since opening. Two 600.00 would not both fit, and
    # the second request, checked after the first committed, must not be refused for it.
    sender = world.customer("1000.00")
    receiver = world.customer("0.01")

    first, second = overlapping(monkeypatch, p2p, [_send(world, sender, receiver, 60_000)] * 2)

    assert isinstance(first, dict), first
    assert isinstance(second, dict), second
    assert first["id"] == second["id"]
    assert (world.wallet(sender), world.wallet(receiver)) == (40_000, 60_001)
    assert usage(world, sender, Scope.SPEND) == {"day": 60_000, "lifetime": 60_000}

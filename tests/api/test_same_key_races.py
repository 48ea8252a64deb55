"""Two deliveries of one request (same Idempotency-Key) that overlap, on real threads.

Both requests look the key up before either has written anything, so both go on
to their transaction. The second must then answer like a sequential retry would:
the first one's result (or the mismatch refusal), with nothing of its own left
behind: no second limit count, no error, no second record.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from money_world import money_snapshot, verified_to_tier_two
from sqlalchemy import func, select
from test_refunds import GOOD_CARD, World, cny

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity.model import User
from walletdesk.wallet import funding, p2p
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


# -- top-ups and withdrawals -----------------------------------------------------------


def _fund(
    world: World, user: User, kind: str, card: uuid.UUID, amount: int, key: str = "same-key"
) -> Callable[[], Any]:
    return lambda: funding.do_fund(
        world.c.wallet,
        user,
        kind=kind,
        amount=amount,
        currency="CNY",
        card_id=card,
        idempotency_key=key,
        locale="en",
    )


def _bank_requests(world: World) -> list[tuple[str, int, str]]:
    b = t.bank_twin_requests.c
    with world.c.engine.connect() as conn:
        rows = conn.execute(select(b.operation, b.amount, b.outcome).order_by(b.created_at))
        return [(row.operation, row.amount, row.outcome) for row in rows]


def _fundings(world: World, user: User) -> list[tuple[str, int, str]]:
    f = t.fundings.c
    with world.c.engine.connect() as conn:
        rows = conn.execute(
            select(f.kind, f.amount, f.status).where(f.user_id == user.id).order_by(f.seq)
        )
        return [(row.kind, row.amount, row.status) for row in rows]


def test_an_overlapping_duplicate_top_up_answers_like_the_first_and_credits_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = world.customer("1.00")
    card = world.card(user, GOOD_CARD)

    first, second = overlapping(
        monkeypatch, funding, [_fund(world, user, "topup", card, 5_000)] * 2
    )

    assert isinstance(first, dict), first
    assert isinstance(second, dict), second
    assert (first["id"], first["status"]) == (second["id"], "succeeded")
    assert second["status"] == "succeeded"
    assert world.wallet(user) == 5_100
    assert _fundings(world, user) == [("topup", 100, "succeeded"), ("topup", 5_000, "succeeded")]
    assert _bank_requests(world)[-1] == ("charge", 5_000, "approved")
    assert len(_bank_requests(world)) == 2


def test_an_overlapping_duplicate_withdrawal_pays_out_and_counts_the_limit_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = verified_to_tier_two(world.c, world.customer("500.00"))
    card = world.card(user, GOOD_CARD)

    first, second = overlapping(
        monkeypatch, funding, [_fund(world, user, "withdrawal", card, 30_000)] * 2
    )

    assert isinstance(first, dict), first
    assert isinstance(second, dict), second
    assert (first["id"], first["status"]) == (second["id"], "succeeded")
    assert world.wallet(user) == 20_000
    assert usage(world, user, Scope.WITHDRAW) == {"day": 30_000, "year": 30_000}
    assert [r for r in _bank_requests(world) if r[0] == "payout"] == [
        ("payout", 30_000, "approved")
    ]


def test_an_overlapping_withdrawal_with_the_key_and_another_amount_is_refused_and_changes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = verified_to_tier_two(world.c, world.customer("500.00"))
    card = world.card(user, GOOD_CARD)

    outcomes = overlapping(
        monkeypatch,
        funding,
        [
            _fund(world, user, "withdrawal", card, 10_000),
            _fund(world, user, "withdrawal", card, 20_000),
        ],
    )

    done = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, IdempotencyKeyReused)]
    assert (len(done), len(refused)) == (1, 1), outcomes
    paid = cny(done[0]["amount"]).minor
    assert world.wallet(user) == 50_000 - paid
    assert usage(world, user, Scope.WITHDRAW) == {"day": paid, "year": paid}
    assert [r for r in _bank_requests(world) if r[0] == "payout"] == [("payout", paid, "approved")]


def test_an_overlapping_duplicate_withdrawal_its_twin_left_no_limit_for_answers_like_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tier II with a password only: ¥2,000 of withdrawals a day. After 500.00, two
    # 1,000.00 would not both fit; the second request is the same withdrawal, not a new one.
    user = verified_to_tier_two(world.c, world.customer("2000.00"))
    card = world.card(user, GOOD_CARD)
    _fund(world, user, "withdrawal", card, 50_000, key="earlier")()

    first, second = overlapping(
        monkeypatch, funding, [_fund(world, user, "withdrawal", card, 100_000)] * 2
    )

    assert isinstance(first, dict), first
    assert isinstance(second, dict), second
    assert (first["id"], first["status"]) == (second["id"], "succeeded")
    assert world.wallet(user) == 50_000
    assert usage(world, user, Scope.WITHDRAW) == {"day": 150_000, "year": 150_000}


def test_a_withdrawal_over_the_limit_without_a_twin_is_still_refused_and_changes_nothing(
    world: World,
) -> None:
    user = verified_to_tier_two(world.c, world.customer("2000.00"))
    card = world.card(user, GOOD_CARD)
    _fund(world, user, "withdrawal", card, 100_000, key="earlier")()
    _fund(world, user, "withdrawal", card, 50_000, key="later")()
    before = money_snapshot(world.c)

    with pytest.raises(funding.FundingRefused) as refused:
        _fund(world, user, "withdrawal", card, 100_000, key="over")()

    assert refused.value.code == "limit_exceeded_daily"
    assert money_snapshot(world.c) == before

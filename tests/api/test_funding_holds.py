"""Funding holds stay while the bank's answer is unknown: money is never created or lost.

A top-up or withdrawal the bank answers late stays ``processing`` behind a ledger hold.
That hold used to lapse after 24 h; an approval arriving afterwards was booked as a
decline: a withdrawal the bank paid out left the money in the wallet, a top-up the
card was charged for was never credited.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from money_world import money_snapshot, verified_to_tier_two, with_verified_phone
from sqlalchemy import func, select, update
from test_refunds import GOOD_CARD, LATE_CARD, TIMEOUT_CARD, World

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity.model import User
from walletdesk.ledger import tables as ledger_tables
from walletdesk.wallet import funding
from walletdesk.wallet import tables as t
from walletdesk.wallet.accounts import wallet_account
from walletdesk.wallet.limits_policy import Scope

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def world(container: Container, clock: FakeClock) -> Iterator[World]:
    yield World(container, clock)
    assert container.ledger.check_invariants() == []


def _fund(world: World, user: User, kind: str, card: uuid.UUID, key: str) -> dict[str, Any]:
    return funding.do_fund(
        world.c.wallet,
        user,
        kind=kind,
        amount=20_000,
        currency="CNY",
        card_id=card,
        idempotency_key=key,
        locale="en",
    )


def _available(world: World, user: User) -> int:
    return world.c.ledger.get_account(wallet_account(world.c.wallet, user.id, "CNY")).available


def _withdrawal_usage(world: World, user: User) -> int:
    """Withdrawals counted against the user's daily windows, whichever day they fell on."""
    u = t.limit_usage.c
    with world.c.engine.connect() as conn:
        used = conn.execute(
            select(func.sum(u.used)).where(
                u.user_id == user.id, u.scope == Scope.WITHDRAW.value, u.window == "day"
            )
        ).scalar()
    return int(used or 0)


def _hold(world: World, funding_id: str) -> Any:
    with world.c.engine.connect() as conn:
        hold_id = conn.execute(
            select(t.fundings.c.hold_transfer_id).where(t.fundings.c.id == uuid.UUID(funding_id))
        ).scalar_one()
        return conn.execute(
            select(ledger_tables.holds).where(ledger_tables.holds.c.transfer_id == hold_id)
        ).one()


def _lapse_like_a_hold_from_before(world: World, funding_id: str) -> None:
    """Give the hold the 24 h expiry funding holds had until now, and let it run out."""
    hold = _hold(world, funding_id)
    with world.c.engine.begin() as conn:
        conn.execute(
            update(ledger_tables.holds)
            .where(ledger_tables.holds.c.transfer_id == hold.transfer_id)
            .values(expires_at=datetime.now(UTC) - timedelta(days=3650))
        )
    assert world.c.ledger.expire_pending() == 1


def test_a_withdrawal_paid_out_a_day_late_is_taken_from_the_wallet_once(
    world: World, clock: FakeClock
) -> None:
    user = verified_to_tier_two(world.c, world.customer("500.00"))
    late = world.card(user, LATE_CARD)
    first = _fund(world, user, "withdrawal", late, "w-1")
    assert first["status"] == "processing"
    assert _hold(world, first["id"]).expires_at is None

    clock.advance(timedelta(hours=25))
    assert world.c.ledger.expire_pending() == 0  # the sweep leaves it held
    assert (world.wallet(user), _available(world, user)) == (50_000, 30_000)
    retry = _fund(world, user, "withdrawal", late, "w-1")

    assert retry["status"] == "succeeded"
    assert (world.wallet(user), _available(world, user)) == (30_000, 30_000)
    assert _hold(world, first["id"]).status == "posted"
    assert _withdrawal_usage(world, user) == 20_000
    again = _fund(world, user, "withdrawal", late, "w-1")
    assert (again["status"], world.wallet(user)) == ("succeeded", 30_000)


def test_a_top_up_charged_a_day_late_is_credited_once(world: World, clock: FakeClock) -> None:
    user = world.customer("500.00")
    late = world.card(user, LATE_CARD)
    assert _fund(world, user, "topup", late, "t-1")["status"] == "processing"

    clock.advance(timedelta(hours=25))
    assert world.c.ledger.expire_pending() == 0
    retry = _fund(world, user, "topup", late, "t-1")
    again = _fund(world, user, "topup", late, "t-1")

    assert (retry["status"], again["status"]) == ("succeeded", "succeeded")
    assert world.wallet(user) == 70_000


def test_a_withdrawal_the_bank_never_answers_keeps_its_money_held_and_its_limit_counted(
    world: World, clock: FakeClock
) -> None:
    user = verified_to_tier_two(world.c, world.customer("500.00"))
    silent = world.card(user, TIMEOUT_CARD)
    assert _fund(world, user, "withdrawal", silent, "w-silent")["status"] == "processing"
    before = money_snapshot(world.c)

    clock.advance(timedelta(days=3))
    assert world.c.ledger.expire_pending() == 0
    retry = _fund(world, user, "withdrawal", silent, "w-silent")

    assert retry["status"] == "processing"
    assert retry["failure"]["code"] == "gateway_timeout"
    # Nothing spendable appeared while the bank may still pay out: the hold, the
    # funding and the limit usage are exactly as they were.
    assert money_snapshot(world.c) == before
    assert (world.wallet(user), _available(world, user)) == (50_000, 30_000)
    assert _withdrawal_usage(world, user) == 20_000


def test_a_hold_that_lapsed_before_the_upgrade_is_booked_afresh_when_the_bank_approves(
    world: World,
) -> None:
    user = verified_to_tier_two(world.c, world.customer("500.00"))
    late = world.card(user, LATE_CARD)
    withdrawal = _fund(world, user, "withdrawal", late, "w-old")
    top_up = _fund(world, user, "topup", late, "t-old")
    _lapse_like_a_hold_from_before(world, withdrawal["id"])
    _lapse_like_a_hold_from_before(world, top_up["id"])
    assert world.wallet(user) == 50_000

    assert _fund(world, user, "withdrawal", late, "w-old")["status"] == "succeeded"
    assert _fund(world, user, "topup", late, "t-old")["status"] == "succeeded"
    assert _fund(world, user, "withdrawal", late, "w-old")["status"] == "succeeded"

    # 500.00 - 200.00 paid out + 200.00 charged: each booked exactly once.
    assert world.wallet(user) == 50_000
    assert _withdrawal_usage(world, user) == 20_000
    with world.c.engine.connect() as conn:
        codes = conn.execute(
            select(ledger_tables.transfers.c.code, ledger_tables.transfers.c.flags).where(
                ledger_tables.transfers.c.reference.in_(
                    [f"funding:{withdrawal['id']}", f"funding:{top_up['id']}"]
                )
            )
        ).all()
    # each: the lapsed hold, and the movement posted afresh
    assert sorted(codes) == [("topup", 0), ("topup", 2), ("withdrawal", 0), ("withdrawal", 2)]


def test_a_lapsed_withdrawal_whose_money_was_spent_since_stays_processing_and_books_nothing(
    world: World,
) -> None:
    user = verified_to_tier_two(world.c, world.customer("500.00"))
    late = world.card(user, LATE_CARD)
    withdrawal = _fund(world, user, "withdrawal", late, "w-spent")
    _lapse_like_a_hold_from_before(world, withdrawal["id"])
    friend = with_verified_phone(world.c, world.customer("0.01"))
    _send_everything(world, user, friend)
    before = money_snapshot(world.c)

    retry = _fund(world, user, "withdrawal", late, "w-spent")

    # The wallet cannot go below zero: nothing is booked, the funding waits for an
    # operator, and its limit usage stays counted (the bank did pay out).
    assert retry["status"] == "processing"
    assert money_snapshot(world.c) == before
    assert world.wallet(user) == 0
    assert _withdrawal_usage(world, user) == 20_000


def test_a_declined_withdrawal_gives_back_its_money_and_its_limit(world: World) -> None:
    user = verified_to_tier_two(world.c, world.customer("500.00"))
    declined = world.card(user, "4000000000000002")

    refused = _fund(world, user, "withdrawal", declined, "w-declined")

    assert (refused["status"], refused["failure"]["code"]) == ("failed", "bank_declined")
    assert (world.wallet(user), _available(world, user)) == (50_000, 50_000)
    assert _withdrawal_usage(world, user) == 0
    assert (
        _fund(world, user, "withdrawal", world.card(user, GOOD_CARD), "w-ok")["status"]
        == "succeeded"
    )


def _send_everything(world: World, sender: User, receiver: User) -> None:
    from walletdesk.wallet import p2p

    p2p.do_transfer(
        world.c.wallet,
        sender,
        to=receiver.phone,
        amount=world.wallet(sender),
        currency="CNY",
        note=None,
        idempotency_key="all-of-it",
        locale="en",
    )


def test_the_upgrade_lifts_the_expiry_of_holds_still_waiting_for_the_bank(
    world: World, clock: FakeClock
) -> None:
    user = verified_to_tier_two(world.c, world.customer("500.00"))
    late = world.card(user, LATE_CARD)
    waiting = _fund(world, user, "withdrawal", late, "w-waiting")
    settled = _fund(world, user, "topup", world.card(user, GOOD_CARD), "t-settled")
    # As holds were made before: a 24 h expiry on the one still waiting.
    expiry = clock.now() + timedelta(hours=24)
    with world.c.engine.begin() as conn:
        conn.execute(
            update(ledger_tables.holds)
            .where(ledger_tables.holds.c.transfer_id == _hold(world, waiting["id"]).transfer_id)
            .values(expires_at=expiry)
        )
    migration = importlib.import_module(
        "walletdesk.db.migrations.versions.0016_funding_holds_no_timeout"
    )
    with world.c.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.upgrade()

    assert _hold(world, waiting["id"]).expires_at is None
    assert (_hold(world, waiting["id"]).status, _hold(world, settled["id"]).status) == (
        "open",
        "posted",
    )
    clock.advance(timedelta(hours=25))
    assert world.c.ledger.expire_pending() == 0
    assert _fund(world, user, "withdrawal", late, "w-waiting")["status"] == "succeeded"
    assert world.wallet(user) == 50_000  # 500.00 + 200.00 topped up - 200.00 paid out

"""Succeeded, canceled and expired intents are final: a refused attempt never reopens one.

A refused payment used to be stored as "failed" whatever the intent's state, and
"failed" is payable: a canceled order could be charged on the second try.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from money_world import money_snapshot
from sqlalchemy import select
from test_refunds import AUTOMATIC, World

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.wallet import payments
from walletdesk.wallet import tables as t
from walletdesk.wallet.merchants import Merchant
from walletdesk.wallet.payment_rules import PAYABLE, TERMINAL, PaymentStatus, can_move

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def world(container: Container, clock: FakeClock) -> Iterator[World]:
    yield World(container, clock)
    assert container.ledger.check_invariants() == []


def _intent(world: World, amount: int = 10_000) -> tuple[Merchant, uuid.UUID]:
    shop, _ = world.merchant(AUTOMATIC)
    intent = payments.do_create_intent(
        world.c.wallet,
        shop,
        amount=amount,
        currency="CNY",
        order_ref=f"order-{uuid.uuid4().hex[:12]}",
        description=None,
        expires_in=None,
    )
    return shop, uuid.UUID(intent["id"])


def _attempts(world: World, payment_id: uuid.UUID) -> list[tuple[str, str | None]]:
    a = t.payment_attempts.c
    with world.c.engine.connect() as conn:
        rows = conn.execute(
            select(a.status, a.failure_code)
            .where(a.payment_id == payment_id)
            .order_by(a.created_at, a.id)
        ).all()
    return [(row.status, row.failure_code) for row in rows]


def _webhook_events(world: World) -> list[str]:
    with world.c.engine.connect() as conn:
        rows = conn.execute(
            select(t.webhook_deliveries.c.event).order_by(t.webhook_deliveries.c.seq)
        ).all()
    return [row.event for row in rows if row.event.startswith("payment.")]


def test_no_state_leads_out_of_succeeded_canceled_or_expired() -> None:
    assert {PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED, PaymentStatus.EXPIRED} == TERMINAL
    for final in TERMINAL:
        assert not any(can_move(final, other) for other in PaymentStatus)
    # ...while a failed attempt on an open intent leaves it payable, as before.
    assert can_move(PaymentStatus.REQUIRES_CONFIRMATION, PaymentStatus.FAILED)
    assert can_move(PaymentStatus.FAILED, PaymentStatus.FAILED)
    assert PaymentStatus.FAILED in PAYABLE


def test_paying_a_canceled_intent_twice_keeps_it_canceled_and_charges_nothing(
    world: World,
) -> None:
    customer = world.customer("500.00")
    shop, payment_id = _intent(world)
    canceled = payments.do_cancel_intent(world.c.wallet, shop, payment_id)
    assert canceled["status"] == "canceled"
    before = money_snapshot(world.c)

    first = payments.do_pay(world.c.wallet, customer, payment_id, "en")
    second = payments.do_pay(world.c.wallet, customer, payment_id, "en")

    for result in (first, second):
        assert result.payment["status"] == "canceled"
        assert result.payment["failure"]["code"] == "merchant_error"
        assert result.duplicate is False
    assert world.payment(payment_id).status == "canceled"
    assert world.payment(payment_id).paid_at is None
    assert world.wallet(customer) == 50_000
    assert money_snapshot(world.c) == before
    assert _attempts(world, payment_id) == [
        ("failed", "merchant_error"),
        ("failed", "merchant_error"),
    ]
    # The merchant heard "canceled" once; attempts on a final intent are no news to it.
    assert _webhook_events(world) == ["payment.canceled"]


def test_paying_an_intent_swept_as_expired_keeps_it_expired_and_charges_nothing(
    world: World, clock: FakeClock
) -> None:
    customer = world.customer("500.00")
    _, payment_id = _intent(world)
    clock.advance(timedelta(minutes=16))
    assert payments.expire_due(world.c.wallet) == 1
    before = money_snapshot(world.c)

    for _ in range(2):
        result = payments.do_pay(world.c.wallet, customer, payment_id, "en")
        assert result.payment["status"] == "expired"
        assert result.payment["failure"]["code"] == "payment_expired"

    assert world.payment(payment_id).status == "expired"
    assert world.wallet(customer) == 50_000
    assert money_snapshot(world.c) == before
    assert _webhook_events(world) == []


def test_a_lapsed_intent_is_written_expired_by_the_attempt_and_stays_so(
    world: World, clock: FakeClock
) -> None:
    customer = world.customer("500.00")
    _, payment_id = _intent(world)
    clock.advance(timedelta(minutes=16))  # past its expiry, before any sweep

    first = payments.do_pay(world.c.wallet, customer, payment_id, "en")
    before = money_snapshot(world.c)
    second = payments.do_pay(world.c.wallet, customer, payment_id, "en")

    assert (first.payment["status"], second.payment["status"]) == ("expired", "expired")
    assert world.wallet(customer) == 50_000
    assert money_snapshot(world.c) == before
    # The move to expired was news for the merchant; the second attempt was not.
    assert _webhook_events(world) == ["payment.failed"]

"""A payment the database cannot take in time fails as network_timeout and charges nothing.

The customer at the till must not wait minutes behind a busy database: past
``payment_deadline_seconds`` the payment rolls back whole. When the failure itself can
be written it is stored (402, with its diagnosis); when not even that can be written the
answer is 503 with Retry-After and nothing at all has changed. Either way the same
request sent again later pays exactly once.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from api_world import Customer, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from wallet_world import Shop, available, ledger_is_balanced, open_shop, top_up

from walletdesk.bootstrap import Container
from walletdesk.wallet import tables as wallet_tables

BACKENDS = ["sqlite", "postgres"]
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture(autouse=True)
def balanced_after(container: Container) -> Iterator[None]:
    yield
    ledger_is_balanced(container)


@pytest.fixture
def me(client: TestClient) -> Customer:
    return sign_up(client)


@pytest.fixture
def shop(client: TestClient, container: Container) -> Shop:
    return open_shop(client, container)


@pytest.fixture
def short_deadline(container: Container) -> None:
    # Half a second keeps the test quick; production waits ten.
    short = container.settings.model_copy(update={"payment_deadline_seconds": 0.5})
    container.settings = short
    container.wallet.settings = short


@contextmanager
def database_busy(container: Container, shop: Shop) -> Iterator[None]:
    """Another writer holds what the payment needs: on SQLite the database's one write
    lock; on PostgreSQL the shop's ledger account row (every payment credits it)."""
    engine = container.engine
    if engine.dialect.name == "sqlite":
        holder = sqlite3.connect(str(engine.url.database), isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield
            holder.execute("ROLLBACK")
        finally:
            holder.close()
        return
    with engine.connect() as conn, conn.begin():
        merchant = conn.execute(
            text("SELECT account_id FROM merchants WHERE id = :id"), {"id": shop.id}
        ).scalar_one()
        conn.execute(
            text("SELECT id FROM ledger_accounts WHERE id = :id FOR UPDATE"), {"id": merchant}
        )
        yield


def _records(container: Container, payment: str) -> dict[str, Any]:
    p, a = wallet_tables.payments, wallet_tables.payment_attempts
    payment_id = uuid.UUID(payment)
    with container.engine.connect() as conn:
        row = conn.execute(select(p).where(p.c.id == payment_id)).one()
        attempts = conn.execute(
            select(func.count()).select_from(a).where(a.c.payment_id == payment_id)
        ).scalar_one()
    return {
        "status": row.status,
        "failure_code": row.failure_code,
        "attempts": row.attempts,
        "attempt_rows": attempts,
    }


@pytest.mark.usefixtures("short_deadline")
@pytest.mark.parametrize("key", [None, "pay-busy-1"], ids=["no-key", "idempotency-key"])
def test_a_payment_stuck_behind_a_busy_database_fails_as_network_timeout_and_charges_nothing(
    me: Customer, shop: Shop, container: Container, key: str | None
) -> None:
    top_up(me, "100.00")
    intent = shop.intent("38.00", "order-busy").json()
    before = _records(container, intent["id"])
    headers = {**ZH, **({"Idempotency-Key": key} if key else {})}

    with database_busy(container, shop):
        busy = me.post(f"/api/v1/payment-intents/{intent['id']}/pay", headers=headers)

    # Worth sending again: a 5xx, which the Idempotency-Key never keeps as the answer.
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "2"
    # Whichever step timed out, the answer carries the same failure entry.
    failure = busy.json()["failure"]
    assert failure["code"] == "network_timeout"
    assert failure["retryable"] is True
    assert "重复扣款" in failure["next_step"]
    assert available(me) == "100.00"
    if container.engine.dialect.name == "sqlite":
        # The whole database was locked: not even the failure (or the key) could be stored.
        assert _records(container, intent["id"]) == before
    else:
        # Only the shop's account was locked: the failure is stored for the diagnosis.
        after = _records(container, intent["id"])
        assert after["status"] == "failed"
        assert after["failure_code"] == "network_timeout"
        assert after["attempt_rows"] == before["attempt_rows"] + 1
        diagnosis = me.get(f"/api/v1/payments/{intent['id']}/diagnosis").json()
        assert diagnosis["category"] == "network"
        assert diagnosis["retry"] == "yes_same_idempotency_key"

    # Sent again once the database is free, the same request pays exactly once.
    retry = me.post(f"/api/v1/payment-intents/{intent['id']}/pay", headers=headers)
    assert retry.status_code == 200, retry.json()
    assert retry.json()["status"] == "succeeded"
    again = me.post(f"/api/v1/payment-intents/{intent['id']}/pay", headers=headers)
    assert again.json()["status"] == "succeeded"
    assert available(me) == "62.00"


def test_without_contention_the_deadline_changes_nothing(
    me: Customer, shop: Shop, container: Container
) -> None:
    # The default deadline: a payment on a free database is untouched by it.
    assert container.wallet.settings.payment_deadline_seconds == 10.0
    top_up(me, "50.00")
    intent = shop.intent("20.00", "order-free").json()
    paid = me.post(f"/api/v1/payment-intents/{intent['id']}/pay")
    assert paid.status_code == 200
    assert available(me) == "30.00"

"""Wallet test helpers: cards, top-ups, balances, a merchant with an API key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api_world import Customer
from fastapi.testclient import TestClient

from walletdesk.bootstrap import Container
from walletdesk.identity.model import RequestContext
from walletdesk.identity.staff import console_operator
from walletdesk.wallet.merchants import do_create_merchant


def add_card(me: Customer, number: str = "4242424242424242") -> str:
    response = me.post(
        "/api/v1/me/cards",
        json={"number": number, "expiry_month": 12, "expiry_year": 2031},
        headers={"X-Verification-Token": me.step_up()},
    )
    assert response.status_code == 201, response.json()
    return str(response.json()["id"])


def top_up(me: Customer, amount: str, card_id: str | None = None, key: str | None = None) -> Any:
    card = card_id or add_card(me)
    headers = {"Idempotency-Key": key} if key else {}
    return me.post(
        "/api/v1/topups",
        json={"amount": amount, "currency": "CNY", "card_id": card},
        headers=headers,
    )


def available(me: Customer, currency: str = "CNY") -> str:
    for item in me.get("/api/v1/wallets").json()["items"]:
        if item["currency"] == currency:
            return str(item["available"])
    return "0.00"


@dataclass
class Shop:
    client: TestClient
    id: str
    api_key: str
    webhook_secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def intent(self, amount: str, order_ref: str, **extra: Any) -> Any:
        return self.client.post(
            "/api/v1/merchant/payment-intents",
            json={"amount": amount, "currency": "CNY", "order_ref": order_ref, **extra},
            headers=self.headers,
        )


def open_shop(
    client: TestClient,
    container: Container,
    policy: dict[str, Any] | None = None,
    webhook_url: str | None = "https://shop.example/hooks",
) -> Shop:
    merchant, key = do_create_merchant(
        container.wallet,
        actor=console_operator(container.clock.now()),
        name="Tea House 茶馆",
        currency="CNY",
        refund_policy=policy,
        webhook_url=webhook_url,
        ctx=RequestContext(),
    )
    return Shop(client, str(merchant.id), key, merchant.webhook_secret)


def ledger_is_balanced(container: Container) -> None:
    """After every wallet test: every invariant holds and each currency sums to zero."""
    assert container.ledger.check_invariants() == []

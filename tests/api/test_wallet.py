"""Wallet flows end to end over HTTP, on SQLite and PostgreSQL, with every failure code.

After each test the ledger's invariants hold (Σ debits = Σ credits per currency,
balances equal entries, holds equal pending counters).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from api_world import Customer, log_in, sign_up, totp_now, verify_contact
from fastapi.testclient import TestClient
from sqlalchemy import insert
from wallet_world import Shop, add_card, available, ledger_is_balanced, open_shop, top_up

from walletdesk.api.idempotency import fingerprint
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.wallet import tables as wallet_tables
from walletdesk.wallet.webhooks import verify

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


# -- funding ------------------------------------------------------------------------


def test_a_top_up_lands_in_the_balance_and_alerts(me: Customer, container: Container) -> None:
    response = top_up(me, "200.00")
    assert response.status_code == 201
    assert response.json()["status"] == "succeeded"
    assert available(me) == "200.00"
    container.dispatcher.run_once()
    assert "transaction" in [a["kind"] for a in me.get("/api/v1/me/alerts").json()["items"]]


def test_a_declined_card_moves_nothing(me: Customer) -> None:
    card = add_card(me, "4000000000000002")
    response = top_up(me, "50.00", card_id=card)
    assert response.status_code == 402
    assert response.json()["failure"]["code"] == "bank_declined"
    assert available(me) == "0.00"
    wallet = me.get("/api/v1/wallets").json()["items"][0]
    assert wallet["pending"] == "0.00"


def test_a_bank_that_answers_late_is_settled_by_a_retry_with_the_same_key_exactly_once(
    me: Customer,
) -> None:
    card = add_card(me, "4000000000000259")
    first = top_up(me, "80.00", card_id=card, key="late-1")
    assert first.status_code == 202
    assert first.json()["failure"]["code"] == "gateway_timeout"
    assert first.json()["failure"]["retryable"] is True
    assert available(me) == "0.00"
    retry = top_up(me, "80.00", card_id=card, key="late-1")
    assert retry.status_code == 201
    assert retry.json()["status"] == "succeeded"
    again = top_up(me, "80.00", card_id=card, key="late-1")
    assert again.json()["status"] == "succeeded"
    assert available(me) == "80.00"


def test_a_bank_that_never_answers_leaves_the_top_up_processing_and_nothing_spendable(
    me: Customer,
) -> None:
    card = add_card(me, "4000000000000119")
    for _ in range(3):
        response = top_up(me, "30.00", card_id=card, key="timeout-1")
        assert response.status_code == 202
    wallets = me.get("/api/v1/wallets").json()["items"][0]
    assert (wallets["available"], wallets["pending_in"]) == ("0.00", "30.00")


def test_the_same_idempotency_key_with_a_different_body_is_refused(me: Customer) -> None:
    card = add_card(me)
    assert top_up(me, "10.00", card_id=card, key="k-1").status_code == 201
    reused = top_up(me, "11.00", card_id=card, key="k-1")
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert available(me) == "10.00"


@pytest.mark.parametrize(
    ("lang", "detail"),
    [
        ("en", "An Idempotency-Key is at most 128 characters."),
        ("zh-CN", "Idempotency-Key 最长 128 个字符。"),
    ],
)
def test_an_overlong_idempotency_key_is_refused_in_the_callers_language(
    me: Customer, lang: str, detail: str
) -> None:
    card = add_card(me)
    wallets = me.get("/api/v1/wallets").json()
    refused = me.post(
        "/api/v1/topups",
        json={"amount": "10.00", "currency": "CNY", "card_id": card},
        headers={"Idempotency-Key": "k" * 129, "Accept-Language": lang},
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "validation_error"
    assert refused.json()["detail"] == detail
    assert me.get("/api/v1/wallets").json() == wallets  # no top-up, not even pending
    assert available(me) == "0.00"


def test_a_key_left_in_progress_by_a_dead_process_is_taken_over_by_a_later_retry(
    me: Customer, container: Container, clock: FakeClock
) -> None:
    # A process died between claiming the key and recording the answer: the key row
    # says in_progress and nothing else happened.
    card = add_card(me)
    body = json.dumps({"amount": "20.00", "currency": "CNY", "card_id": card}).encode()
    principal = hashlib.sha256(f"Bearer {me.token}".encode()).hexdigest()
    request_hash = fingerprint(f"Bearer {me.token}".encode(), "POST", "/api/v1/topups", body)
    with container.engine.begin() as conn:
        conn.execute(
            insert(wallet_tables.idempotency_keys).values(
                principal=principal,
                key="crash-1",
                request_hash=request_hash,
                state="in_progress",
                created_at=clock.now(),
            )
        )
    headers = {"Idempotency-Key": "crash-1", "Content-Type": "application/json"}

    # A retry soon after may race the first request: it is told to wait.
    clock.advance(timedelta(seconds=30))
    early = me.post("/api/v1/topups", content=body, headers=headers)
    assert early.status_code == 409
    assert early.json()["code"] == "request_in_progress"
    assert available(me) == "0.00"

    # Once the first request cannot still be running, a retry runs it, exactly once.
    clock.advance(timedelta(minutes=2))
    retry = me.post("/api/v1/topups", content=body, headers=headers)
    assert retry.status_code == 201, retry.json()
    replay = me.post("/api/v1/topups", content=body, headers=headers)
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == retry.json()["id"]
    assert available(me) == "20.00"


def test_withdrawing_to_a_new_card_is_held_during_cooling_off(
    client: TestClient, me: Customer, clock: FakeClock
) -> None:
    card = add_card(me)
    top_up(me, "500.00", card_id=card)
    evidence = {"full_name": "李雷", "id_type": "cn_resident_id", "id_number": "11010519491231002X"}
    assert me.post("/api/v1/me/kyc", json={"tier": "II", **evidence}).json()["tier"] == "II"
    held = me.post("/api/v1/withdrawals", json={"amount": "100.00", "card_id": card}, headers=ZH)
    assert held.status_code == 422
    assert held.json()["code"] == "card_cooling_off"
    assert "冷静期" in held.json()["failure"]["next_step"]
    assert available(me) == "500.00"
    clock.advance(timedelta(hours=24, seconds=1))
    me.token = log_in(client, "13800138000")  # the old session expired meanwhile
    done = me.post("/api/v1/withdrawals", json={"amount": "100.00", "card_id": card})
    assert done.status_code == 201, done.json()
    assert available(me) == "400.00"


def test_tier_one_accounts_cannot_withdraw(
    client: TestClient, me: Customer, clock: FakeClock
) -> None:
    card = add_card(me)
    top_up(me, "100.00", card_id=card)
    clock.advance(timedelta(days=2))
    me.token = log_in(client, "13800138000")
    refused = me.post("/api/v1/withdrawals", json={"amount": "10.00", "card_id": card})
    assert refused.json()["code"] == "tier_not_allowed"
    assert available(me) == "100.00"


# -- P2P ----------------------------------------------------------------------------


def test_a_transfer_reaches_the_receiver_who_is_alerted(
    client: TestClient, me: Customer, container: Container
) -> None:
    friend = sign_up(client, phone="+8613900139000", device="friend")
    verify_contact(friend, container, "phone")
    top_up(me, "100.00")
    sent = me.post(
        "/api/v1/transfers", json={"to": "13900139000", "amount": "25.50", "note": "午饭"}
    )
    assert sent.status_code == 201
    assert available(me) == "74.50"
    assert available(friend) == "25.50"
    container.dispatcher.run_once()
    alerts = friend.get("/api/v1/me/alerts").json()["items"]
    assert any(a["kind"] == "transaction" and "25.50" in a["body"] for a in alerts)


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        ({"to": "13700137000", "amount": "1.00"}, "recipient_not_found", 404),
        ({"to": "13800138000", "amount": "1.00"}, "validation_error", 422),
        ({"to": "13900139000", "amount": "0.00"}, "validation_error", 422),
        ({"to": "13900139000", "amount": "1.001"}, "invalid_amount", 422),
        ({"to": "13900139000", "amount": "500.00"}, "insufficient_funds", 422),
    ],
)
def test_bad_transfers_are_refused_and_move_nothing(
    client: TestClient,
    me: Customer,
    container: Container,
    body: dict[str, str],
    code: str,
    status: int,
) -> None:
    friend = sign_up(client, phone="+8613900139000", device="friend")
    verify_contact(friend, container, "phone")
    top_up(me, "100.00")
    response = me.post("/api/v1/transfers", json=body)
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert available(me) == "100.00"
    assert available(friend) == "0.00"


def test_a_frozen_account_can_look_but_not_send(
    client: TestClient, me: Customer, container: Container
) -> None:
    friend = sign_up(client, phone="+8613900139000", device="friend")
    verify_contact(friend, container, "phone")
    top_up(me, "100.00")
    me.post("/api/v1/me/freeze", json={"reason": "lost phone"})
    refused = me.post("/api/v1/transfers", json={"to": "13900139000", "amount": "1.00"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "account_frozen"
    assert available(me) == "100.00"


# -- merchant payments ---------------------------------------------------------------


def test_paying_an_intent_succeeds_once_even_if_paid_twice(
    me: Customer, shop: Shop, container: Container
) -> None:
    top_up(me, "100.00")
    intent = shop.intent("38.00", "order-1").json()
    assert intent["status"] == "requires_confirmation"
    first = me.post(f"/api/v1/payment-intents/{intent['id']}/pay")
    assert first.status_code == 200
    assert first.json()["status"] == "succeeded"
    second = me.post(f"/api/v1/payment-intents/{intent['id']}/pay")
    assert second.json()["duplicate"] is True
    assert available(me) == "62.00"
    container.webhooks.run_once()
    sender = container.webhooks.sender
    _url, body, headers = sender.received[-1]  # type: ignore[attr-defined]
    assert json.loads(body)["type"] == "payment.succeeded"
    assert verify(shop.webhook_secret, headers["Walletdesk-Signature"], body, container.clock.now())
    assert not verify("wrong-secret", headers["Walletdesk-Signature"], body, container.clock.now())


def test_an_insufficient_balance_fails_with_a_diagnosis(me: Customer, shop: Shop) -> None:
    top_up(me, "10.00")
    intent = shop.intent("38.00", "order-2").json()
    failed = me.post(f"/api/v1/payment-intents/{intent['id']}/pay", headers=ZH)
    assert failed.status_code == 402
    assert failed.json()["failure"]["code"] == "insufficient_funds"
    assert failed.json()["failure"]["category"] == "funds"
    assert "充值" in failed.json()["failure"]["next_step"]
    assert available(me) == "10.00"
    diagnosis = me.get(f"/api/v1/payments/{intent['id']}/diagnosis").json()
    assert diagnosis["code"] == "insufficient_funds"
    assert "10.00" in diagnosis["cause"]
    assert "38.00" in diagnosis["cause"]
    assert diagnosis["retryable"] is True
    assert diagnosis["related_articles"]
    # After a top-up the same intent can be paid.
    top_up(me, "50.00")
    assert me.post(f"/api/v1/payment-intents/{intent['id']}/pay").json()["status"] == "succeeded"


def test_an_unpaid_intent_expires_as_payment_expired(
    me: Customer, shop: Shop, clock: FakeClock
) -> None:
    top_up(me, "100.00")
    intent = shop.intent("10.00", "order-3").json()
    clock.advance(timedelta(minutes=15, seconds=1))
    late = me.post(f"/api/v1/payment-intents/{intent['id']}/pay")
    assert late.json()["status"] == "expired"
    assert late.json()["failure"]["code"] == "payment_expired"
    assert available(me) == "100.00"


def test_the_tier_one_lifetime_limit_stops_a_payment(me: Customer, shop: Shop) -> None:
    top_up(me, "2000.00")
    big = shop.intent("1000.01", "order-4").json()
    refused = me.post(f"/api/v1/payment-intents/{big['id']}/pay")
    assert refused.json()["failure"]["code"] == "limit_exceeded_transaction"
    ok = shop.intent("900.00", "order-5").json()
    assert me.post(f"/api/v1/payment-intents/{ok['id']}/pay").json()["status"] == "succeeded"
    over = shop.intent("100.01", "order-6").json()
    refused = me.post(f"/api/v1/payment-intents/{over['id']}/pay")
    assert refused.json()["failure"]["code"] in {"limit_exceeded_daily", "limit_exceeded_annual"}
    assert available(me) == "1100.00"
    limits = me.get("/api/v1/limits").json()
    spend = {w["window"]: w for w in limits["scopes"]["spend"]}
    assert spend["lifetime"]["used"] == "900.00"
    assert spend["lifetime"]["remaining"] == "100.00"


def test_the_monthly_limit_stops_a_payment_that_every_daily_limit_allows(
    client: TestClient, me: Customer, shop: Shop, clock: FakeClock
) -> None:
    # Tier II, password only: ¥1,000 a day, ¥10,000 a month (limits_policy.py).
    evidence = {"full_name": "李雷", "id_type": "cn_resident_id", "id_number": "11010519491231002X"}
    assert me.post("/api/v1/me/kyc", json={"tier": "II", **evidence}).json()["tier"] == "II"
    top_up(me, "12000.00")
    for day in range(10):
        intent = shop.intent("1000.00", f"daily-{day}").json()
        paid = me.post(f"/api/v1/payment-intents/{intent['id']}/pay")
        assert paid.json()["status"] == "succeeded", paid.json()
        clock.advance(timedelta(days=1))
        me.token = log_in(client, "13800138000")
    intent = shop.intent("0.01", "one-too-many").json()
    refused = me.post(f"/api/v1/payment-intents/{intent['id']}/pay", headers=ZH)
    failure = refused.json()["failure"]
    assert failure["code"] == "limit_exceeded_monthly"
    assert failure["category"] == "limits"
    assert failure["retryable"] is False
    assert available(me) == "2000.00"
    spend = {w["window"]: w for w in me.get("/api/v1/limits").json()["scopes"]["spend"]}
    assert spend["month"]["used"] == "10000.00"
    assert spend["month"]["remaining"] == "0.00"
    assert spend["day"]["used"] == "0.00"


def test_a_suspended_merchant_is_unavailable(
    me: Customer, shop: Shop, container: Container
) -> None:
    import uuid

    from walletdesk.identity.staff import console_operator
    from walletdesk.wallet.merchants import do_set_merchant_status

    top_up(me, "100.00")
    intent = shop.intent("10.00", "order-7").json()
    do_set_merchant_status(
        container.wallet,
        actor=console_operator(container.clock.now()),
        merchant_id=uuid.UUID(shop.id),
        status="suspended",
    )
    failed = me.post(f"/api/v1/payment-intents/{intent['id']}/pay")
    assert failed.json()["failure"]["code"] == "merchant_unavailable"
    assert available(me) == "100.00"


def test_paying_an_intent_the_merchant_canceled_is_a_merchant_error(
    me: Customer, shop: Shop, container: Container
) -> None:
    top_up(me, "100.00")
    intent = shop.intent("10.00", "order-canceled").json()
    canceled = shop.client.post(
        f"/api/v1/merchant/payment-intents/{intent['id']}/cancel", headers=shop.headers
    )
    assert canceled.status_code == 200, canceled.json()
    assert canceled.json()["status"] == "canceled"
    failed = me.post(f"/api/v1/payment-intents/{intent['id']}/pay", headers=ZH)
    assert failed.status_code == 402
    failure = failed.json()["failure"]
    assert failure["code"] == "merchant_error"
    assert failure["category"] == "merchant"
    assert "商户" in failure["next_step"]
    assert available(me) == "100.00"
    diagnosis = me.get(f"/api/v1/payments/{intent['id']}/diagnosis").json()
    assert diagnosis["code"] == "merchant_error"


def test_a_paid_intent_cannot_be_canceled_and_nothing_changes(
    me: Customer, shop: Shop, container: Container, client: TestClient
) -> None:
    top_up(me, "100.00")
    intent = shop.intent("10.00", "order-paid").json()
    assert me.post(f"/api/v1/payment-intents/{intent['id']}/pay").json()["status"] == "succeeded"
    refused = shop.client.post(
        f"/api/v1/merchant/payment-intents/{intent['id']}/cancel", headers=shop.headers
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "payment_not_cancelable"
    assert me.get(f"/api/v1/payments/{intent['id']}").json()["status"] == "succeeded"
    assert available(me) == "90.00"
    other = open_shop(client, container)
    stranger = client.post(
        f"/api/v1/merchant/payment-intents/{intent['id']}/cancel", headers=other.headers
    )
    assert stranger.status_code == 404


def test_a_large_payment_from_a_brand_new_account_is_blocked_by_risk(
    me: Customer, shop: Shop, container: Container
) -> None:
    from walletdesk.wallet import payment_rules

    intent = shop.intent("50000.00", "order-8").json()
    failed = me.post(f"/api/v1/payment-intents/{intent['id']}/pay")
    assert failed.json()["failure"]["code"] == "risk_blocked"
    assert failed.json()["failure"]["retryable"] is False
    assert payment_rules.RISK_LARGE_AMOUNT == 5_000_000


def test_an_intent_in_another_currency_is_refused(shop: Shop) -> None:
    response = shop.client.post(
        "/api/v1/merchant/payment-intents",
        json={"amount": "10.00", "currency": "USD", "order_ref": "x"},
        headers=shop.headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "currency_not_supported"


def test_another_customer_cannot_see_my_payment(
    client: TestClient, me: Customer, shop: Shop
) -> None:
    top_up(me, "100.00")
    intent = shop.intent("10.00", "order-9").json()
    me.post(f"/api/v1/payment-intents/{intent['id']}/pay")
    stranger = sign_up(client, phone="+8613900139000", device="s")
    assert stranger.get(f"/api/v1/payments/{intent['id']}").status_code == 404
    assert stranger.get(f"/api/v1/payments/{intent['id']}/diagnosis").status_code == 404


def test_a_merchant_key_is_needed_for_intents(client: TestClient) -> None:
    response = client.post(
        "/api/v1/merchant/payment-intents",
        json={"amount": "1.00", "order_ref": "x"},
        headers={"Authorization": "Bearer wdk_live_forged"},
    )
    assert response.status_code == 401


# -- history and limits ----------------------------------------------------------------


def test_history_lists_everything_with_filters_pages_and_csv(
    me: Customer, shop: Shop, clock: FakeClock
) -> None:
    top_up(me, "100.00")
    for n in range(3):
        clock.advance(timedelta(seconds=1))
        intent = shop.intent(f"{n + 1}.00", f"h-{n}").json()
        me.post(f"/api/v1/payment-intents/{intent['id']}/pay")
    page = me.get("/api/v1/transactions", params={"limit": 2}).json()
    assert len(page["items"]) == 2
    rest = me.get(
        "/api/v1/transactions", params={"limit": 10, "cursor": page["next_cursor"]}
    ).json()
    assert len(page["items"]) + len(rest["items"]) == 4
    assert rest["next_cursor"] is None
    payments_only = me.get("/api/v1/transactions", params={"kind": "payment"}).json()["items"]
    assert [p["amount"] for p in payments_only] == ["3.00", "2.00", "1.00"]
    exported = me.get("/api/v1/transactions/export.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 4
    assert {r["kind"] for r in rows} == {"payment", "topup"}


def test_a_limit_request_is_decided_with_reasons(
    client: TestClient, me: Customer, clock: FakeClock, container: Container
) -> None:
    token = me.step_up()
    tier_one = me.post(
        "/api/v1/limit-requests",
        json={
            "kind": "permanent",
            "window": "day",
            "amount": "2000.00",
            "reason": "buying a laptop",
        },
        headers={"X-Verification-Token": token},
    ).json()
    assert tier_one["status"] == "rejected"
    assert tier_one["reasons"][0]["code"] == "tier_too_low"
    evidence = {"full_name": "李雷", "id_type": "cn_resident_id", "id_number": "11010519491231002X"}
    me.post("/api/v1/me/kyc", json={"tier": "II", **evidence})
    started = me.post("/api/v1/me/2fa/totp").json()
    me.post(
        "/api/v1/me/2fa/totp/confirm",
        json={"code": totp_now(started["secret"], clock)},
        headers={"X-Verification-Token": me.step_up()},
    )
    clock.advance(timedelta(days=31))
    relogin = client.post(
        "/api/v1/sessions",
        json={
            "login": "13800138000",
            "password": me.password,
            "totp_code": totp_now(started["secret"], clock),
        },
        headers={"X-Device-Id": "phone-1", "User-Agent": "walletdesk-app/phone-1"},
    )
    me.token = relogin.json()["token"]  # same phone as at sign-up: no new-device event
    approved = me.post(
        "/api/v1/limit-requests",
        json={
            "kind": "permanent",
            "window": "day",
            "amount": "8000.00",
            "reason": "buying a laptop",
        },
        headers={"X-Verification-Token": me.step_up()},
    ).json()
    assert approved["status"] == "approved"
    day = next(
        w for w in me.get("/api/v1/limits").json()["scopes"]["spend"] if w["window"] == "day"
    )
    assert day["limit"] == "8000.00"
    review = me.post(
        "/api/v1/limit-requests",
        json={"kind": "permanent", "window": "day", "amount": "20000.00", "reason": "car deposit"},
        headers={"X-Verification-Token": me.step_up()},
    ).json()
    assert review["status"] == "needs_review"


def test_a_limit_request_needs_step_up(me: Customer, container: Container) -> None:
    refused = me.post(
        "/api/v1/limit-requests",
        json={"kind": "permanent", "window": "day", "amount": "2000.00", "reason": "x"},
    )
    assert refused.status_code == 403
    from sqlalchemy import func, select

    from walletdesk.wallet import tables as t

    with container.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.limit_requests)).scalar_one() == 0


def test_a_large_payment_needs_step_up_and_a_bad_token_fails_it(
    client: TestClient, me: Customer, shop: Shop, clock: FakeClock
) -> None:
    top_up(me, "5000.00")
    evidence = {"full_name": "李雷", "id_type": "cn_resident_id", "id_number": "11010519491231002X"}
    me.post("/api/v1/me/kyc", json={"tier": "II", **evidence})
    started = me.post("/api/v1/me/2fa/totp").json()
    me.post(
        "/api/v1/me/2fa/totp/confirm",
        json={"code": totp_now(started["secret"], clock)},
        headers={"X-Verification-Token": me.step_up()},
    )
    clock.advance(timedelta(days=2))
    relogin = client.post(
        "/api/v1/sessions",
        json={
            "login": "13800138000",
            "password": me.password,
            "totp_code": totp_now(started["secret"], clock),
        },
        headers={"X-Device-Id": "phone-1", "User-Agent": "walletdesk-app/phone-1"},
    )
    me.token = relogin.json()["token"]
    intent = shop.intent("2000.00", "big-1").json()
    needs = me.post(f"/api/v1/payment-intents/{intent['id']}/pay", headers=ZH)
    assert needs.status_code == 402
    assert needs.json()["failure"]["code"] == "authentication_required"
    assert needs.json()["failure"]["retryable"] is True
    bad = me.post(
        f"/api/v1/payment-intents/{intent['id']}/pay",
        headers={"X-Verification-Token": "wdv_forged"},
    )
    assert bad.json()["failure"]["code"] == "authentication_failed"
    assert available(me) == "5000.00"
    ok = me.post(
        f"/api/v1/payment-intents/{intent['id']}/pay",
        headers={"X-Verification-Token": me.step_up()},
    )
    assert ok.json()["status"] == "succeeded"
    assert available(me) == "3000.00"


def test_a_lapsed_intent_reads_as_expired_before_any_sweep_and_the_read_writes_nothing(
    me: Customer, shop: Shop, clock: FakeClock, container: Container
) -> None:
    import uuid

    from sqlalchemy import select

    from walletdesk.wallet import tables as t

    intent = shop.intent("10.00", "lapsed-1").json()
    clock.advance(timedelta(minutes=15, seconds=1))
    seen = shop.client.get(f"/api/v1/merchant/payments/{intent['id']}", headers=shop.headers).json()
    assert seen["status"] == "expired"
    assert seen["failure"]["code"] == "payment_expired"
    with container.engine.connect() as conn:
        stored = conn.execute(
            select(t.payments.c.status).where(t.payments.c.id == uuid.UUID(intent["id"]))
        ).scalar_one()
    assert stored == "requires_confirmation"

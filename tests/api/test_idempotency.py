"""The Idempotency-Key store never keeps a secret nor hands one back (api/idempotency.py).

Routes whose answer carries a bearer secret keep nothing (a repeated key runs the request
again, checks included) or, for a merchant's creation, keep the key but not the answer
(409 ``idempotency_key_not_allowed``). Anonymous callers get no shared namespace; the
inbound channels are scoped to their signing gateway, checked before any replay. Ordinary
routes (payments, transfers, refunds) replay exactly as before.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from agent_world import staff
from alembic.migration import MigrationContext
from alembic.operations import Operations
from api_world import (
    STRONG,
    Customer,
    enable_totp,
    sign_up,
    step_up_second_factor,
    totp_now,
    verify_contact,
)
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, insert, select
from wallet_world import add_card, available, ledger_is_balanced, open_shop, top_up

from walletdesk.api.idempotency import fingerprint
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity.roles import Role
from walletdesk.support.channels.signature import HEADER, sign
from walletdesk.wallet import tables as wallet_tables

BACKENDS = ["sqlite", "postgres"]
CHANNELS_SECRET = "test-channels-secret"
AUTOMATIC = {"window_days": 30, "approval": "automatic", "evidence_required_for": ["damaged"]}


@pytest.fixture(autouse=True)
def balanced_after(container: Container) -> Iterator[None]:
    yield
    ledger_is_balanced(container)


@pytest.fixture
def me(client: TestClient) -> Customer:
    return sign_up(client)


def kept(container: Container) -> list[Any]:
    """Every row of the idempotency store."""
    with container.engine.connect() as conn:
        return list(conn.execute(select(wallet_tables.idempotency_keys)).all())


def kept_text(container: Container) -> str:
    """Everything the store holds, as one string to search secrets in."""
    return "\n".join(
        f"{row.principal} {row.key} {row.request_hash} {row.state} {row.response}"
        for row in kept(container)
    )


def keyed(key: str, **headers: str) -> dict[str, str]:
    return {"Idempotency-Key": key, **headers}


# -- routes whose answer is a secret: nothing kept, a repeat runs again --------------


def test_a_login_with_a_key_keeps_nothing_and_a_repeat_checks_the_password_again(
    client: TestClient, me: Customer, container: Container
) -> None:
    body = {"login": "+8613800138000", "password": STRONG}
    first = client.post("/api/v1/sessions", json=body, headers=keyed("login-1"))
    assert first.status_code == 201
    assert kept(container) == []

    again = client.post("/api/v1/sessions", json=body, headers=keyed("login-1"))
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert again.json()["token"] != first.json()["token"]
    assert kept(container) == []

    # Had the first answer been kept, this would replay it: the password is checked.
    wrong = client.post(
        "/api/v1/sessions", json={**body, "password": "not-it-1"}, headers=keyed("login-1")
    )
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"
    assert "token" not in wrong.json()
    assert kept(container) == []


def test_a_repeated_login_with_a_used_totp_code_is_refused_not_replayed(
    client: TestClient, me: Customer, container: Container, clock: FakeClock
) -> None:
    enable_totp(me, clock)
    code = totp_now(str(me.totp_secret), clock, offset_steps=1)
    body = {"login": "+8613800138000", "password": STRONG, "totp_code": code}
    clock.advance(timedelta(seconds=30))
    first = client.post("/api/v1/sessions", json=body, headers=keyed("login-2fa"))
    assert first.status_code == 201, first.json()

    clock.advance(timedelta(minutes=10))  # the code is long stale
    again = client.post("/api/v1/sessions", json=body, headers=keyed("login-2fa"))
    assert again.status_code == 401
    assert "token" not in again.json()
    assert first.json()["token"] not in kept_text(container)


def test_a_step_up_with_a_key_keeps_nothing_and_a_repeat_issues_a_new_token(
    me: Customer, container: Container
) -> None:
    body = {"method": "password", "password": STRONG}
    first = me.post("/api/v1/me/verifications", json=body, headers=keyed("step-1"))
    assert first.status_code == 201
    assert kept(container) == []
    again = me.post("/api/v1/me/verifications", json=body, headers=keyed("step-1"))
    assert again.status_code == 201
    assert again.json()["verification_token"] != first.json()["verification_token"]
    wrong = me.post(
        "/api/v1/me/verifications",
        json={**body, "password": "not-it-1"},
        headers=keyed("step-1"),
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "code_invalid"
    assert "verification_token" not in wrong.json()
    assert kept(container) == []


def test_two_factor_set_up_with_keys_keeps_neither_the_secret_nor_the_recovery_codes(
    me: Customer, container: Container, clock: FakeClock
) -> None:
    started = me.post("/api/v1/me/2fa/totp", headers=keyed("totp-1"))
    restarted = me.post("/api/v1/me/2fa/totp", headers=keyed("totp-1"))
    assert (started.status_code, restarted.status_code) == (201, 201)
    # The repeat ran again: a new secret, and only the latest one is pending.
    secret = restarted.json()["secret"]
    assert secret != started.json()["secret"]
    assert kept(container) == []

    code = {"code": totp_now(secret, clock)}
    # Turning 2FA on needs a step-up; the repeat is refused before its token is looked at.
    confirm_headers = {**keyed("totp-2"), "X-Verification-Token": me.step_up()}
    confirmed = me.post("/api/v1/me/2fa/totp/confirm", json=code, headers=confirm_headers)
    assert confirmed.status_code == 200, confirmed.json()
    codes = confirmed.json()["recovery_codes"]
    again = me.post("/api/v1/me/2fa/totp/confirm", json=code, headers=confirm_headers)
    assert again.status_code == 409
    assert again.json()["code"] == "totp_already_enabled"
    assert "recovery_codes" not in again.json()
    assert kept(container) == []
    stored = kept_text(container)
    assert secret not in stored
    assert not [c for c in codes if c in stored]


def test_new_recovery_codes_with_a_key_are_not_kept_and_a_repeat_needs_a_new_step_up(
    me: Customer, container: Container, clock: FakeClock
) -> None:
    enable_totp(me, clock)
    token = step_up_second_factor(me, clock)
    headers = keyed("codes-1", **{"X-Verification-Token": token})
    first = me.post("/api/v1/me/2fa/recovery-codes", headers=headers)
    assert first.status_code == 200, first.json()
    again = me.post("/api/v1/me/2fa/recovery-codes", headers=headers)
    assert again.status_code == 403
    assert again.json()["code"] == "verification_required"
    assert "recovery_codes" not in again.json()
    assert kept(container) == []
    assert not [c for c in first.json()["recovery_codes"] if c in kept_text(container)]


# -- a merchant's creation: the key is kept, the answer with its API key is not ----------


def merchant_names(container: Container, name: str) -> int:
    with container.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(wallet_tables.merchants)
                .where(wallet_tables.merchants.c.name == name)
            ).scalar_one()
        )


@pytest.mark.parametrize(
    ("lang", "detail"),
    [
        (
            "en",
            "The request with this Idempotency-Key already succeeded. Its answer held a "
            "secret that is shown only once, so it was not kept and cannot be sent again. "
            "Check the result before repeating the request with a new key.",
        ),
        (
            "zh-CN",
            "使用该 Idempotency-Key 的请求已经成功。其响应包含仅显示一次的密钥，"
            "系统不会保存，也无法再次返回。请先核对结果，再决定是否用新的键重新发起请求。",
        ),
    ],
)
def test_a_repeated_merchant_creation_is_refused_without_its_api_key_or_a_second_merchant(
    client: TestClient, container: Container, lang: str, detail: str
) -> None:
    admin = staff(client, container, 1, Role.ADMIN)
    body = {"name": "Tea House", "currency": "CNY"}
    created = admin.post("/api/v1/admin/merchants", json=body, headers=keyed("shop-1"))
    assert created.status_code == 201, created.json()
    api_key, webhook_secret = created.json()["api_key"], created.json()["webhook_secret"]
    [row] = kept(container)
    assert (row.state, row.status_code, row.response) == ("withheld", 201, None)

    again = admin.post(
        "/api/v1/admin/merchants", json=body, headers=keyed("shop-1", **{"Accept-Language": lang})
    )
    assert again.status_code == 409
    assert again.json()["code"] == "idempotency_key_not_allowed"
    assert again.json()["detail"] == detail
    assert api_key not in again.text
    assert merchant_names(container, "Tea House") == 1

    other = admin.post(
        "/api/v1/admin/merchants", json={**body, "name": "Other"}, headers=keyed("shop-1")
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert merchant_names(container, "Other") == 0
    stored = kept_text(container)
    assert api_key not in stored
    assert webhook_secret not in stored


def test_a_failed_merchant_creation_replays_as_before(
    client: TestClient, container: Container
) -> None:
    admin = staff(client, container, 1, Role.ADMIN)
    body = {"name": "Tea House", "currency": "XXX"}
    first = admin.post("/api/v1/admin/merchants", json=body, headers=keyed("shop-bad"))
    assert 400 <= first.status_code < 500
    again = admin.post("/api/v1/admin/merchants", json=body, headers=keyed("shop-bad"))
    assert again.status_code == first.status_code
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert merchant_names(container, "Tea House") == 0


# -- anonymous callers share no namespace ----------------------------------------------


def test_anonymous_callers_with_the_same_key_neither_collide_nor_see_each_others_answers(
    client: TestClient, container: Container
) -> None:
    def signup(phone: str) -> Any:
        body = {"phone": phone, "password": STRONG, "display_name": "Li Lei", "locale": "en"}
        return client.post("/api/v1/users", json=body, headers=keyed("signup-1"))

    first = signup("+8613800138000")
    second = signup("+8613900139000")  # someone else, same key, different body
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["id"] != first.json()["id"]

    # The same body again runs again: no stored answer for whoever sends it.
    again = signup("+8613800138000")
    assert again.status_code == 409
    assert "Idempotent-Replayed" not in again.headers
    assert first.json()["id"] not in again.text
    assert kept(container) == []


def test_a_keyed_request_body_is_fingerprinted_with_the_callers_credential_not_bare(
    me: Customer, container: Container
) -> None:
    body = json.dumps({"current_password": STRONG, "new_password": "Another-Strong-Pass-77"})
    changed = me.put(
        "/api/v1/me/password",
        content=body,
        headers=keyed("pw-1", **{"Content-Type": "application/json"}),
    )
    assert changed.status_code == 204
    [row] = kept(container)
    bare = hashlib.sha256(b"PUT /api/v1/me/password\n" + body.encode()).hexdigest()
    assert row.request_hash != bare
    assert row.request_hash == fingerprint(
        f"Bearer {me.token}".encode(), "PUT", "/api/v1/me/password", body.encode()
    )
    assert STRONG not in kept_text(container)


# -- inbound channels: the signature is checked before anything is replayed -----------


@pytest.fixture
def channels(
    container: Container, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    monkeypatch.setattr(container.settings, "channels_secret", SecretStr(CHANNELS_SECRET))
    from walletdesk.api.app import create_app

    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


def social(client: TestClient, clock: FakeClock, body: bytes, key: str, secret: str) -> Any:
    stamp = int(clock.now().timestamp())
    return client.post(
        "/api/v1/channels/social",
        content=body,
        headers=keyed(key, **{HEADER: sign(secret, stamp, body)}),
    )


def test_a_channel_request_is_never_answered_from_the_store_ahead_of_its_signature(
    channels: TestClient, container: Container, clock: FakeClock
) -> None:
    verify_contact(sign_up(channels), container, "phone")
    dm = {"platform": "weibo", "handle": "@lilei", "text": "我的付款失败了", "message_id": "m-1"}
    body = json.dumps(dm | {"phone": "13800138000"}).encode()
    # An unsigned request first: it is refused and claims nothing...
    forged = social(channels, clock, body, "dm-1", secret="not-the-secret")
    assert forged.status_code == 401
    assert kept(container) == []

    # ...so the gateway's own request with that key runs (a new ticket); its retry runs
    # again and the channel knows the message by its id.
    first = social(channels, clock, body, "dm-1", secret=CHANNELS_SECRET)
    assert first.status_code == 201, first.json()
    retry = social(channels, clock, body, "dm-1", secret=CHANNELS_SECRET)
    assert retry.status_code == 200
    assert retry.json()["ticket_id"] == first.json()["ticket_id"]
    assert "Idempotent-Replayed" not in retry.headers

    # A forged copy of the same body and key is checked, not answered from a store.
    forged_again = social(channels, clock, body, "dm-1", secret="not-the-secret")
    assert forged_again.status_code == 401
    assert forged_again.json()["code"] == "bad_signature"
    assert first.json()["ticket_id"] not in forged_again.text
    assert kept(container) == []


# -- ordinary routes replay exactly as before --------------------------------------------


def test_a_transfer_with_a_key_is_replayed_and_moves_money_once(
    client: TestClient, me: Customer, container: Container
) -> None:
    friend = sign_up(client, phone="+8613900139000", device="friend")
    verify_contact(friend, container, "phone")
    top_up(me, "100.00")
    body = {"to": "13900139000", "amount": "25.50", "note": "午饭"}
    first = me.post("/api/v1/transfers", json=body, headers=keyed("tr-1"))
    again = me.post("/api/v1/transfers", json=body, headers=keyed("tr-1"))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert (available(me), available(friend)) == ("74.50", "25.50")


def test_a_stored_answer_is_not_replayed_to_a_session_that_has_ended(
    client: TestClient, me: Customer, container: Container
) -> None:
    """The stored answer shows the caller's balance and counterparty: a token that has
    since been logged out (or revoked, or has expired) gets the route's own 401."""
    friend = sign_up(client, phone="+8613900139000", device="friend")
    verify_contact(friend, container, "phone")
    top_up(me, "100.00")
    body = {"to": "13900139000", "amount": "25.50", "note": "午饭"}
    first = me.post("/api/v1/transfers", json=body, headers=keyed("tr-1"))
    assert first.status_code == 201, first.json()
    assert me.delete("/api/v1/sessions/current").status_code == 204
    stored = kept_text(container)

    again = me.post("/api/v1/transfers", json=body, headers=keyed("tr-1"))

    assert again.status_code == 401, again.json()
    assert again.json()["code"] == "unauthenticated"
    assert "Idempotent-Replayed" not in again.headers
    assert first.json()["id"] not in again.text
    assert kept_text(container) == stored


def test_a_payment_and_its_refund_with_keys_are_replayed_and_happen_once(
    client: TestClient, me: Customer, container: Container
) -> None:
    shop = open_shop(client, container, policy=AUTOMATIC)
    top_up(me, "100.00", card_id=add_card(me))
    intent = shop.intent("30.00", "order-1").json()
    paid = me.post(f"/api/v1/payment-intents/{intent['id']}/pay", headers=keyed("pay-1"))
    replayed = me.post(f"/api/v1/payment-intents/{intent['id']}/pay", headers=keyed("pay-1"))
    assert paid.json()["status"] == "succeeded", paid.json()
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert (replayed.status_code, replayed.json()) == (paid.status_code, paid.json())
    assert available(me) == "70.00"

    ask = {"amount": "10.00", "currency": "CNY", "reason": "not_received"}
    path = f"/api/v1/payments/{intent['id']}/refunds"
    refund = me.post(path, json=ask, headers=keyed("refund-1"))
    assert refund.status_code == 201, refund.json()
    again = me.post(path, json=ask, headers=keyed("refund-1"))
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (again.status_code, again.json()) == (201, refund.json())
    assert len(me.get(path).json()["items"]) == 1
    # The stored answers are the ordinary ones, whole.
    assert {row.state for row in kept(container)} == {"done"}


# -- the upgrade purges what older versions kept -----------------------------------------


def test_the_upgrade_removes_kept_secrets_and_anonymous_and_expired_keys(
    container: Container, clock: FakeClock
) -> None:
    now = datetime.now(UTC)
    anonymous = hashlib.sha256(b"").hexdigest()
    someone = hashlib.sha256(b"Bearer someone").hexdigest()
    rows = {
        "login": (anonymous, 201, '{"token":"live-session","expires_at":"x"}', now),
        "signup": (anonymous, 201, '{"id":"u1"}', now),
        "step-up": (someone, 201, '{"verification_token":"vt","expires_at":"x"}', now),
        "totp": (someone, 201, '{"secret":"ABC","otpauth_uri":"otpauth://"}', now),
        "codes": (someone, 200, '{"recovery_codes":["a-b"]}', now),
        "shop": (someone, 201, '{"id":"m1","api_key":"wdk_live_x","webhook_secret":"w"}', now),
        "old": (someone, 201, '{"id":"t0"}', now - timedelta(hours=25)),
        "transfer": (someone, 201, '{"id":"t1","recovery_codes":0}', now),
    }
    with container.engine.begin() as conn:
        for key, (principal, status, response, created) in rows.items():
            conn.execute(
                insert(wallet_tables.idempotency_keys).values(
                    principal=principal,
                    key=key,
                    request_hash="0" * 64,
                    state="done",
                    status_code=status,
                    response=response,
                    created_at=created,
                )
            )
    migration = importlib.import_module(
        "walletdesk.db.migrations.versions.0015_idempotency_secrets_purged"
    )
    with container.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.upgrade()

    left = {row.key: (row.state, row.response) for row in kept(container)}
    assert left == {
        "shop": ("withheld", None),
        "transfer": ("done", '{"id":"t1","recovery_codes":0}'),
    }

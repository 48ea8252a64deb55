"""Alert preferences over the API: security alerts keep the inbox, the rest can be routed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from api_world import sign_up
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from walletdesk.bootstrap import Container
from walletdesk.db.transactions import run_transaction
from walletdesk.notify import outbox
from walletdesk.notify import tables as notify_t

BACKENDS = ["sqlite", "postgres"]
PHONE = "+8613800138000"
PAYMENT = {"direction": "out", "currency": "CNY", "amount": "12.34", "counterparty": "Corner Shop"}


def stored_preferences(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(notify_t.preferences)).scalar_one()
        )


def pay_alert(container: Container, user: dict[str, Any]) -> None:
    """What a payment does inside its own transaction: queue a transaction alert."""
    run_transaction(
        container.engine,
        lambda conn: outbox.enqueue(
            conn,
            kind="transaction",
            user_id=uuid.UUID(user["id"]),
            locale=user["locale"],
            params=PAYMENT,
            now=container.clock.now(),
            email=user["email"],
            phone=user["phone"],
        ),
    )
    container.dispatcher.run_once()


@pytest.mark.parametrize(
    ("lang", "title", "fragment"),
    [
        ("en", "Security alerts stay on", "always go to your in-app inbox"),
        ("zh-CN", "安全提醒无法关闭", "始终会发送到应用内消息中心"),
    ],
)
@pytest.mark.parametrize("kind", ["security", "login_new_device", "password_changed"])
def test_security_alerts_cannot_be_taken_out_of_the_inbox(
    client: TestClient, container: Container, kind: str, lang: str, title: str, fragment: str
) -> None:
    me = sign_up(client, phone=PHONE)
    before = me.get("/api/v1/me/alert-preferences").json()
    refused = me.put(
        "/api/v1/me/alert-preferences",
        json={"kind": kind, "channel": "inbox", "enabled": False},
        headers={"Accept-Language": lang},
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["code"] == "security_alerts_required"
    assert problem["title"] == title
    assert fragment in problem["detail"]
    assert me.get("/api/v1/me/alert-preferences").json() == before
    assert stored_preferences(container) == 0


def test_the_email_and_sms_copies_of_security_alerts_can_be_turned_off(client: TestClient) -> None:
    me = sign_up(client, phone=PHONE)
    response = me.put(
        "/api/v1/me/alert-preferences",
        json={"kind": "security", "channel": "sms", "enabled": False},
    )
    assert response.status_code == 200
    preferences = response.json()["preferences"]
    assert preferences["password_changed"] == {"inbox": True, "email": True, "sms": False}
    assert preferences["login_new_device"]["sms"] is False


@pytest.mark.parametrize(
    ("lang", "fragment"),
    [("en", "Verification codes are sent only"), ("zh-CN", "验证码只会发送到")],
)
def test_verification_codes_have_no_preference_to_change(
    client: TestClient, container: Container, lang: str, fragment: str
) -> None:
    me = sign_up(client, phone=PHONE)
    refused = me.put(
        "/api/v1/me/alert-preferences",
        json={"kind": "verification_code", "channel": "sms", "enabled": False},
        headers={"Accept-Language": lang},
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "preference_not_adjustable"
    assert fragment in refused.json()["detail"]
    assert stored_preferences(container) == 0


def test_a_transaction_alert_can_be_routed_away_from_sms(
    client: TestClient, container: Container
) -> None:
    # Given a customer whose payments are texted to them by default
    me = sign_up(client, phone=PHONE)
    defaults = me.get("/api/v1/me/alert-preferences").json()["preferences"]
    assert defaults["transaction"] == {"inbox": True, "email": False, "sms": True}
    pay_alert(container, me.user)
    texts_before = len(container.sms.messages_to(PHONE))
    assert texts_before == 1

    # When they turn SMS off for transaction alerts
    changed = me.put(
        "/api/v1/me/alert-preferences",
        json={"kind": "transaction", "channel": "sms", "enabled": False},
    )
    assert changed.status_code == 200
    assert changed.json()["preferences"]["transaction"] == {
        "inbox": True,
        "email": False,
        "sms": False,
    }
    assert me.get("/api/v1/me/alert-preferences").json() == changed.json()

    # Then the next payment alert reaches the inbox only
    pay_alert(container, me.user)
    assert len(container.sms.messages_to(PHONE)) == texts_before
    kinds = [alert["kind"] for alert in me.get("/api/v1/me/alerts").json()["items"]]
    assert kinds.count("transaction") == 2


def test_unknown_kinds_and_channels_are_refused(client: TestClient, container: Container) -> None:
    me = sign_up(client, phone=PHONE)
    for body in (
        {"kind": "weather", "channel": "sms", "enabled": False},
        {"kind": "transaction", "channel": "pigeon", "enabled": False},
    ):
        response = me.put("/api/v1/me/alert-preferences", json=body)
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"
    assert stored_preferences(container) == 0

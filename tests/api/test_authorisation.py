"""Who may call what: every identity and alert endpoint, for every role, and no one
reaching into another customer's sessions, cards or alerts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from api_world import STRONG, Customer, latest_email_code, log_in, sign_up, totp_now
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from walletdesk.api.routes import alerts, identity
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as t
from walletdesk.identity.accounts import do_register
from walletdesk.identity.model import RequestContext
from walletdesk.identity.roles import Role
from walletdesk.identity.staff import console_operator

BACKENDS = ["sqlite", "postgres"]
PHONE = "+8613800138000"
CARD = {"number": "4242 4242 4242 4242", "expiry_month": 12, "expiry_year": 2030}
NEW_STAFF = {
    "email": "new.agent@walletdesk.example",
    "password": STRONG,
    "display_name": "New Agent",
    "role": "agent",
}
EVIDENCE = {
    "tier": "II",
    "full_name": "李雷",
    "id_type": "cn_resident_id",
    "id_number": "11010519491231002X",
}
# Anyone may call these: they are how a session starts.
PUBLIC = {"POST /api/v1/users", "POST /api/v1/sessions"}

# What a signed-in caller of each role gets from each endpoint, called in the order
# of exercise_every_endpoint. Every role holds own_account; only admins manage staff.
OWN_ACCOUNT_STATUS = {
    "GET /api/v1/me": 200,
    "GET /api/v1/me/sessions": 200,
    "DELETE /api/v1/me/sessions/{session_id}": 204,
    "GET /api/v1/me/security": 200,
    "GET /api/v1/me/alert-preferences": 200,
    "PUT /api/v1/me/alert-preferences": 200,
    "POST /api/v1/me/2fa/totp": 201,
    "GET /api/v1/me/2fa/totp/qr.svg": 200,
    "POST /api/v1/me/2fa/totp/confirm": 200,
    "POST /api/v1/me/verifications": 201,
    "POST /api/v1/me/2fa/recovery-codes": 200,
    "POST /api/v1/me/verifications/sms": 202,
    "PUT /api/v1/me/phone": 200,
    "PUT /api/v1/me/email": 200,
    "POST /api/v1/me/contact-verifications": 202,
    "POST /api/v1/me/contact-verifications/confirm": 200,
    "GET /api/v1/me/cards": 200,
    "POST /api/v1/me/cards": 201,
    "DELETE /api/v1/me/cards/{card_id}": 204,
    "POST /api/v1/me/kyc": 200,
    "PUT /api/v1/me/password": 204,
    "DELETE /api/v1/me/2fa/totp": 204,
    "GET /api/v1/me/alerts": 200,
    "POST /api/v1/me/alerts/{alert_id}/read": 204,
    "POST /api/v1/me/freeze": 200,
    "DELETE /api/v1/sessions/current": 204,
}
EXPECTED = {
    role: {**OWN_ACCOUNT_STATUS, "POST /api/v1/admin/users": 201 if role == "admin" else 403}
    for role in ("customer", "agent", "supervisor", "admin")
}


def every_endpoint() -> set[str]:
    return {
        f"{method} {route.path}"
        for router in (identity.router, alerts.router)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }


def count_users(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.users)).scalar_one())


def signed_in_as(role: str, client: TestClient, container: Container) -> Customer:
    """A customer signs up; staff are made at the server console, as in production."""
    if role == "customer":
        return sign_up(client, phone=PHONE)
    user = do_register(
        container.identity,
        phone=PHONE,
        email=f"{role}@walletdesk.example",
        password=STRONG,
        display_name=f"Test {role}",
        locale="en",
        ctx=RequestContext(),
        role=Role(role),
        actor=console_operator(container.clock.now()),
    )
    return Customer(client, user.public(), log_in(client, PHONE))


def exercise_every_endpoint(me: Customer, container: Container, clock: FakeClock) -> dict[str, int]:
    """Call each identity and alert endpoint once, as a real user would, in an order
    where each can succeed; return the status per endpoint (method and route)."""
    seen: dict[str, int] = {}

    def call(method: str, route: str, path: str | None = None, **kwargs: Any) -> Any:
        response = getattr(me, method.lower())(path or route, **kwargs)
        seen[f"{method} {route}"] = response.status_code
        return response

    def step_up() -> dict[str, str]:
        response = call(
            "POST", "/api/v1/me/verifications", json={"method": "password", "password": me.password}
        )
        return {"X-Verification-Token": response.json().get("verification_token", "")}

    log_in(me.client, PHONE)  # a second device, to sign out below
    call("GET", "/api/v1/me")
    sessions = call("GET", "/api/v1/me/sessions").json()["items"]
    other = next(s["id"] for s in sessions if not s["current"])
    call("DELETE", "/api/v1/me/sessions/{session_id}", f"/api/v1/me/sessions/{other}")
    call("GET", "/api/v1/me/security")
    call("GET", "/api/v1/me/alert-preferences")
    call(
        "PUT",
        "/api/v1/me/alert-preferences",
        json={"kind": "transaction", "channel": "sms", "enabled": False},
    )
    secret = call("POST", "/api/v1/me/2fa/totp").json().get("secret")
    call("GET", "/api/v1/me/2fa/totp/qr.svg")
    call(
        "POST",
        "/api/v1/me/2fa/totp/confirm",
        json={"code": totp_now(secret, clock)},
        headers=step_up(),
    )
    clock.advance(timedelta(seconds=30))  # the next authenticator code: new codes need it
    second = call(
        "POST", "/api/v1/me/verifications", json={"method": "totp", "code": totp_now(secret, clock)}
    ).json()
    call(
        "POST",
        "/api/v1/me/2fa/recovery-codes",
        headers={"X-Verification-Token": second.get("verification_token", "")},
    )
    call("POST", "/api/v1/me/verifications/sms")
    call("PUT", "/api/v1/me/phone", json={"phone": "+8613900139000"}, headers=step_up())
    call("PUT", "/api/v1/me/email", json={"email": "renamed@example.com"}, headers=step_up())
    call("POST", "/api/v1/me/contact-verifications", json={"kind": "email"})
    code = latest_email_code(container, "renamed@example.com")
    call(
        "POST",
        "/api/v1/me/contact-verifications/confirm",
        json={"kind": "email", "code": code},
    )
    call("GET", "/api/v1/me/cards")
    card = call("POST", "/api/v1/me/cards", json=CARD, headers=step_up()).json()
    call(
        "DELETE",
        "/api/v1/me/cards/{card_id}",
        f"/api/v1/me/cards/{card.get('id')}",
        headers=step_up(),
    )
    call("POST", "/api/v1/me/kyc", json=EVIDENCE)
    call(
        "PUT",
        "/api/v1/me/password",
        json={"current_password": STRONG, "new_password": "Another-Long-Pass-42"},
    )
    me.password = "Another-Long-Pass-42"
    clock.advance(timedelta(seconds=30))
    off = call(
        "POST", "/api/v1/me/verifications", json={"method": "totp", "code": totp_now(secret, clock)}
    ).json()
    call(
        "DELETE",
        "/api/v1/me/2fa/totp",
        headers={"X-Verification-Token": off.get("verification_token", "")},
    )
    container.dispatcher.run_once()
    alert = call("GET", "/api/v1/me/alerts").json()["items"][0]["id"]
    call("POST", "/api/v1/me/alerts/{alert_id}/read", f"/api/v1/me/alerts/{alert}/read")
    call("POST", "/api/v1/admin/users", json=NEW_STAFF)
    call("POST", "/api/v1/me/freeze", json={"reason": "testing"})
    call("DELETE", "/api/v1/sessions/current")
    return seen


# Request bodies that would be accepted, so a 401 is about the missing session alone.
BODIES: dict[str, dict[str, Any]] = {
    "PUT /api/v1/me/alert-preferences": {"kind": "transaction", "channel": "sms", "enabled": False},
    "POST /api/v1/me/2fa/totp/confirm": {"code": "123456"},
    "POST /api/v1/me/verifications": {"method": "password", "password": STRONG},
    "PUT /api/v1/me/phone": {"phone": "+8613900139000"},
    "PUT /api/v1/me/email": {"email": "renamed@example.com"},
    "POST /api/v1/me/contact-verifications": {"kind": "email"},
    "POST /api/v1/me/contact-verifications/confirm": {"kind": "email", "code": "123456"},
    "POST /api/v1/me/cards": CARD,
    "POST /api/v1/me/kyc": EVIDENCE,
    "PUT /api/v1/me/password": {"current_password": STRONG, "new_password": "Another-Long-Pass-42"},
    "POST /api/v1/admin/users": NEW_STAFF,
    "POST /api/v1/me/freeze": {"reason": "testing"},
}


def test_the_matrix_names_every_identity_and_alert_endpoint() -> None:
    assert set(EXPECTED["customer"]) | PUBLIC == every_endpoint()


@pytest.mark.parametrize("endpoint", sorted(every_endpoint() - PUBLIC))
def test_every_private_endpoint_answers_401_without_a_valid_session(
    client: TestClient, container: Container, endpoint: str
) -> None:
    sign_up(client, phone=PHONE)
    users_before = count_users(container)
    method, route = endpoint.split(" ")
    path = route.format(session_id=uuid.uuid4(), card_id=uuid.uuid4(), alert_id=uuid.uuid4())
    for headers in ({}, {"Authorization": "Bearer wds_forged"}, {"Authorization": "Basic x"}):
        response = client.request(method, path, json=BODIES.get(endpoint), headers=headers)
        assert response.status_code == 401, (headers, response.json())
        assert response.json()["code"] == "unauthenticated"
    assert count_users(container) == users_before


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_gets_the_expected_answer_from_every_endpoint(
    client: TestClient, container: Container, clock: FakeClock, role: str
) -> None:
    me = signed_in_as(role, client, container)
    users_before = count_users(container)
    observed = exercise_every_endpoint(me, container, clock)
    assert observed == EXPECTED[role]
    # Only the admin's request made an account.
    assert count_users(container) == users_before + (1 if role == "admin" else 0)


def snapshot(owner: Customer) -> dict[str, Any]:
    return {
        "me": owner.get("/api/v1/me").json(),
        "sessions": owner.get("/api/v1/me/sessions").json(),
        "cards": owner.get("/api/v1/me/cards").json(),
        "alerts": owner.get("/api/v1/me/alerts").json(),
    }


def test_a_customer_can_never_reach_another_customers_sessions_cards_or_alerts(
    client: TestClient, container: Container
) -> None:
    # Given B with two sessions, a card and alerts
    a = sign_up(client, phone="+8613700137000", device="a-phone")
    b = sign_up(client, phone=PHONE, device="b-phone")
    log_in(client, PHONE)
    card = b.post("/api/v1/me/cards", json=CARD, headers={"X-Verification-Token": b.step_up()})
    assert card.status_code == 201
    container.dispatcher.run_once()
    before = snapshot(b)
    b_sessions = [s["id"] for s in before["sessions"]["items"]]
    b_alerts = [alert["id"] for alert in before["alerts"]["items"]]
    assert len(b_sessions) == 2
    assert b_alerts
    assert before["alerts"]["unread"] == len(b_alerts)
    b_card = card.json()["id"]
    a_token = a.step_up()
    nowhere = uuid.uuid4()

    # When A uses B's ids: sign out B's sessions, remove B's card, read B's alerts
    attempts = [
        *[a.delete(f"/api/v1/me/sessions/{sid}") for sid in b_sessions],
        a.delete(f"/api/v1/me/cards/{b_card}", headers={"X-Verification-Token": a_token}),
        *[a.post(f"/api/v1/me/alerts/{aid}/read") for aid in b_alerts],
    ]

    # Then each answer is 404, word for word what an id that exists nowhere gets
    missing = {
        "session": a.delete(f"/api/v1/me/sessions/{nowhere}").json(),
        "card": a.delete(
            f"/api/v1/me/cards/{nowhere}", headers={"X-Verification-Token": a_token}
        ).json(),
        "alert": a.post(f"/api/v1/me/alerts/{nowhere}/read").json(),
    }
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    assert all(r.json() in missing.values() for r in attempts)
    # A's own lists never show B's things
    assert not {s["id"] for s in a.get("/api/v1/me/sessions").json()["items"]} & set(b_sessions)
    assert a.get("/api/v1/me/cards").json()["items"] == []
    assert not {x["id"] for x in a.get("/api/v1/me/alerts").json()["items"]} & set(b_alerts)
    # B's sessions, card and unread alerts are exactly as they were
    assert snapshot(b) == before
    # and A's confirmation was not spent on B's card
    mine = a.post("/api/v1/me/cards", json=CARD, headers={"X-Verification-Token": a_token})
    assert mine.status_code == 201

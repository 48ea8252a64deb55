"""Freezing one's own account stops a takeover from another session.

A freeze is what an owner does after losing a phone or spotting a stranger's login:
every other session ends at once, and while the account is frozen nobody (not even the
session that froze it) may change the password, phone, email, bank cards or 2FA. Each
refusal is `account_frozen` (403) and changes nothing. No step-up can be made while
frozen (test_frozen_step_up.py), so the changes below are tried with tokens taken just
before the freeze (which voided them): the freeze is still what refuses them.
"""

from __future__ import annotations

import uuid
from typing import Any

from api_world import STRONG, Customer, enable_totp, log_in, sign_up, totp_now
from fastapi.testclient import TestClient
from sqlalchemy import and_, func, select

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as t
from walletdesk.notify import tables as notify_tables

BACKENDS = ["sqlite", "postgres"]
PHONE = "+8613800138000"
ZH = {"Accept-Language": "zh-CN"}
CARD = {"number": "4242424242424242", "expiry_month": 1, "expiry_year": 2031}


def identity_state(container: Container, user_id: str) -> dict[str, Any]:
    """Everything a refused change could have touched for ``user_id``."""
    uid = uuid.UUID(user_id)
    with container.engine.connect() as conn:
        user = conn.execute(select(t.users).where(t.users.c.id == uid)).one()

        def rows(table: Any, *columns: str) -> list[tuple[Any, ...]]:
            picked = [table.c[name] for name in columns]
            query = select(*picked).where(table.c.user_id == uid).order_by(*picked)
            return [tuple(r) for r in conn.execute(query)]

        return {
            "user": {
                name: getattr(user, name)
                for name in (
                    "status",
                    "phone",
                    "email",
                    "password_hash",
                    "totp_secret",
                    "totp_enabled",
                    "failed_logins",
                    "locked_until",
                    "last_sensitive_change_at",
                )
            },
            "cards": rows(t.cards, "id", "removed_at"),
            "recovery_codes": rows(t.recovery_codes, "code_hash", "used_at"),
            "sessions": rows(t.sessions, "id", "revoked_at"),
            "unspent_step_ups": conn.execute(
                select(func.count())
                .select_from(t.verifications)
                .where(and_(t.verifications.c.user_id == uid, t.verifications.c.used_at.is_(None)))
            ).scalar_one(),
            "alerts": rows(notify_tables.outbox, "id", "kind"),
        }


def assert_frozen_refusal(response: Any) -> None:
    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "account_frozen"


def freeze(me: Customer) -> None:
    frozen = me.post("/api/v1/me/freeze", json={"reason": "phone stolen"})
    assert frozen.status_code == 200, frozen.json()
    assert frozen.json()["status"] == "frozen"


def test_a_self_freeze_signs_out_every_other_session_and_keeps_the_callers(
    client: TestClient, container: Container
) -> None:
    # Given the owner on their phone and two more sessions (one may be a thief's)
    owner = sign_up(client, phone=PHONE, device="owner-phone")
    laptop = Customer(client, owner.user, log_in(client, PHONE))
    thief = Customer(client, owner.user, log_in(client, PHONE))
    # When the owner freezes the account
    freeze(owner)
    # Then the other sessions are over
    for other in (laptop, thief):
        ended = other.get("/api/v1/me")
        assert ended.status_code == 401
        assert ended.json()["code"] == "unauthenticated"
    # and the owner still sees the frozen account and their one session
    me = owner.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["status"] == "frozen"
    sessions = owner.get("/api/v1/me/sessions").json()["items"]
    assert [s["current"] for s in sessions] == [True]
    with container.engine.connect() as conn:
        reasons = conn.execute(
            select(t.sessions.c.revoked_reason).where(t.sessions.c.revoked_at.is_not(None))
        ).all()
        event = conn.execute(
            select(t.security_events.c.detail).where(t.security_events.c.kind == "account_frozen")
        ).scalar_one()
    assert sorted(reasons) == [("account_frozen",), ("account_frozen",)]
    assert event["sessions_ended"] == 2


def test_a_session_opened_before_a_freeze_cannot_take_the_account_over(
    client: TestClient, container: Container
) -> None:
    # The review's reproduction: a thief with a session and the password, after the freeze.
    owner = sign_up(client, phone=PHONE, device="owner-phone")
    thief = Customer(client, owner.user, log_in(client, PHONE))
    token = thief.step_up()
    freeze(owner)
    before = identity_state(container, owner.user["id"])
    email = thief.put(
        "/api/v1/me/email",
        json={"email": "thief@evil.example"},
        headers={"X-Verification-Token": token},
    )
    password = thief.put(
        "/api/v1/me/password",
        json={"current_password": STRONG, "new_password": "Thief-Owns-It-2026!"},
    )
    assert (email.status_code, password.status_code) == (401, 401)
    assert identity_state(container, owner.user["id"]) == before
    assert owner.get("/api/v1/me").json()["email"] is None


def test_a_frozen_account_refuses_a_password_change_and_counts_no_guess(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client)
    freeze(me)
    before = identity_state(container, me.user["id"])
    right = me.put(
        "/api/v1/me/password",
        json={"current_password": STRONG, "new_password": "Another-Long-Pass-42"},
        headers=ZH,
    )
    assert_frozen_refusal(right)
    assert "已冻结" in right.json()["detail"]
    # A wrong current password is refused the same way, before it is checked or counted.
    wrong = me.put(
        "/api/v1/me/password",
        json={"current_password": "guess-Aa1!-guess", "new_password": "Another-Long-Pass-42"},
    )
    assert_frozen_refusal(wrong)
    assert "password" in wrong.json()["detail"]
    assert identity_state(container, me.user["id"]) == before


def test_a_frozen_account_refuses_phone_and_email_changes_with_a_step_up_from_before(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client)
    phone_token, email_token = me.step_up(), me.step_up()
    freeze(me)
    before = identity_state(container, me.user["id"])
    phone = me.put(
        "/api/v1/me/phone",
        json={"phone": "+8613900139000"},
        headers={"X-Verification-Token": phone_token},
    )
    email = me.put(
        "/api/v1/me/email",
        json={"email": "li@example.com"},
        headers={"X-Verification-Token": email_token},
    )
    # Refused as frozen, not as "confirm it's you": the freeze is the reason.
    assert_frozen_refusal(phone)
    assert_frozen_refusal(email)
    assert identity_state(container, me.user["id"]) == before


def test_a_frozen_account_refuses_adding_and_removing_cards(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client)
    added = me.post("/api/v1/me/cards", json=CARD, headers={"X-Verification-Token": me.step_up()})
    assert added.status_code == 201
    token = me.step_up()
    freeze(me)
    before = identity_state(container, me.user["id"])
    another = me.post(
        "/api/v1/me/cards",
        json={**CARD, "number": "5555555555554444"},
        headers={"X-Verification-Token": token},
    )
    removed = me.delete(
        f"/api/v1/me/cards/{added.json()['id']}", headers={"X-Verification-Token": token}
    )
    assert_frozen_refusal(another)
    assert_frozen_refusal(removed)
    assert identity_state(container, me.user["id"]) == before
    assert [c["id"] for c in me.get("/api/v1/me/cards").json()["items"]] == [added.json()["id"]]


def test_a_frozen_account_refuses_turning_two_factor_on(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client)
    # Set-up started before the freeze cannot be finished after it...
    secret = me.post("/api/v1/me/2fa/totp").json()["secret"]
    token = me.step_up()
    freeze(me)
    before = identity_state(container, me.user["id"])
    confirm = me.post(
        "/api/v1/me/2fa/totp/confirm",
        json={"code": totp_now(secret, clock)},
        headers={"X-Verification-Token": token},
    )
    # ...nor can a new one start.
    start = me.post("/api/v1/me/2fa/totp")
    assert_frozen_refusal(confirm)
    assert_frozen_refusal(start)
    assert identity_state(container, me.user["id"]) == before


def test_a_frozen_account_refuses_turning_two_factor_off_or_new_recovery_codes(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client)
    enable_totp(me, clock)
    token = me.step_up()
    freeze(me)
    before = identity_state(container, me.user["id"])
    disable = me.delete("/api/v1/me/2fa/totp", headers={"X-Verification-Token": token})
    regenerate = me.post("/api/v1/me/2fa/recovery-codes", headers={"X-Verification-Token": token})
    assert_frozen_refusal(disable)
    assert_frozen_refusal(regenerate)
    after = identity_state(container, me.user["id"])
    assert after == before
    assert after["user"]["totp_enabled"] is True

"""Turning 2FA on needs a fresh step-up, like every other change of the account's secrets.

With a session alone, a thief could enrol their own authenticator: the owner's next login
would then need a code only the thief has, and the recovery codes would be the thief's.
"""

from __future__ import annotations

import uuid
from typing import Any

from api_world import STRONG, sign_up, totp_now
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as t

BACKENDS = ["sqlite", "postgres"]


def totp_state(container: Container, user_id: str) -> dict[str, Any]:
    uid = uuid.UUID(user_id)
    with container.engine.connect() as conn:
        user = conn.execute(select(t.users).where(t.users.c.id == uid)).one()
        codes = conn.execute(
            select(func.count())
            .select_from(t.recovery_codes)
            .where(t.recovery_codes.c.user_id == uid)
        ).scalar_one()
        unspent = conn.execute(
            select(func.count())
            .select_from(t.verifications)
            .where(t.verifications.c.user_id == uid, t.verifications.c.used_at.is_(None))
        ).scalar_one()
    return {
        "totp_enabled": user.totp_enabled,
        "totp_secret": user.totp_secret,
        "totp_last_step": user.totp_last_step,
        "recovery_codes": codes,
        "unspent_step_ups": unspent,
    }


def test_confirming_two_factor_without_a_step_up_is_refused_and_changes_nothing(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client)
    secret = me.post("/api/v1/me/2fa/totp").json()["secret"]
    before = totp_state(container, me.user["id"])
    refused = me.post(
        "/api/v1/me/2fa/totp/confirm",
        json={"code": totp_now(secret, clock)},
        headers={"Accept-Language": "zh-CN"},
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "verification_required"
    assert "验证身份" in refused.json()["detail"]
    assert totp_state(container, me.user["id"]) == before
    # The owner still logs in with the password alone.
    login = client.post("/api/v1/sessions", json={"login": "+8613800138000", "password": STRONG})
    assert login.status_code == 201


def test_a_made_up_or_used_step_up_token_is_refused_and_changes_nothing(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client)
    spent = me.step_up()
    assert (
        me.put(
            "/api/v1/me/email",
            json={"email": "li@example.com"},
            headers={"X-Verification-Token": spent},
        ).status_code
        == 200
    )
    secret = me.post("/api/v1/me/2fa/totp").json()["secret"]
    before = totp_state(container, me.user["id"])
    for token in ("wdv_made-up", spent):
        refused = me.post(
            "/api/v1/me/2fa/totp/confirm",
            json={"code": totp_now(secret, clock)},
            headers={"X-Verification-Token": token},
        )
        assert refused.status_code == 403
        assert refused.json()["code"] == "verification_required"
    assert totp_state(container, me.user["id"]) == before


def test_a_wrong_code_leaves_the_step_up_unspent_for_the_next_try(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client)
    secret = me.post("/api/v1/me/2fa/totp").json()["secret"]
    token = me.step_up()
    before = totp_state(container, me.user["id"])
    wrong = me.post(
        "/api/v1/me/2fa/totp/confirm",
        json={"code": "000000" if totp_now(secret, clock) != "000000" else "111111"},
        headers={"X-Verification-Token": token},
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "code_invalid"
    assert totp_state(container, me.user["id"]) == before
    # The same token then turns 2FA on with the right code, and only once.
    right = me.post(
        "/api/v1/me/2fa/totp/confirm",
        json={"code": totp_now(secret, clock)},
        headers={"X-Verification-Token": token},
    )
    assert right.status_code == 200, right.json()
    assert len(right.json()["recovery_codes"]) == 10
    after = totp_state(container, me.user["id"])
    assert after["totp_enabled"] is True
    assert after["recovery_codes"] == 10
    assert after["unspent_step_ups"] == 0
    login = client.post("/api/v1/sessions", json={"login": "+8613800138000", "password": STRONG})
    assert login.json()["code"] == "totp_required"


def test_another_users_step_up_token_does_not_turn_my_two_factor_on(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client)
    other = sign_up(client, phone="+8613900139000", device="other")
    secret = me.post("/api/v1/me/2fa/totp").json()["secret"]
    theirs = other.step_up()
    before = totp_state(container, me.user["id"])
    refused = me.post(
        "/api/v1/me/2fa/totp/confirm",
        json={"code": totp_now(secret, clock)},
        headers={"X-Verification-Token": theirs},
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "verification_required"
    assert totp_state(container, me.user["id"]) == before
    assert totp_state(container, other.user["id"])["unspent_step_ups"] == 1

"""Turning 2FA off, or making new recovery codes, needs the second factor itself.

A step-up by password (or SMS code) is refused with 403 `second_factor_required` and
changes nothing, the token left unspent; one made with an authenticator code or a
recovery code works.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from api_world import enable_totp, sign_up, step_up_second_factor
from fastapi.testclient import TestClient
from sqlalchemy import select

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as t
from walletdesk.notify import tables as notify_tables

BACKENDS = ["sqlite", "postgres"]


def state(container: Container, user_id: str) -> dict[str, Any]:
    uid = uuid.UUID(user_id)
    with container.engine.connect() as conn:
        user = conn.execute(select(t.users).where(t.users.c.id == uid)).one()
        return {
            "user": user._asdict(),
            "codes": conn.execute(
                select(t.recovery_codes.c.code_hash, t.recovery_codes.c.used_at).order_by(
                    t.recovery_codes.c.code_hash
                )
            ).all(),
            "step_ups": conn.execute(
                select(t.verifications.c.id, t.verifications.c.used_at).order_by(
                    t.verifications.c.id
                )
            ).all(),
            "sessions": conn.execute(select(t.sessions.c.id, t.sessions.c.revoked_at)).all(),
            "alerts": conn.execute(select(notify_tables.outbox.c.id)).all(),
        }


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_password_step_up_cannot_turn_2fa_off_or_make_new_codes(
    client: TestClient, container: Container, clock: FakeClock, lang: str
) -> None:
    me = sign_up(client)
    enable_totp(me, clock)
    token = me.step_up()
    before = state(container, me.user["id"])
    headers = {"X-Verification-Token": token, "Accept-Language": lang}
    off = me.delete("/api/v1/me/2fa/totp", headers=headers)
    codes = me.post("/api/v1/me/2fa/recovery-codes", headers=headers)
    for refused in (off, codes):
        assert refused.status_code == 403, refused.json()
        assert refused.json()["code"] == "second_factor_required"
    assert ("authenticator" if lang == "en" else "身份验证器") in off.json()["detail"]
    # Nothing changed, and the token is still there for a change a password may buy
    assert state(container, me.user["id"]) == before
    email = me.put(
        "/api/v1/me/email",
        json={"email": "li@example.com"},
        headers={"X-Verification-Token": token},
    )
    assert email.status_code == 200


def test_an_authenticator_step_up_turns_2fa_off(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client)
    enable_totp(me, clock)
    off = me.delete(
        "/api/v1/me/2fa/totp", headers={"X-Verification-Token": step_up_second_factor(me, clock)}
    )
    assert off.status_code == 204
    assert me.get("/api/v1/me").json()["totp_enabled"] is False


def test_a_recovery_code_step_up_makes_new_codes_and_is_spent(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client)
    old = enable_totp(me, clock)
    proof = me.post("/api/v1/me/verifications", json={"method": "recovery_code", "code": old[0]})
    assert proof.status_code == 201, proof.json()
    fresh = me.post(
        "/api/v1/me/2fa/recovery-codes",
        headers={"X-Verification-Token": proof.json()["verification_token"]},
    )
    assert fresh.status_code == 200, fresh.json()
    assert set(fresh.json()["recovery_codes"]).isdisjoint(old)
    # A used code (and the old set) no longer steps up
    again = me.post("/api/v1/me/verifications", json={"method": "recovery_code", "code": old[1]})
    assert again.status_code == 422
    assert again.json()["code"] == "code_invalid"


def test_a_recovery_code_step_up_needs_2fa_on(client: TestClient, container: Container) -> None:
    me = sign_up(client)
    before = state(container, me.user["id"])
    refused = me.post(
        "/api/v1/me/verifications", json={"method": "recovery_code", "code": "abcd-efgh"}
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "totp_not_enrolled"
    assert state(container, me.user["id"]) == before

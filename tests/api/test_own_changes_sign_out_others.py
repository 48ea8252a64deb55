"""A customer's own change of phone, email or 2FA keeps their session, ends the others.

The same rule as a password change: whoever changes how the account is reached or
recovered stays signed in on the device they did it from; every other device (maybe
the lost phone, maybe a thief's) is signed out, unspent step-ups are voided, and the
alert says so. A refused change ends nothing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from api_world import Customer, enable_totp, log_in, sign_up, totp_now
from fastapi.testclient import TestClient
from sqlalchemy import select

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as t
from walletdesk.notify import tables as notify_tables

BACKENDS = ["sqlite", "postgres"]
PHONE = "+8613800138000"
NEW_PHONE = "+8613900139000"


def sessions(container: Container, me: Customer) -> list[tuple[Any, ...]]:
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(t.sessions.c.id, t.sessions.c.revoked_reason)
            .where(t.sessions.c.user_id == uuid.UUID(me.user["id"]))
            .order_by(t.sessions.c.created_at, t.sessions.c.id)
        ).all()
    return [tuple(r) for r in rows]


def state(container: Container, me: Customer) -> dict[str, Any]:
    uid = uuid.UUID(me.user["id"])
    with container.engine.connect() as conn:
        user = conn.execute(select(t.users).where(t.users.c.id == uid)).one()
        return {
            "user": user._asdict(),
            "sessions": sessions(container, me),
            "step_ups": conn.execute(
                select(t.verifications.c.id, t.verifications.c.used_at)
                .where(t.verifications.c.user_id == uid)
                .order_by(t.verifications.c.id)
            ).all(),
            "alerts": conn.execute(
                select(notify_tables.outbox.c.id).order_by(notify_tables.outbox.c.id)
            ).all(),
        }


def event(container: Container, kind: str) -> dict[str, Any]:
    with container.engine.connect() as conn:
        return dict(
            conn.execute(
                select(t.security_events.c.detail).where(t.security_events.c.kind == kind)
            ).scalar_one()
        )


def inbox(me: Customer, container: Container, kind: str) -> str:
    container.dispatcher.run_once()
    items = me.get("/api/v1/me/alerts").json()["items"]
    return str(next(a for a in items if a["kind"] == kind)["body"])


def test_my_new_phone_keeps_my_session_and_signs_out_the_others(
    client: TestClient, container: Container
) -> None:
    # Given the owner on this phone, a second device with a step-up of its own
    me = sign_up(client, phone=PHONE)
    other = Customer(client, me.user, log_in(client, PHONE))
    other.step_up()
    # When the owner changes the phone number with a fresh step-up
    changed = me.put(
        "/api/v1/me/phone",
        json={"phone": NEW_PHONE},
        headers={"X-Verification-Token": me.step_up()},
    )
    assert changed.status_code == 200, changed.json()
    # Then this session goes on and the other one is over
    assert me.get("/api/v1/me").json()["phone"] == NEW_PHONE
    assert other.get("/api/v1/me").status_code == 401
    assert sorted(reason or "" for _, reason in sessions(container, me)) == ["", "phone_changed"]
    detail = event(container, "phone_changed")
    assert (detail["sessions_ended"], detail["step_ups_voided"]) == (1, 1)
    assert "Your other devices were signed out." in inbox(me, container, "phone_changed")


def test_my_new_email_with_no_other_session_says_nothing_about_signing_out(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE, locale="zh-CN")
    changed = me.put(
        "/api/v1/me/email",
        json={"email": "li@example.com"},
        headers={"X-Verification-Token": me.step_up()},
    )
    assert changed.status_code == 200, changed.json()
    assert me.get("/api/v1/me").status_code == 200
    assert event(container, "email_changed")["sessions_ended"] == 0
    assert "退出登录" not in inbox(me, container, "email_changed")


def test_turning_my_2fa_off_signs_out_my_other_devices(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client, phone=PHONE, locale="zh-CN")
    enable_totp(me, clock)
    assert me.totp_secret is not None
    other = Customer(
        client, me.user, log_in(client, PHONE, totp_code=totp_now(me.totp_secret, clock, 1))
    )
    clock.advance(timedelta(seconds=30))  # each code is good once: wait for the next one
    proof = me.post(
        "/api/v1/me/verifications",
        json={"method": "totp", "code": totp_now(me.totp_secret, clock, 1)},
    )
    assert proof.status_code == 201, proof.json()
    off = me.delete(
        "/api/v1/me/2fa/totp", headers={"X-Verification-Token": proof.json()["verification_token"]}
    )
    assert off.status_code == 204, off.json()
    assert me.get("/api/v1/me").json()["totp_enabled"] is False
    assert other.get("/api/v1/me").status_code == 401
    assert event(container, "totp_disabled")["sessions_ended"] == 1
    assert "其他设备已退出登录" in inbox(me, container, "totp_disabled")


def test_a_refused_change_of_my_phone_or_email_signs_nobody_out(
    client: TestClient, container: Container
) -> None:
    # Given a second device, and a new number someone else already has
    me = sign_up(client, phone=PHONE)
    other = Customer(client, me.user, log_in(client, PHONE))
    sign_up(client, phone=NEW_PHONE)
    token = me.step_up()
    before = state(container, me)
    # When the change is refused: no step-up, a bad one, a number already taken
    no_token = me.put("/api/v1/me/phone", json={"phone": "+8613700137000"})
    bad_token = me.put(
        "/api/v1/me/email",
        json={"email": "li@example.com"},
        headers={"X-Verification-Token": "wdv_not-a-token"},
    )
    taken = me.put(
        "/api/v1/me/phone", json={"phone": NEW_PHONE}, headers={"X-Verification-Token": token}
    )
    assert (no_token.status_code, bad_token.status_code) == (403, 403)
    assert taken.status_code == 409
    # Then nothing changed: the user, the sessions, the step-up token, the alerts
    assert state(container, me) == before
    assert other.get("/api/v1/me").status_code == 200

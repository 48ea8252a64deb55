"""PUT /me/password checks the current password like a step-up: wrong guesses lock.

Without this a stolen session would be an unlimited oracle for the account's password.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from api_world import STRONG, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import and_, func, select

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as t

BACKENDS = ["sqlite", "postgres"]
NEW_PASSWORD = "Another-Long-Pass-42"


def user_row(container: Container, user_id: str) -> Any:
    with container.engine.connect() as conn:
        return conn.execute(select(t.users).where(t.users.c.id == uuid.UUID(user_id))).one()


def live_sessions(container: Container, user_id: str) -> int:
    with container.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(t.sessions)
                .where(
                    and_(
                        t.sessions.c.user_id == uuid.UUID(user_id),
                        t.sessions.c.revoked_at.is_(None),
                    )
                )
            ).scalar_one()
        )


def change(me: Any, current: str, **kwargs: Any) -> Any:
    return me.put(
        "/api/v1/me/password",
        json={"current_password": current, "new_password": NEW_PASSWORD},
        **kwargs,
    )


def test_wrong_current_passwords_lock_the_account_like_a_step_up_and_change_nothing(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    # Given a customer logged in on two devices
    me = sign_up(client)
    client.post(
        "/api/v1/sessions",
        json={"login": "+8613800138000", "password": STRONG},
        headers={"X-Device-Id": "laptop"},
    )
    hash_before = user_row(container, me.user["id"]).password_hash
    # When someone holding a session guesses the current password five times
    for n in range(4):
        refused = change(me, f"guess-{n}-Aa1!")
        assert refused.status_code == 422
        assert refused.json()["code"] == "code_invalid"
    locked = change(me, "guess-4-Aa1!", headers={"Accept-Language": "zh-CN"})
    # Then the fifth is answered like the step-up endpoint's fifth: locked
    assert locked.status_code == 423
    assert locked.json()["code"] == "account_locked"
    assert "之后再试" in locked.json()["detail"]
    # and even the right password waits for the lock to end
    assert change(me, STRONG).status_code == 423
    row = user_row(container, me.user["id"])
    assert row.password_hash == hash_before
    assert row.locked_until is not None
    assert live_sessions(container, me.user["id"]) == 2
    # and the owner is told
    container.dispatcher.run_once()
    alerts = me.get("/api/v1/me/alerts").json()["items"]
    assert any(a["kind"] == "account_locked" for a in alerts)
    assert not any(a["kind"] == "password_changed" for a in alerts)
    # Once the lock ends, the right password works again
    clock.advance(timedelta(minutes=15, seconds=1))
    assert change(me, STRONG).status_code == 204
    assert user_row(container, me.user["id"]).password_hash != hash_before


def test_wrong_current_passwords_and_wrong_step_ups_share_one_lockout(
    client: TestClient, container: Container
) -> None:
    # Splitting guesses between the two forms must not double the attempts allowed.
    me = sign_up(client)
    hash_before = user_row(container, me.user["id"]).password_hash
    for n in range(3):
        step_up = me.post(
            "/api/v1/me/verifications", json={"method": "password", "password": f"g-{n}"}
        )
        assert step_up.status_code == 422
    assert change(me, "guess-3-Aa1!").status_code == 422
    locked = change(me, "guess-4-Aa1!")
    assert locked.status_code == 423
    assert locked.json()["code"] == "account_locked"
    assert user_row(container, me.user["id"]).password_hash == hash_before
    assert live_sessions(container, me.user["id"]) == 1


def test_a_wrong_current_password_is_recorded_as_a_failed_verification(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client)
    assert change(me, "not-my-password-1").status_code == 422
    with container.engine.connect() as conn:
        kinds = conn.execute(
            select(t.security_events.c.kind).where(
                t.security_events.c.user_id == uuid.UUID(me.user["id"])
            )
        ).all()
    assert ("verification_failed",) in kinds
    assert user_row(container, me.user["id"]).failed_logins == 1

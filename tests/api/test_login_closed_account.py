"""POST /sessions for a closed account: refused like a wrong password, nothing opened.

A closed account used to get a session (authenticate refused it only on the next
request, after the session row, device and audit entry were written). Now the login
is refused up front with the very answer a login nobody has would get, even with the
right password and with 2FA on, and nothing is written but the failure counter.
"""

from __future__ import annotations

import uuid
from typing import Any

from api_world import STRONG, Customer, enable_totp, sign_up, totp_now
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from walletdesk.audit import tables as audit_tables
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as t
from walletdesk.notify import tables as notify_tables

BACKENDS = ["sqlite", "postgres"]
CLOSED = "+8613800138000"
UNKNOWN = "+8613900139000"


def close(container: Container, me: Customer) -> None:
    # No endpoint closes an account yet; support closes them in the database.
    with container.engine.begin() as conn:
        conn.execute(
            update(t.users).where(t.users.c.id == uuid.UUID(me.user["id"])).values(status="closed")
        )


def snapshot(container: Container, user_id: str) -> dict[str, Any]:
    uid = uuid.UUID(user_id)
    with container.engine.connect() as conn:

        def count(table: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

        return {
            "user": conn.execute(select(t.users).where(t.users.c.id == uid)).one()._asdict(),
            "sessions": count(t.sessions),
            "devices": count(t.devices),
            "security_events": count(t.security_events),
            "audit": count(audit_tables.audit_log),
            "alerts": count(notify_tables.outbox),
        }


def attempt(client: TestClient, login: str, password: str = STRONG, **fields: str) -> Any:
    return client.post(
        "/api/v1/sessions",
        json={"login": login, "password": password, **fields},
        headers={"Accept-Language": "zh-CN"},
    )


def test_a_closed_account_with_the_right_password_is_answered_like_an_unknown_login(
    client: TestClient, container: Container
) -> None:
    # Given a closed account
    me = sign_up(client, phone=CLOSED)
    close(container, me)
    before = snapshot(container, me.user["id"])
    # When its owner logs in with the right password, six times
    closed = [attempt(client, CLOSED) for _ in range(6)]
    # Then each answer is the one a login nobody has gets, lockout included
    unknown = [attempt(client, UNKNOWN) for _ in range(6)]
    assert [(r.status_code, r.json()) for r in closed] == [
        (r.status_code, r.json()) for r in unknown
    ]
    assert [r.status_code for r in closed] == [401, 401, 401, 401, 423, 423]
    assert closed[0].json()["code"] == "invalid_credentials"
    assert closed[-1].json()["code"] == "account_locked"
    # and nothing was written for the account: no session, device, event, audit or alert,
    # and not even its own failure counter (that would be a tell of its own)
    assert snapshot(container, me.user["id"]) == before
    with container.engine.connect() as conn:
        counters = conn.execute(
            select(t.source_throttle.c.failures).where(t.source_throttle.c.source.like("login:%"))
        ).all()
    # only the hashed per-login counters moved: one for each login tried
    assert sorted(counters) == [(5,), (5,)]


def test_a_closed_account_with_2fa_on_does_not_ask_for_a_code(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    # Given a closed account that had 2FA on (a totp_required answer would tell it exists)
    me = sign_up(client, phone=CLOSED)
    enable_totp(me, clock)
    close(container, me)
    before = snapshot(container, me.user["id"])
    # When its owner logs in with the right password, without and then with a code
    bare = attempt(client, CLOSED)
    assert me.totp_secret is not None
    coded = attempt(client, CLOSED, totp_code=totp_now(me.totp_secret, clock))
    # Then both are plain wrong-password answers, and nothing changed
    for refused in (bare, coded):
        assert refused.status_code == 401
        assert refused.json()["code"] == "invalid_credentials"
    assert snapshot(container, me.user["id"]) == before

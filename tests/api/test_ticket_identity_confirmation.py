"""Verifying a caller with their authenticator app (issue 5: "an SMS/TOTP challenge").

The agent types the 6-digit code the customer reads out; identity checks it with
the login path's rules: single use (no replay), wrong codes count towards the
account's lockout, and only when the customer has 2FA on. It counts for 15 minutes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from agent_world import PHONE, open_ticket, propose, snapshot, staff
from api_world import Customer, enable_totp, sign_up, totp_now
from fastapi.testclient import TestClient
from sqlalchemy import select

from walletdesk.api.app import create_app
from walletdesk.audit.log import list_records
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.support import actions_tables as action_tables
from walletdesk.support.helpcenter.service import load_articles

BACKENDS = ["sqlite", "postgres"]
MONDAY_9 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
WRONG_CODE = {
    "en": "That code or password is not right, has expired, or was already used.",
    "zh-CN": "验证码或密码不正确、已过期或已被使用。",
}
NO_APP = {
    "en": "This customer has no authenticator app (two-factor authentication is off): "
    "verify with an SMS code or a document check instead.",
    "zh-CN": "该客户未开启双重验证，没有身份验证器应用：请改用短信验证码或证件核验。",
}


@pytest.fixture
def client(container: Container, clock: FakeClock) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    load_articles(container.engine, container.clock)
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def me(client: TestClient) -> Customer:
    return sign_up(client, phone=PHONE)


@pytest.fixture
def agent(client: TestClient, container: Container) -> Customer:
    return staff(client, container, 1)


def by_totp(agent: Customer, ticket_id: str, code: str, lang: str = "en") -> Any:
    return agent.post(
        f"/api/v1/agent/tickets/{ticket_id}/verifications",
        json={"method": "totp", "code": code},
        headers={"Accept-Language": lang},
    )


def verifications(container: Container, ticket_id: str) -> list[Any]:
    v = action_tables.ticket_verifications
    with container.engine.connect() as conn:
        return list(conn.execute(select(v).where(v.c.ticket_id == uuid.UUID(ticket_id))))


def audited(container: Container, me: Customer, action: str) -> list[Any]:
    with container.engine.connect() as conn:
        records = list_records(conn, subject_type="user", subject_id=me.user["id"], limit=200)
    return [r for r in records.items if r.action == action]


def test_an_authenticator_code_verifies_the_caller_for_15_minutes(
    me: Customer, agent: Customer, container: Container, clock: FakeClock
) -> None:
    enable_totp(me, clock)
    assert me.totp_secret is not None
    ticket_id = open_ticket(me)
    clock.advance(timedelta(seconds=30))  # the enrolment spent the current code

    verified = by_totp(agent, ticket_id, totp_now(me.totp_secret, clock))
    assert verified.status_code == 201, verified.json()
    assert verified.json()["method"] == "totp"
    assert verified.json()["fresh"] is True
    assert verified.json()["verified_at"] == clock.now().isoformat()
    (logged,) = audited(container, me, "agent.identity.verified")
    assert logged.after == {"ticket_id": ticket_id, "method": "totp"}
    shown = agent.get(f"/api/v1/agent/customers/{me.user['id']}", params={"ticket_id": ticket_id})
    assert shown.json()["verification"]["method"] == "totp"

    clock.advance(timedelta(minutes=14))
    assert propose(agent, me, "freeze", ticket_id, "k1").status_code == 201
    clock.advance(timedelta(minutes=2))
    stale = propose(agent, me, "freeze", ticket_id, "k2")
    assert stale.status_code == 403
    assert stale.json()["code"] == "identity_verification_required"


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_wrong_or_replayed_code_verifies_nothing(
    me: Customer, agent: Customer, container: Container, clock: FakeClock, lang: str
) -> None:
    enable_totp(me, clock)
    assert me.totp_secret is not None
    ticket_id = open_ticket(me)
    # The code the customer just used to turn 2FA on cannot be used again.
    replayed_enrolment = by_totp(agent, ticket_id, totp_now(me.totp_secret, clock), lang)
    assert replayed_enrolment.status_code == 422
    assert replayed_enrolment.json()["code"] == "code_invalid"
    assert replayed_enrolment.json()["detail"] == WRONG_CODE[lang]

    clock.advance(timedelta(seconds=30))
    good = totp_now(me.totp_secret, clock)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    before = snapshot(container, me)
    refused = by_totp(agent, ticket_id, wrong, lang)
    assert refused.status_code == 422
    assert refused.json()["detail"] == WRONG_CODE[lang]
    assert verifications(container, ticket_id) == []
    after = snapshot(container, me)
    # Only the failed attempt's own audit record was added; the customer is unchanged.
    assert after["audit_rows"] == before["audit_rows"] + 1
    assert {**after, "audit_rows": 0} == {**before, "audit_rows": 0}
    failed = audited(container, me, "agent.identity.failed")
    assert [r.after for r in failed] == [
        {"ticket_id": ticket_id, "method": "totp", "error": "code_invalid"}
    ] * 2
    assert propose(agent, me, "freeze", ticket_id, "k1").status_code == 403

    assert by_totp(agent, ticket_id, good, lang).status_code == 201
    replayed = by_totp(agent, ticket_id, good, lang)
    assert replayed.status_code == 422
    assert replayed.json()["detail"] == WRONG_CODE[lang]
    assert len(verifications(container, ticket_id)) == 1


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_totp_needs_the_customer_to_have_2fa_on(
    me: Customer, agent: Customer, container: Container, lang: str
) -> None:
    ticket_id = open_ticket(me)
    before = snapshot(container, me)
    refused = by_totp(agent, ticket_id, "123456", lang)
    assert refused.status_code == 409
    assert refused.json()["code"] == "totp_verification_unavailable"
    assert refused.json()["detail"] == NO_APP[lang]
    assert verifications(container, ticket_id) == []
    assert snapshot(container, me) == before


def test_guessing_codes_locks_the_account_like_the_login_does(
    client: TestClient, me: Customer, agent: Customer, container: Container, clock: FakeClock
) -> None:
    enable_totp(me, clock)
    assert me.totp_secret is not None
    ticket_id = open_ticket(me)
    clock.advance(timedelta(seconds=30))
    good = totp_now(me.totp_secret, clock)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    limit = container.settings.max_failed_logins
    answers = [by_totp(agent, ticket_id, wrong).status_code for _ in range(limit)]
    assert answers == [422] * (limit - 1) + [423]
    # Locked now: even the right code is refused, and so is the customer's own login.
    locked = by_totp(agent, ticket_id, good)
    assert locked.status_code == 423
    assert locked.json()["code"] == "account_locked"
    assert verifications(container, ticket_id) == []
    login = client.post(
        "/api/v1/sessions", json={"login": PHONE, "password": me.password, "totp_code": good}
    )
    assert login.status_code == 423
    container.dispatcher.run_once()
    assert any("locked" in t.body.lower() for t in container.sms.messages_to(PHONE))

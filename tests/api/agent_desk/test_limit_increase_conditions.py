"""Raised limits need a verified account with 2FA on, however they were granted (DOMAIN §2).

A customer's own request is refused for tier I (``tier_too_low``) or without 2FA
(``two_factor_required``). An agent's raise or approval is refused with the same codes,
when proposed and again when it runs, and changes nothing. A raise granted while the
account qualified applies only while it still does: turning 2FA off suspends it
(the grant stays on record) and turning 2FA back on restores it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from agent_world import open_ticket, propose, snapshot, verify_by_document
from api_world import Customer, enable_totp, step_up_second_factor
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from test_agent_limit_requests import EVIDENCE, customer_with_request

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import store as identity_store
from walletdesk.identity.model import KycTier, RequestContext, User
from walletdesk.wallet import limit_requests
from walletdesk.wallet import tables as wallet_tables
from walletdesk.wallet.limit_requests import LimitIncreaseNotAllowed
from walletdesk.wallet.limits_policy import Window, increase_refusal

BACKENDS = ["sqlite", "postgres"]
ZH = {"Accept-Language": "zh-CN"}


def user_of(container: Container, customer: Customer) -> User:
    with container.engine.connect() as conn:
        return identity_store.get_user(conn, uuid.UUID(customer.user["id"]))


def day_limit(me: Customer) -> str:
    spend = me.get("/api/v1/limits").json()["scopes"]["spend"]
    return str(next(w["limit"] for w in spend if w["window"] == "day"))


def overrides(container: Container, me: Customer) -> int:
    o = wallet_tables.limit_overrides.c
    with container.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where(o.user_id == uuid.UUID(me.user["id"]))
            ).scalar_one()
        )


def raise_day_limit(container: Container, agent: Customer, me: Customer, amount: int) -> None:
    """What an approved ``raise_limit`` action runs (the four-eyes steps are tested apart)."""
    with container.engine.connect() as conn:
        staff = identity_store.get_user(conn, uuid.UUID(agent.user["id"]))
    limit_requests.do_set_temporary_limit(
        container.wallet,
        staff,
        uuid.UUID(me.user["id"]),
        currency="CNY",
        window=Window.DAY,
        amount=amount,
        until=container.clock.now() + timedelta(days=7),
        reason="buying a laptop",
        ctx=RequestContext(),
    )


def test_the_one_rule_asks_for_tier_two_or_three_and_two_factor() -> None:
    assert increase_refusal(KycTier.I, two_factor=True) == "tier_too_low"
    assert increase_refusal(KycTier.I, two_factor=False) == "tier_too_low"
    assert increase_refusal(KycTier.II, two_factor=False) == "two_factor_required"
    assert increase_refusal(KycTier.II, two_factor=True) is None
    assert increase_refusal(KycTier.III, two_factor=True) is None


def test_turning_2fa_off_suspends_a_raise_and_turning_it_back_on_restores_it(
    me: Customer, agent: Customer, container: Container, clock: FakeClock
) -> None:
    assert me.post("/api/v1/me/kyc", json={"tier": "II", **EVIDENCE}).json()["tier"] == "II"
    enable_totp(me, clock)
    raise_day_limit(container, agent, me, 800_000)
    assert day_limit(me) == "8000.00"

    off = me.delete(
        "/api/v1/me/2fa/totp",
        headers={"X-Verification-Token": step_up_second_factor(me, clock)},
    )
    assert off.status_code == 204

    # Single factor at tier II: ¥1,000 a day, whatever was granted before.
    assert day_limit(me) == "1000.00"
    limits = me.get("/api/v1/limits").json()
    assert (limits["two_factor"], limits["tier"]) == (False, "II")
    assert overrides(container, me) == 1  # suspended, not deleted

    clock.advance(timedelta(minutes=1))
    enable_totp(me, clock)
    assert day_limit(me) == "8000.00"


@pytest.mark.parametrize(
    ("tier_two", "two_factor", "code"),
    [
        (False, False, "tier_too_low"),
        (False, True, "tier_too_low"),
        (True, False, "two_factor_required"),
    ],
)
def test_an_agent_cannot_raise_the_limit_of_an_account_that_does_not_qualify(
    me: Customer,
    agent: Customer,
    container: Container,
    clock: FakeClock,
    tier_two: bool,
    two_factor: bool,
    code: str,
) -> None:
    if tier_two:
        assert me.post("/api/v1/me/kyc", json={"tier": "II", **EVIDENCE}).status_code == 200
    if two_factor:
        enable_totp(me, clock)
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    before = snapshot(container, me)
    until = (clock.now() + timedelta(days=7)).isoformat()

    # Refused when proposed, in the agent's language...
    proposed = propose(
        agent, me, "raise_limit", ticket_id, "k1", window="day", amount="8000", until=until
    )
    assert proposed.status_code == 409, proposed.json()
    assert proposed.json()["code"] == code
    zh = propose(
        agent,
        me,
        "raise_limit",
        ticket_id,
        "k2",
        window="day",
        amount="8000",
        until=until,
        headers=ZH,
    )
    assert (zh.status_code, zh.json()["code"]) == (409, code)
    assert ("实名认证" if code == "tier_too_low" else "双重验证") in zh.json()["detail"]
    # ...and by the service the approved action runs.
    with pytest.raises(LimitIncreaseNotAllowed) as refused:
        raise_day_limit(container, agent, me, 800_000)
    assert refused.value.code == code

    assert snapshot(container, me) == before


def test_approving_a_request_after_the_customer_turned_2fa_off_is_refused_and_changes_nothing(
    client: TestClient,
    agent: Customer,
    supervisor: Customer,
    container: Container,
    clock: FakeClock,
) -> None:
    me, request_id = customer_with_request(client, clock)
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    proposed = propose(agent, me, "approve_limit_request", ticket_id, "k1", request_id=request_id)
    assert proposed.status_code == 201, proposed.json()
    off = me.delete(
        "/api/v1/me/2fa/totp",
        headers={"X-Verification-Token": step_up_second_factor(me, clock)},
    )
    assert off.status_code == 204
    before = snapshot(container, me)

    # Proposing it again is refused outright...
    again = propose(agent, me, "approve_limit_request", ticket_id, "k2", request_id=request_id)
    assert (again.status_code, again.json()["code"]) == (409, "two_factor_required")
    # ...and the action proposed before fails when it runs, granting nothing.
    with container.engine.connect() as conn:
        staff = identity_store.get_user(conn, uuid.UUID(supervisor.user["id"]))
    with pytest.raises(LimitIncreaseNotAllowed) as refused:
        limit_requests.do_approve_limit_request(
            container.wallet,
            staff,
            uuid.UUID(me.user["id"]),
            uuid.UUID(request_id),
            reason="customer asked",
            ctx=RequestContext(),
        )
    assert refused.value.code == "two_factor_required"
    assert snapshot(container, me) == before
    assert user_of(container, me).totp_enabled is False

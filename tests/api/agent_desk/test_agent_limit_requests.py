"""A person decides a limit request the automatic rules sent to review (issue 5).

``approve_limit_request`` is approval_required (identity verified on the ticket,
four eyes) and grants exactly as an automatic approval; ``reject_limit_request``
is low risk (it adds none), records the agent's reason and tells the customer in
their language. A request is decided once.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from agent_world import (
    open_ticket,
    propose,
    snapshot,
    verify_by_document,
)
from api_world import Customer, enable_totp, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import select

from walletdesk.audit.log import list_records
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.notify import tables as notify_tables
from walletdesk.wallet import tables as wallet_tables

BACKENDS = ["sqlite", "postgres"]
EVIDENCE = {"full_name": "李雷", "id_type": "cn_resident_id", "id_number": "11010519491231002X"}
DETAIL = {
    "identity_verification_required": {
        "en": "Verify the customer's identity on this ticket first",
        "zh-CN": "请先在本工单中核验客户身份",
    },
    "four_eyes_required": {"en": "Another person must approve", "zh-CN": "须由另一位人员审批"},
    "limit_request_already_decided": {
        "en": "This limit request was already decided; nothing was changed.",
        "zh-CN": "该提额申请已处理过，未做任何更改。",
    },
    "not_found": {"en": "Not found.", "zh-CN": "未找到。"},
}


def customer_with_request(
    client: TestClient,
    clock: FakeClock,
    *,
    phone: str = "+8613800138000",
    locale: str = "en",
    window: str = "transaction",
    amount: str = "8000.00",
) -> tuple[Customer, str]:
    """A new tier II customer with 2FA whose request went to review (the account is new)."""
    me = sign_up(client, phone=phone, locale=locale, device=phone)
    assert me.post("/api/v1/me/kyc", json={"tier": "II", **EVIDENCE}).status_code == 200
    enable_totp(me, clock)
    asked = me.post(
        "/api/v1/limit-requests",
        json={"kind": "permanent", "window": window, "amount": amount, "reason": "new car"},
        headers={"X-Verification-Token": me.step_up()},
    )
    assert asked.status_code == 201, asked.json()
    assert asked.json()["status"] == "needs_review"
    assert "account_too_new" in [r["code"] for r in asked.json()["reasons"]]
    return me, str(asked.json()["id"])


def limit_of(me: Customer, window: str) -> str:
    spend = me.get("/api/v1/limits").json()["scopes"]["spend"]
    return str(next(w["limit"] for w in spend if w["window"] == window))


def request_row(container: Container, request_id: str) -> Any:
    with container.engine.connect() as conn:
        return conn.execute(
            select(wallet_tables.limit_requests).where(
                wallet_tables.limit_requests.c.id == uuid.UUID(request_id)
            )
        ).one()


def alerts_of(container: Container, me: Customer) -> list[Any]:
    o = notify_tables.outbox
    with container.engine.connect() as conn:
        owner = uuid.UUID(me.user["id"])
        return list(conn.execute(select(o).where(o.c.user_id == owner).order_by(o.c.seq)))


def audit_actions(container: Container, me: Customer) -> list[Any]:
    with container.engine.connect() as conn:
        return list(
            list_records(conn, subject_type="user", subject_id=me.user["id"], limit=200).items
        )


def test_a_second_person_approves_a_request_under_review_and_it_is_granted_as_usual(
    client: TestClient,
    agent: Customer,
    supervisor: Customer,
    container: Container,
    clock: FakeClock,
) -> None:
    me, request_id = customer_with_request(client, clock)
    assert limit_of(me, "transaction") == "5000.00"
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    seen = agent.get(f"/api/v1/agent/customers/{me.user['id']}", params={"ticket_id": ticket_id})
    (waiting,) = seen.json()["limit_requests_under_review"]
    assert (waiting["id"], waiting["status"], waiting["amount"]) == (
        request_id,
        "needs_review",
        "8000.00",
    )

    proposed = propose(agent, me, "approve_limit_request", ticket_id, "k1", request_id=request_id)
    assert proposed.status_code == 201, proposed.json()
    action = proposed.json()
    assert action["risk"] == "approval_required"
    assert action["status"] == "pending"
    # The approver sees the request's terms, not only its id.
    assert action["params"] == {
        "request_id": request_id,
        "window": "transaction",
        "amount": "8000.00",
        "currency": "CNY",
        "until": None,
    }
    assert limit_of(me, "transaction") == "5000.00"  # nothing before approval
    assert request_row(container, request_id).status == "needs_review"

    approved = supervisor.post(f"/api/v1/agent/actions/{action['id']}/approve", json={"note": "ok"})
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["status"] == "executed", body
    assert body["before"] == {
        "request_status": "needs_review",
        "window": "transaction",
        "limit": 500_000,
    }
    assert body["after"] == {
        "request_status": "approved",
        "window": "transaction",
        "limit": 800_000,
    }
    assert body["result"]["limit_request"]["status"] == "approved"
    assert limit_of(me, "transaction") == "8000.00"
    seen = agent.get(f"/api/v1/agent/customers/{me.user['id']}", params={"ticket_id": ticket_id})
    assert seen.json()["limit_requests_under_review"] == []

    row = request_row(container, request_id)
    assert row.status == "approved"
    assert str(row.decided_by) == supervisor.user["id"]
    assert list(row.reasons) == ["account_too_new", "agent_approved"]
    # The usual alert of a granted request, in the per-payment wording.
    changed = [a for a in alerts_of(container, me) if a.kind == "limit_changed"]
    assert len(changed) == 1
    assert changed[0].payload == {"period": "per_payment", "amount": "8000.00", "currency": "CNY"}
    logged = [r for r in audit_actions(container, me) if r.action == "limit.approved"]
    assert len(logged) == 1
    assert str(logged[0].actor_id) == supervisor.user["id"]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_approving_a_request_is_refused_without_a_fresh_verification(
    client: TestClient,
    agent: Customer,
    container: Container,
    clock: FakeClock,
    lang: str,
) -> None:
    me, request_id = customer_with_request(client, clock)
    ticket_id = open_ticket(me)
    before = snapshot(container, me)
    headers = {"Accept-Language": lang}

    unverified = propose(
        agent, me, "approve_limit_request", ticket_id, "k1", request_id=request_id, headers=headers
    )
    assert unverified.status_code == 403
    assert unverified.json()["code"] == "identity_verification_required"
    assert DETAIL["identity_verification_required"][lang] in unverified.json()["detail"]
    assert snapshot(container, me) == before

    verify_by_document(agent, ticket_id)
    clock.advance(timedelta(minutes=15, seconds=1))
    before = snapshot(container, me)
    stale = propose(
        agent, me, "approve_limit_request", ticket_id, "k2", request_id=request_id, headers=headers
    )
    assert stale.status_code == 403
    assert stale.json()["code"] == "identity_verification_required"
    assert snapshot(container, me) == before
    assert request_row(container, request_id).status == "needs_review"


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_proposer_cannot_approve_their_own_limit_decision(
    client: TestClient,
    agent: Customer,
    supervisor: Customer,
    container: Container,
    clock: FakeClock,
    lang: str,
) -> None:
    me, request_id = customer_with_request(client, clock)
    ticket_id = open_ticket(me)
    verify_by_document(supervisor, ticket_id)
    proposed = propose(
        supervisor, me, "approve_limit_request", ticket_id, "k1", request_id=request_id
    )
    assert proposed.status_code == 201, proposed.json()
    before = snapshot(container, me)

    own = supervisor.post(
        f"/api/v1/agent/actions/{proposed.json()['id']}/approve",
        headers={"Accept-Language": lang},
    )
    assert own.status_code == 403
    assert own.json()["code"] == "four_eyes_required"
    assert DETAIL["four_eyes_required"][lang] in own.json()["detail"]
    # An agent holds no approve_actions permission at all.
    assert agent.post(f"/api/v1/agent/actions/{proposed.json()['id']}/approve").status_code == 403
    assert snapshot(container, me) == before
    assert limit_of(me, "transaction") == "5000.00"


@pytest.mark.parametrize("action", ["approve_limit_request", "reject_limit_request"])
def test_another_customers_request_is_not_found_and_nothing_changes(
    client: TestClient,
    agent: Customer,
    container: Container,
    clock: FakeClock,
    action: str,
) -> None:
    me, _ = customer_with_request(client, clock)
    other, others_request = customer_with_request(client, clock, phone="+8613700137000")
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    mine_before, other_before = snapshot(container, me), snapshot(container, other)
    for lang in ("en", "zh-CN"):
        refused = propose(
            agent,
            me,
            action,
            ticket_id,
            f"k-{lang}",
            request_id=others_request,
            headers={"Accept-Language": lang},
        )
        assert refused.status_code == 404, refused.json()
        assert refused.json()["detail"] == DETAIL["not_found"][lang]
    assert snapshot(container, me) == mine_before
    assert snapshot(container, other) == other_before


def test_a_decided_request_cannot_be_decided_again(
    client: TestClient,
    agent: Customer,
    supervisor: Customer,
    container: Container,
    clock: FakeClock,
) -> None:
    me, request_id = customer_with_request(client, clock)
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    # Two agents' approvals wait at once; only the first can decide the request.
    first = propose(agent, me, "approve_limit_request", ticket_id, "k1", request_id=request_id)
    second = propose(agent, me, "approve_limit_request", ticket_id, "k2", request_id=request_id)
    assert first.status_code == second.status_code == 201
    done = supervisor.post(f"/api/v1/agent/actions/{first.json()['id']}/approve")
    assert done.json()["status"] == "executed", done.json()
    before = snapshot(container, me)

    late = supervisor.post(f"/api/v1/agent/actions/{second.json()['id']}/approve")
    assert late.status_code == 200
    assert late.json()["status"] == "failed"
    assert late.json()["error_code"] == "limit_request_already_decided"
    after = snapshot(container, me)
    # Only the failed action's own record changed: no second grant, no alert.
    assert after["overrides"] == before["overrides"]
    assert after["requests"] == before["requests"]
    assert after["alerts"] == before["alerts"]
    assert after["limits"] == before["limits"]

    for lang in ("en", "zh-CN"):
        headers = {"Accept-Language": lang}
        for action, key in (("approve_limit_request", "k3"), ("reject_limit_request", "k4")):
            again = propose(
                agent,
                me,
                action,
                ticket_id,
                f"{key}-{lang}",
                request_id=request_id,
                headers=headers,
            )
            assert again.status_code == 409, again.json()
            assert again.json()["code"] == "limit_request_already_decided"
            assert again.json()["detail"] == DETAIL["limit_request_already_decided"][lang]
    assert snapshot(container, me) == after


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", "Customer service reviewed your request"),
        ("zh-CN", "客服已审核您将支付限额提高到"),
    ],
)
def test_declining_needs_no_approval_and_tells_the_customer_in_their_language(
    client: TestClient,
    agent: Customer,
    container: Container,
    clock: FakeClock,
    locale: str,
    words: str,
) -> None:
    me, request_id = customer_with_request(
        client, clock, locale=locale, window="day", amount="20000.00"
    )
    ticket_id = open_ticket(me)
    limits_before = me.get("/api/v1/limits").json()

    declined = propose(
        agent,
        me,
        "reject_limit_request",
        ticket_id,
        "k1",
        reason="Income not shown; asked the customer to upgrade to tier III",
        request_id=request_id,
    )
    assert declined.status_code == 201, declined.json()
    body = declined.json()
    assert body["risk"] == "low"
    assert body["status"] == "executed", body
    assert body["before"] == {"request_status": "needs_review"}
    assert body["after"] == {"request_status": "rejected"}
    assert me.get("/api/v1/limits").json() == limits_before

    row = request_row(container, request_id)
    assert row.status == "rejected"
    assert str(row.decided_by) == agent.user["id"]
    assert list(row.reasons)[-1] == "agent_rejected"
    logged = [r for r in audit_actions(container, me) if r.action == "limit.rejected"]
    assert len(logged) == 1
    assert logged[0].reason == "Income not shown; asked the customer to upgrade to tier III"

    (alert,) = [a for a in alerts_of(container, me) if a.kind == "limit_request_declined"]
    assert alert.payload == {"amount": "20000.00", "currency": "CNY"}
    container.dispatcher.run_once()
    texts = container.sms.messages_to("+8613800138000")
    assert any(words in t.body and "20000.00" in t.body for t in texts), [t.body for t in texts]


def test_a_temporary_request_that_ended_while_waiting_is_not_granted(
    client: TestClient,
    agent: Customer,
    supervisor: Customer,
    container: Container,
    clock: FakeClock,
) -> None:
    me = sign_up(client, phone="+8613800138000")
    assert me.post("/api/v1/me/kyc", json={"tier": "II", **EVIDENCE}).status_code == 200
    enable_totp(me, clock)
    until = (clock.now() + timedelta(hours=3)).isoformat()
    asked = me.post(
        "/api/v1/limit-requests",
        json={
            "kind": "temporary",
            "window": "day",
            "amount": "9000.00",
            "until": until,
            "reason": "moving house",
        },
        headers={"X-Verification-Token": me.step_up()},
    )
    assert asked.json()["status"] == "needs_review", asked.json()
    request_id = str(asked.json()["id"])
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    proposed = propose(agent, me, "approve_limit_request", ticket_id, "k1", request_id=request_id)
    assert proposed.status_code == 201, proposed.json()
    assert proposed.json()["params"]["until"] == until

    clock.advance(timedelta(hours=3, seconds=1))
    verify_by_document(agent, ticket_id)  # approving needs a fresh check too
    before = snapshot(container, me)
    late = supervisor.post(f"/api/v1/agent/actions/{proposed.json()['id']}/approve")
    assert late.json()["status"] == "failed"
    assert late.json()["error_code"] == "limit_request_ended"
    after = snapshot(container, me)
    for unchanged in ("requests", "overrides", "alerts", "limits"):
        assert after[unchanged] == before[unchanged]

    for lang, words in (("en", "ended while it waited"), ("zh-CN", "已到期")):
        again = propose(
            agent,
            me,
            "approve_limit_request",
            ticket_id,
            f"k2-{lang}",
            request_id=request_id,
            headers={"Accept-Language": lang},
        )
        assert again.status_code == 409
        assert again.json()["code"] == "limit_request_ended"
        assert words in again.json()["detail"]
    # Declining it still works: the customer hears the request will not be granted.
    declined = propose(agent, me, "reject_limit_request", ticket_id, "k3", request_id=request_id)
    assert declined.json()["status"] == "executed", declined.json()

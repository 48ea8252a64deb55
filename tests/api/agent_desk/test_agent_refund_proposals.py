"""An agent's refund is refused when it is proposed if it could never run (actions_params.py):
nobody is asked to approve a refund the wallet would refuse."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from agent_world import (
    AUTOMATIC_REFUNDS,
    action_count,
    open_ticket,
    paid_order,
    propose_refund,
    snapshot,
    verify_by_document,
)
from api_world import Customer
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from wallet_world import open_shop, top_up

from walletdesk.bootstrap import Container
from walletdesk.wallet import tables as wallet_tables

BACKENDS = ["sqlite", "postgres"]


def refunds_of(container: Container, payment_id: str) -> dict[str, Any]:
    """The payment's refund room and its refunds, to show a refusal changed nothing."""
    payment = uuid.UUID(payment_id)
    payments, refunds = wallet_tables.payments, wallet_tables.refunds
    with container.engine.connect() as conn:
        row = conn.execute(
            select(payments.c.refunded, payments.c.refund_count).where(payments.c.id == payment)
        ).one()
        count = conn.execute(
            select(func.count()).select_from(refunds).where(refunds.c.payment_id == payment)
        ).scalar_one()
    return {"refunded": row.refunded, "refund_count": row.refund_count, "refunds": count}


def verified_ticket(me: Customer, agent: Customer) -> str:
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    return ticket_id


@pytest.mark.parametrize(
    ("amount", "status", "code", "en", "zh"),
    [
        ("-5.00", 422, "invalid_action_params", "amount", "amount"),
        ("0", 422, "invalid_action_params", "amount", "amount"),
        ("9999.00", 422, "refund_exceeds_payment", "at most 38.00 CNY", "最多还可退款 38.00 CNY"),
    ],
)
def test_a_refund_amount_that_cannot_run_is_refused_when_proposed(
    client: TestClient,
    container: Container,
    me: Customer,
    agent: Customer,
    amount: str,
    status: int,
    code: str,
    en: str,
    zh: str,
) -> None:
    payment_id = paid_order(client, container, me)
    ticket_id = verified_ticket(me, agent)
    before = snapshot(container, me), refunds_of(container, payment_id)
    for key, lang, words in (("k1", "en", en), ("k2", "zh-CN", zh)):
        refused = propose_refund(
            agent,
            me,
            ticket_id,
            key,
            headers={"Accept-Language": lang},
            payment_id=payment_id,
            amount=amount,
        )
        assert refused.status_code == status, refused.json()
        assert refused.json()["code"] == code
        assert words in refused.json()["detail"]
    assert action_count(container) == 0
    assert (snapshot(container, me), refunds_of(container, payment_id)) == before


def test_a_refund_beyond_what_is_left_is_refused_and_the_rest_is_proposed(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    payment_id = paid_order(client, container, me)
    own = me.post(
        f"/api/v1/payments/{payment_id}/refunds",
        json={"amount": "30.00", "currency": "CNY", "reason": "not_received"},
    )
    assert own.status_code == 201, own.json()  # automatic policy: refunded at once
    ticket_id = verified_ticket(me, agent)
    before = snapshot(container, me), refunds_of(container, payment_id)

    too_much = propose_refund(
        agent,
        me,
        ticket_id,
        "k1",
        payment_id=payment_id,
        amount="10.00",
    )
    assert too_much.status_code == 422, too_much.json()
    assert too_much.json()["code"] == "refund_exceeds_payment"
    assert "8.00 CNY" in too_much.json()["detail"]
    assert action_count(container) == 0
    assert (snapshot(container, me), refunds_of(container, payment_id)) == before

    # What is left is proposed, and the approver reads it as every amount is written.
    rest = propose_refund(
        agent,
        me,
        ticket_id,
        "k2",
        payment_id=payment_id,
        amount="8",
    )
    assert rest.status_code == 201, rest.json()
    assert rest.json()["status"] == "pending"
    assert rest.json()["params"]["amount"] == "8.00"


def test_a_fully_refunded_payment_has_nothing_left_to_propose(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    payment_id = paid_order(client, container, me)
    own = me.post(
        f"/api/v1/payments/{payment_id}/refunds",
        json={"amount": "38.00", "currency": "CNY", "reason": "not_received"},
    )
    assert own.status_code == 201, own.json()
    ticket_id = verified_ticket(me, agent)
    before = snapshot(container, me), refunds_of(container, payment_id)
    # No amount: "all that is left", which is nothing.
    refused = propose_refund(agent, me, ticket_id, "k1", payment_id=payment_id)
    assert refused.status_code == 422, refused.json()
    assert refused.json()["code"] == "refund_exceeds_payment"
    assert action_count(container) == 0
    assert (snapshot(container, me), refunds_of(container, payment_id)) == before


def test_a_refund_of_a_failed_payment_is_refused_when_proposed(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    shop = open_shop(client, container, policy=AUTOMATIC_REFUNDS)
    top_up(me, "10.00")
    intent = shop.intent("38.00", "order-failed").json()
    assert me.post(f"/api/v1/payment-intents/{intent['id']}/pay").status_code == 402
    ticket_id = verified_ticket(me, agent)
    before = snapshot(container, me), refunds_of(container, intent["id"])
    for key, lang, words in (("k1", "en", "Only a completed payment"), ("k2", "zh-CN", "已完成")):
        refused = propose_refund(
            agent,
            me,
            ticket_id,
            key,
            headers={"Accept-Language": lang},
            payment_id=intent["id"],
        )
        assert refused.status_code == 409, refused.json()
        assert refused.json()["code"] == "payment_not_refundable"
        assert words in refused.json()["detail"]
    assert action_count(container) == 0
    assert (snapshot(container, me), refunds_of(container, intent["id"])) == before


def test_nul_characters_in_an_agents_words_are_dropped_and_the_refund_runs(
    client: TestClient,
    container: Container,
    me: Customer,
    agent: Customer,
    supervisor: Customer,
) -> None:
    """The reason, a document check's note and a refund's note all reach text columns;
    on PostgreSQL a NUL there failed the request (or worse, the approval) with a 500."""
    payment_id = paid_order(client, container, me)
    ticket_id = open_ticket(me)
    checked = agent.post(
        f"/api/v1/agent/tickets/{ticket_id}/verifications",
        json={"method": "document", "note": "ID card\u0000 checked"},
    )
    assert checked.status_code == 201, checked.json()
    assert checked.json()["note"] == "ID card checked"
    proposed = agent.post(
        f"/api/v1/agent/customers/{me.user['id']}/actions/refund",
        json={
            "ticket_id": ticket_id,
            "params": {"payment_id": payment_id, "reason": "damaged", "note": "box\u0000 crushed"},
            "reason": "customer\u0000 called",
            "idempotency_key": "k1",
        },
    )
    assert proposed.status_code == 201, proposed.json()
    assert proposed.json()["reason"] == "customer called"
    assert proposed.json()["params"]["note"] == "box crushed"
    approved = supervisor.post(
        f"/api/v1/agent/actions/{proposed.json()['id']}/approve", json={"note": "ok\u0000"}
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "executed", approved.json()
    assert approved.json()["decision_note"] == "ok"
    assert refunds_of(container, payment_id)["refunded"] == 3800

"""An agent action's idempotency key: a retry gets the first action back; the same key
with anything else asked for is refused, never silently answered with the first."""

from __future__ import annotations

from agent_world import (
    action_count,
    open_ticket,
    paid_order,
    propose_refund,
    snapshot,
    verify_by_document,
)
from api_world import Customer
from fastapi.testclient import TestClient

from walletdesk.bootstrap import Container

BACKENDS = ["sqlite", "postgres"]


def test_the_same_key_with_another_amount_is_refused_not_answered_with_the_first(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    payment_id = paid_order(client, container, me)
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    first = propose_refund(
        agent,
        me,
        ticket_id,
        "k1",
        payment_id=payment_id,
        amount="5.00",
    )
    assert first.status_code == 201, first.json()
    before = snapshot(container, me)

    for lang, words in (
        ("en", "different action, ticket or parameters"),
        ("zh-CN", "其他操作、工单或参数"),
    ):
        reused = propose_refund(
            agent,
            me,
            ticket_id,
            "k1",
            headers={"Accept-Language": lang},
            payment_id=payment_id,
            amount="30.00",
        )
        assert reused.status_code == 409, reused.json()
        assert reused.json()["code"] == "action_idempotency_key_reused"
        assert words in reused.json()["detail"]
    # Only the first action, still for 5.00, and nothing else written.
    assert action_count(container) == 1
    assert snapshot(container, me) == before
    assert (
        agent.get(f"/api/v1/agent/actions/{first.json()['id']}").json()["params"]["amount"]
        == "5.00"
    )


def test_the_same_key_on_another_ticket_or_reason_code_is_refused(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    payment_id = paid_order(client, container, me)
    ticket_id, other_ticket = open_ticket(me), open_ticket(me)
    verify_by_document(agent, ticket_id)
    verify_by_document(agent, other_ticket)
    first = propose_refund(
        agent,
        me,
        ticket_id,
        "k1",
        payment_id=payment_id,
        amount="5.00",
    )
    assert first.status_code == 201, first.json()
    before = snapshot(container, me)
    for ticket, reason in ((other_ticket, "not_received"), (ticket_id, "duplicate")):
        reused = propose_refund(
            agent,
            me,
            ticket,
            "k1",
            payment_id=payment_id,
            amount="5.00",
            refund_reason=reason,
        )
        assert reused.status_code == 409, reused.json()
        assert reused.json()["code"] == "action_idempotency_key_reused"
    assert action_count(container) == 1
    assert snapshot(container, me) == before


def test_a_retry_gets_the_first_action_back_even_written_differently(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    payment_id = paid_order(client, container, me)
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    first = propose_refund(
        agent,
        me,
        ticket_id,
        "k1",
        payment_id=payment_id,
        amount="5",
    )
    assert first.status_code == 201, first.json()
    again = propose_refund(
        agent,
        me,
        ticket_id,
        "k1",
        payment_id=payment_id.upper(),
        amount=" 5.00 ",
    )
    assert again.status_code == 200, again.json()
    assert again.json()["id"] == first.json()["id"]
    assert action_count(container) == 1


def test_a_retry_after_the_action_ran_still_gets_it_back(
    client: TestClient,
    container: Container,
    me: Customer,
    agent: Customer,
    supervisor: Customer,
) -> None:
    """Checked against what was asked, not against the account now: the refund has taken
    all that was left, and the retry is still the same request."""
    payment_id = paid_order(client, container, me)
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    first = propose_refund(
        agent,
        me,
        ticket_id,
        "k1",
        payment_id=payment_id,
        amount="38.00",
    )
    assert first.status_code == 201, first.json()
    ran = supervisor.post(f"/api/v1/agent/actions/{first.json()['id']}/approve")
    assert ran.json()["status"] == "executed", ran.json()
    again = propose_refund(
        agent,
        me,
        ticket_id,
        "k1",
        payment_id=payment_id,
        amount="38.00",
    )
    assert again.status_code == 200, again.json()
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "executed"
    assert action_count(container) == 1

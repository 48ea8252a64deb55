"""No identity check, proposal or approval on a closed, merged or spam ticket (DOMAIN.md §5).

A check counts on the ticket it was made on; once that ticket is over, nothing that
needs a verified customer is started or run on it, whichever way the check was made.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from agent_world import action_count, open_ticket, propose, snapshot, verify_by_document
from api_world import Customer
from sqlalchemy import func, select

from walletdesk.bootstrap import Container
from walletdesk.support import actions_tables
from walletdesk.support.tickets import tables as ticket_tables

BACKENDS = ["sqlite", "postgres"]


def set_status(agent: Customer, ticket_id: str, status: str) -> None:
    changed = agent.post(f"/api/v1/agent/tickets/{ticket_id}/status", json={"status": status})
    assert changed.status_code == 200, changed.json()


def merge_into_another(agent: Customer, customer: Customer, ticket_id: str) -> None:
    target = open_ticket(customer)
    merged = agent.post(f"/api/v1/agent/tickets/{ticket_id}/merge", json={"into_ticket_id": target})
    assert merged.status_code == 200, merged.json()


def close(agent: Customer, customer: Customer, ticket_id: str, how: str) -> None:
    """End the ticket as ``how`` says: spam, closed (after solved) or merged."""
    if how == "merged":
        merge_into_another(agent, customer, ticket_id)
        return
    if how == "closed":
        set_status(agent, ticket_id, "solved")
    set_status(agent, ticket_id, how)


def ticket_state(container: Container, ticket_id: str) -> dict[str, Any]:
    """What starting a check could have written on the ticket: checks, messages."""
    ticket = uuid.UUID(ticket_id)
    checks = actions_tables.ticket_verifications
    messages = ticket_tables.ticket_messages
    with container.engine.connect() as conn:
        return {
            "checks": conn.execute(
                select(func.count()).select_from(checks).where(checks.c.ticket_id == ticket)
            ).scalar_one(),
            "messages": conn.execute(
                select(func.count()).select_from(messages).where(messages.c.ticket_id == ticket)
            ).scalar_one(),
        }


@pytest.mark.parametrize("how", ["spam", "closed", "merged"])
def test_no_identity_check_of_any_kind_starts_on_a_closed_ticket(
    me: Customer, agent: Customer, container: Container, how: str
) -> None:
    ticket_id = open_ticket(me)
    close(agent, me, ticket_id, how)
    before = snapshot(container, me), ticket_state(container, ticket_id)
    for method, lang, words in (
        ("sms", "en", "closed"),
        ("document", "en", "closed"),
        ("document", "zh-CN", "已关闭"),
    ):
        body: dict[str, Any] = {"method": method}
        if method == "document":
            body["note"] = "ID card checked on video call"
        refused = agent.post(
            f"/api/v1/agent/tickets/{ticket_id}/verifications",
            json=body,
            headers={"Accept-Language": lang},
        )
        assert refused.status_code == 409, refused.json()
        assert refused.json()["code"] == "ticket_closed"
        assert words in refused.json()["detail"]
    # No check recorded, no code texted, no message on the ticket, nothing audited.
    assert (snapshot(container, me), ticket_state(container, ticket_id)) == before
    assert propose(agent, me, "freeze", ticket_id, "k1").status_code == 409
    assert action_count(container) == 0
    assert me.get("/api/v1/me").json()["status"] == "active"


def test_a_check_made_before_the_ticket_was_closed_proposes_nothing_on_it(
    me: Customer, agent: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)  # fresh for 15 minutes
    set_status(agent, ticket_id, "spam")
    before = snapshot(container, me)
    for key, action, lang, words in (
        ("k1", "freeze", "en", "closed"),
        ("k2", "reset_2fa", "zh-CN", "已关闭"),
        ("k3", "add_note", "en", "closed"),  # a low-risk one neither: the case is over
    ):
        params = {"body": "called back"} if action == "add_note" else {}
        refused = propose(
            agent, me, action, ticket_id, key, headers={"Accept-Language": lang}, **params
        )
        assert refused.status_code == 409, refused.json()
        assert refused.json()["code"] == "ticket_closed"
        assert words in refused.json()["detail"]
    assert action_count(container) == 0
    assert snapshot(container, me) == before


def test_an_action_whose_ticket_closed_while_it_waited_is_not_approved_only_rejected(
    me: Customer, agent: Customer, supervisor: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    proposed = propose(agent, me, "freeze", ticket_id, "k1")
    assert proposed.status_code == 201, proposed.json()
    action_id = proposed.json()["id"]
    set_status(agent, ticket_id, "spam")
    before = snapshot(container, me)

    for lang, words in (("en", "can no longer be approved"), ("zh-CN", "无法再审批")):
        refused = supervisor.post(
            f"/api/v1/agent/actions/{action_id}/approve", headers={"Accept-Language": lang}
        )
        assert refused.status_code == 409, refused.json()
        assert refused.json()["code"] == "action_ticket_closed"
        assert words in refused.json()["detail"]
    # Still pending, the customer not frozen, nothing audited.
    assert snapshot(container, me) == before
    assert me.get("/api/v1/me").json()["status"] == "active"

    rejected = supervisor.post(f"/api/v1/agent/actions/{action_id}/reject", json={"note": "spam"})
    assert rejected.status_code == 200, rejected.json()
    assert rejected.json()["status"] == "rejected"

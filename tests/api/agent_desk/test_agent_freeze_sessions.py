"""An agent's freeze (suspected takeover) signs the customer out everywhere; the agents'
own repairs (a new phone) still work on the frozen account, and unfreezing gives the
customer back their self-service changes."""

from __future__ import annotations

import uuid

from agent_world import PHONE, open_ticket, propose, verify_by_document
from api_world import STRONG, Customer, log_in
from fastapi.testclient import TestClient
from sqlalchemy import select

from walletdesk.bootstrap import Container
from walletdesk.identity import tables as identity_tables

BACKENDS = ["sqlite", "postgres"]
NEW_PASSWORD = "Another-Long-Pass-42"


def run_action(
    agent: Customer, supervisor: Customer, me: Customer, ticket: str, action: str, **params: str
) -> None:
    verify_by_document(agent, ticket)
    proposed = propose(agent, me, action, ticket, f"k-{action}", **params)
    assert proposed.status_code == 201, proposed.json()
    approved = supervisor.post(f"/api/v1/agent/actions/{proposed.json()['id']}/approve")
    assert approved.json()["status"] == "executed", approved.json()


def test_an_agents_freeze_ends_every_session_and_unfreezing_restores_changes(
    client: TestClient,
    me: Customer,
    agent: Customer,
    supervisor: Customer,
    container: Container,
) -> None:
    # Given a customer signed in on two devices, who reports a takeover on a ticket
    laptop = Customer(client, me.user, log_in(client, PHONE))
    ticket = open_ticket(me)
    # When the agent's freeze is approved
    run_action(agent, supervisor, me, ticket, "freeze")
    # Then no session of the customer's survives, not even the one that asked for help
    for session in (me, laptop):
        assert session.get("/api/v1/me").status_code == 401
    with container.engine.connect() as conn:
        reasons = conn.execute(
            select(identity_tables.sessions.c.revoked_reason).where(
                identity_tables.sessions.c.user_id == uuid.UUID(me.user["id"])
            )
        ).all()
    assert sorted(reasons) == [("account_frozen",), ("account_frozen",)]
    # The owner can log in again to look, but cannot change the password
    back = Customer(client, me.user, log_in(client, PHONE))
    assert back.get("/api/v1/me").json()["status"] == "frozen"
    refused = back.put(
        "/api/v1/me/password", json={"current_password": STRONG, "new_password": NEW_PASSWORD}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "account_frozen"
    # An agent's repair, verified and approved, still works on the frozen account
    run_action(agent, supervisor, back, ticket, "change_phone", phone="+8613900139000")
    # (the new phone, an "I lost my phone" recovery, signs the customer out again)
    assert back.get("/api/v1/me").status_code == 401
    back = Customer(client, me.user, log_in(client, "+8613900139000"))
    assert back.get("/api/v1/me").json()["phone"] == "+8613900139000"
    # and once an agent unfreezes it, the owner's own changes work again
    run_action(agent, supervisor, back, ticket, "unfreeze")
    assert back.get("/api/v1/me").json()["status"] == "active"
    changed = back.put(
        "/api/v1/me/password", json={"current_password": STRONG, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204

"""A frozen customer can still prove it's them on their ticket, and an agent unfreezes.

A freeze refuses the customer's own step-ups and step-up codes (test_frozen_step_up.py),
but not what an unfreeze needs: the customer signs in, opens a ticket, and confirms the
agent's check on it (an SMS code texted for that ticket, or their authenticator app);
then an agent proposes the unfreeze and a second person approves it. The code for the
ticket buys no step-up while frozen, and after the unfreeze the customer's own step-ups
work again.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from agent_world import PHONE, confirm_on_ticket, open_ticket, propose, start_check
from api_world import Customer, enable_totp, latest_sms_code, log_in, totp_now
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from test_agent_freeze_sessions import run_action

from walletdesk.audit.log import list_records
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as identity_tables

BACKENDS = ["sqlite", "postgres"]


def audited(container: Container, me: Customer) -> list[str]:
    """The actions audited about the customer, oldest first."""
    with container.engine.connect() as conn:
        records = list_records(conn, subject_type="user", subject_id=me.user["id"], limit=200)
    return [r.action for r in reversed(records.items)]


def step_up_tokens(container: Container, me: Customer) -> int:
    v = identity_tables.verifications
    with container.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where(v.c.user_id == uuid.UUID(me.user["id"]))
            ).scalar_one()
        )


def unfreeze(agent: Customer, supervisor: Customer, me: Customer, ticket: str) -> Any:
    proposed = propose(agent, me, "unfreeze", ticket, "k-unfreeze")
    assert proposed.status_code == 201, proposed.json()
    return supervisor.post(f"/api/v1/agent/actions/{proposed.json()['id']}/approve")


def test_a_self_frozen_customer_confirms_an_sms_check_on_a_ticket_and_is_unfrozen(
    me: Customer, agent: Customer, supervisor: Customer, container: Container
) -> None:
    # Given a customer who froze their own account
    assert me.post("/api/v1/me/freeze", json={"reason": "lost phone"}).status_code == 200
    assert me.post("/api/v1/me/verifications/sms").json()["code"] == "account_frozen"
    # When they ask for help on a ticket and the agent sends a code for it
    ticket = open_ticket(me)
    assert propose(agent, me, "unfreeze", ticket, "k0").status_code == 403  # not verified yet
    sent = start_check(agent, ticket, "sms")
    assert sent.status_code == 201, sent.json()
    code = latest_sms_code(container, PHONE)
    number = me.get(f"/api/v1/tickets/{ticket}").json()["number"]
    assert f"ticket {number}" in container.sms.messages_to(PHONE)[-1].body
    # Then that code makes no step-up while frozen (and is not spent by trying)
    misused = me.post("/api/v1/me/verifications", json={"method": "sms", "code": code})
    assert misused.json()["code"] == "account_frozen"
    # but confirms the check on the ticket
    confirmed = confirm_on_ticket(me, ticket, code)
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "verified"
    assert step_up_tokens(container, me) == 0
    # and the agent's unfreeze, approved by a second person, runs
    approved = unfreeze(agent, supervisor, me, ticket)
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "executed"
    assert me.get("/api/v1/me").json()["status"] == "active"
    # The unfreeze signed nobody out: the same session steps up again, by password or SMS
    me.step_up()
    assert me.post("/api/v1/me/verifications/sms").status_code == 202
    assert step_up_tokens(container, me) == 1
    # The refusals left no trace in the audit log; the check and the unfreeze did.
    assert audited(container, me) == [
        "user.registered",
        "session.created",
        "user.frozen",
        "agent.identity.code_sent",
        "agent.identity.verified",
        "agent.action.proposed",
        "agent.action.approved",
        "user.active",
        "agent.action.executed",
    ]


def test_a_customer_frozen_by_an_agent_confirms_with_their_authenticator_and_is_unfrozen(
    client: TestClient,
    me: Customer,
    agent: Customer,
    supervisor: Customer,
    container: Container,
    clock: FakeClock,
) -> None:
    # Given a customer with 2FA whose account an agent froze (every session ended)
    enable_totp(me, clock)
    assert me.totp_secret is not None
    ticket = open_ticket(me)
    run_action(agent, supervisor, me, ticket, "freeze")
    assert me.get("/api/v1/me").status_code == 401
    # Later (the document check behind the freeze is no longer fresh) they sign in again
    clock.advance(timedelta(minutes=16))
    back = Customer(
        client, me.user, log_in(client, PHONE, totp_code=totp_now(me.totp_secret, clock))
    )
    assert back.get("/api/v1/me").json()["status"] == "frozen"
    assert propose(agent, back, "unfreeze", ticket, "k0").status_code == 403
    # When the agent asks for their authenticator on the ticket
    assert start_check(agent, ticket, "totp").status_code == 201
    clock.advance(timedelta(seconds=30))
    code = totp_now(me.totp_secret, clock)
    # the code makes no step-up while frozen (refused before it is checked, so unspent)
    misused = back.post("/api/v1/me/verifications", json={"method": "totp", "code": code})
    assert misused.json()["code"] == "account_frozen"
    # but confirms the check on the ticket
    confirmed = confirm_on_ticket(back, ticket, code)
    assert confirmed.status_code == 200, confirmed.json()
    # Then the unfreeze runs, and the customer's own step-ups work again
    approved = unfreeze(agent, supervisor, back, ticket)
    assert approved.json()["status"] == "executed", approved.json()
    assert back.get("/api/v1/me").json()["status"] == "active"
    back.step_up()
    assert step_up_tokens(container, me) == 2  # enable_totp's, and this one

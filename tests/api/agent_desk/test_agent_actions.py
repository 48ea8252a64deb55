"""Agent actions (DOMAIN.md §5): identity verified on the ticket, four eyes, audit, 360."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from agent_world import (
    PHONE,
    action_count,
    open_ticket,
    propose,
    snapshot,
    verify_by_document,
    verify_by_sms,
)
from api_world import Customer, enable_totp, log_in, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from walletdesk.audit.log import list_records
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import store as identity_store
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.model import RequestContext
from walletdesk.support import actions

BACKENDS = ["sqlite", "postgres"]


def test_unverified_action_is_refused_and_nothing_changes(
    me: Customer, agent: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    refused = propose(agent, me, "freeze", ticket_id, "k1")
    assert refused.status_code == 403
    assert refused.json()["code"] == "identity_verification_required"
    assert action_count(container) == 0
    assert me.get("/api/v1/me").json()["status"] == "active"
    # Without a ticket there is nothing to verify on either.
    no_ticket = agent.post(
        f"/api/v1/agent/customers/{me.user['id']}/actions/freeze",
        json={"params": {}, "reason": "r", "idempotency_key": "k2"},
    )
    assert no_ticket.status_code == 403
    assert action_count(container) == 0


def test_stale_verification_is_refused(
    me: Customer, agent: Customer, container: Container, clock: FakeClock
) -> None:
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    clock.advance(timedelta(minutes=16))
    refused = propose(agent, me, "freeze", ticket_id, "k1")
    assert refused.status_code == 403
    assert refused.json()["code"] == "identity_verification_required"
    assert action_count(container) == 0


def test_an_action_is_approved_only_while_its_verification_is_fresh(
    me: Customer,
    agent: Customer,
    supervisor: Customer,
    container: Container,
    clock: FakeClock,
) -> None:
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    action_id, other_id = (
        propose(agent, me, "freeze", ticket_id, key).json()["id"] for key in ("k1", "k2")
    )

    def logged() -> list[str]:
        with container.engine.connect() as conn:
            records = list_records(conn, subject_type="user", subject_id=me.user["id"], limit=100)
        return [r.action for r in records.items]

    before = logged()
    # Approving runs the action: 16 minutes after the check, it is too old for that.
    clock.advance(timedelta(minutes=16))
    stale = supervisor.post(f"/api/v1/agent/actions/{action_id}/approve", json={"note": "ok"})
    assert stale.status_code == 403
    assert stale.json()["code"] == "identity_verification_stale"
    # Nothing changed: the customer not frozen, nothing more audited, still pending (a
    # look that is itself audited, so checked last).
    assert me.get("/api/v1/me").json()["status"] == "active"
    assert logged() == before
    assert supervisor.get(f"/api/v1/agent/actions/{action_id}").json()["status"] == "pending"
    # Rejecting changes nothing of the customer's: it needs no fresh check.
    rejected = supervisor.post(f"/api/v1/agent/actions/{other_id}/reject", json={"note": "no"})
    assert rejected.status_code == 200, rejected.json()
    assert rejected.json()["status"] == "rejected"
    # Checked again on the ticket, the pending action is approved and runs.
    verify_by_document(agent, ticket_id)
    approved = supervisor.post(f"/api/v1/agent/actions/{action_id}/approve", json={"note": "ok"})
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "executed", approved.json()
    # An agent's freeze (a suspected takeover) ends every session of the customer's.
    assert me.get("/api/v1/me").status_code == 401
    with container.engine.connect() as conn:
        frozen = identity_store.get_user(conn, uuid.UUID(me.user["id"]))
    assert frozen.status.value == "frozen"


def test_proposer_cannot_approve_their_own_action(
    me: Customer, agent: Customer, supervisor: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    verify_by_sms(agent, me, container, ticket_id)
    # A supervisor proposing is just as unable to approve it alone.
    proposed = propose(supervisor, me, "freeze", ticket_id, "k1")
    assert proposed.status_code == 201, proposed.json()
    action = proposed.json()
    assert action["status"] == "pending"
    assert action["risk"] == "approval_required"

    own = supervisor.post(f"/api/v1/agent/actions/{action['id']}/approve")
    assert own.status_code == 403
    assert own.json()["code"] == "four_eyes_required"
    assert supervisor.get(f"/api/v1/agent/actions/{action['id']}").json()["status"] == "pending"
    assert me.get("/api/v1/me").json()["status"] == "active"

    # An agent holds no approve_actions permission at all.
    assert agent.post(f"/api/v1/agent/actions/{action['id']}/approve").status_code == 403

    # The same idempotency key gives back the same action instead of a second one.
    again = propose(supervisor, me, "freeze", ticket_id, "k1")
    assert again.status_code == 200
    assert again.json()["id"] == action["id"]
    assert action_count(container) == 1


def test_staff_accounts_are_not_acted_on_not_even_ones_own(
    me: Customer, agent: Customer, supervisor: Customer, container: Container, clock: FakeClock
) -> None:
    """The desk serves customers and merchants: an agent raising their own limit (after a
    document check they recorded themselves), or acting on a colleague, is refused as the
    customer 360 refuses to show them, and nothing is written."""
    until = (clock.now() + timedelta(days=7)).isoformat()
    for customer in (agent, supervisor):
        ticket_id = open_ticket(customer)
        verify_by_document(agent, ticket_id)
        before = snapshot(container, customer)
        for action, params in (
            ("raise_limit", {"window": "day", "amount": "50000", "until": until}),
            ("reset_2fa", {}),
            ("add_note", {"body": "hello"}),
        ):
            refused = propose(agent, customer, action, ticket_id, f"k-{action}", **params)
            assert refused.status_code == 404, refused.json()
            assert refused.json()["code"] == "not_found"
        assert agent.get(f"/api/v1/agent/customers/{customer.user['id']}").status_code == 404
        assert action_count(container) == 0
        assert snapshot(container, customer) == before


def test_nobody_decides_on_an_action_on_their_own_account(
    me: Customer, agent: Customer, client: TestClient, container: Container
) -> None:
    """A customer who joined the staff after an action was proposed for them cannot be its
    second pair of eyes, in either language; the action stays pending."""
    ticket_id = open_ticket(me)
    verify_by_sms(agent, me, container, ticket_id)
    proposed = propose(agent, me, "freeze", ticket_id, "k1")
    assert proposed.status_code == 201, proposed.json()
    with container.engine.begin() as conn:
        conn.execute(
            update(identity_tables.users)
            .where(identity_tables.users.c.id == uuid.UUID(me.user["id"]))
            .values(role="supervisor")
        )
    before = snapshot(container, me)

    for lang, words in (("en", "your own account"), ("zh-CN", "本人的账户")):
        own = me.post(
            f"/api/v1/agent/actions/{proposed.json()['id']}/approve",
            json={"note": "fine"},
            headers={"Accept-Language": lang},
        )
        assert own.status_code == 403, own.json()
        assert own.json()["code"] == "action_on_own_account"
        assert words in own.json()["detail"]
    assert snapshot(container, me) == before
    with container.engine.connect() as conn:
        user = identity_store.get_user(conn, uuid.UUID(me.user["id"]))
    assert user.status.value == "active"


def test_the_same_key_sent_twice_at_once_gives_one_action_not_an_error(
    me: Customer, agent: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    with container.engine.connect() as conn:
        agent_user = identity_store.get_user(conn, uuid.UUID(agent.user["id"]))
    other: list[dict[str, Any]] = []

    def the_other_request_lands_first(*args: Any) -> None:
        # Right after this request looked for the key and found nothing, the same
        # agent's other request (a double click) stores its action.
        statement = args[2]
        if other or "idempotency_key" not in statement or "INSERT" in statement:
            return
        other.append({})
        action, created = actions.do_propose_action(
            container.wallet,
            agent_user,
            uuid.UUID(me.user["id"]),
            "freeze",
            ticket_id=uuid.UUID(ticket_id),
            params={},
            reason="customer asked on the phone",
            idempotency_key="k1",
            ctx=RequestContext(),
        )
        assert created
        other[0] = action

    event.listen(container.engine, "after_cursor_execute", the_other_request_lands_first)
    try:
        raced = propose(agent, me, "freeze", ticket_id, "k1")
    finally:
        event.remove(container.engine, "after_cursor_execute", the_other_request_lands_first)
    assert raced.status_code == 200, raced.json()  # as for any repeat of a key: no 500
    assert raced.json()["id"] == other[0]["id"]
    assert action_count(container) == 1
    # The same key for another action is still refused, race or not.
    assert propose(agent, me, "unfreeze", ticket_id, "k1").status_code == 409
    assert action_count(container) == 1


def test_supervisor_approves_a_limit_raise(
    me: Customer,
    agent: Customer,
    supervisor: Customer,
    container: Container,
    clock: FakeClock,
) -> None:
    # Only an account that may hold raised limits gets one: tier II or III with 2FA on
    # (DOMAIN.md §2; test_limit_increase_conditions.py has the refusals).
    evidence = {"full_name": "李雷", "id_type": "cn_resident_id", "id_number": "11010519491231002X"}
    assert me.post("/api/v1/me/kyc", json={"tier": "II", **evidence}).json()["tier"] == "II"
    enable_totp(me, clock)
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    until = (clock.now() + timedelta(days=7)).isoformat()
    proposed = propose(
        agent, me, "raise_limit", ticket_id, "k1", window="day", amount="8000", until=until
    )
    assert proposed.status_code == 201, proposed.json()
    action_id = proposed.json()["id"]

    def day_limit() -> str:
        spend = me.get("/api/v1/limits").json()["scopes"]["spend"]
        return str(next(w["limit"] for w in spend if w["window"] == "day"))

    assert day_limit() == "5000.00"
    approved = supervisor.post(f"/api/v1/agent/actions/{action_id}/approve", json={"note": "ok"})
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["status"] == "executed", body
    assert body["decided_by"] == supervisor.user["id"]
    assert body["before"]["limit"] == 500_000
    assert body["after"]["limit"] == 800_000
    assert day_limit() == "8000.00"

    twice = supervisor.post(f"/api/v1/agent/actions/{action_id}/approve")
    assert twice.status_code == 409
    assert twice.json()["code"] == "action_already_decided"

    with container.engine.connect() as conn:
        actions_logged = [
            r.action
            for r in list_records(
                conn, subject_type="user", subject_id=me.user["id"], limit=100
            ).items
        ]
    for step in (
        "agent.identity.verified",
        "agent.action.proposed",
        "agent.action.approved",
        "agent.action.executed",
        "limit.approved",
    ):
        assert step in actions_logged


def test_reset_2fa_approved_turns_totp_off(
    me: Customer,
    agent: Customer,
    supervisor: Customer,
    container: Container,
    clock: FakeClock,
) -> None:
    enable_totp(me, clock)
    assert me.get("/api/v1/me").json()["totp_enabled"] is True
    ticket_id = open_ticket(me)
    verify_by_sms(agent, me, container, ticket_id)
    proposed = propose(agent, me, "reset_2fa", ticket_id, "k1")
    assert proposed.status_code == 201, proposed.json()
    approved = supervisor.post(f"/api/v1/agent/actions/{proposed.json()['id']}/approve")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "executed", approved.json()
    assert approved.json()["before"]["totp_enabled"] is True
    assert approved.json()["after"]["totp_enabled"] is False
    # The reset ends the customer's sessions (the lost phone may be signed in): the
    # customer signs in again with the password alone.
    assert me.get("/api/v1/me").status_code == 401
    again = Customer(me.client, me.user, log_in(me.client, PHONE))
    assert again.get("/api/v1/me").json()["totp_enabled"] is False


def test_a_lost_phone_is_replaced_by_an_agent_with_approval_and_both_numbers_hear(
    me: Customer, agent: Customer, supervisor: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)  # the old phone is lost: no SMS challenge
    old = me.get("/api/v1/me").json()["phone"]
    proposed = propose(agent, me, "change_phone", ticket_id, "k1", phone="139 0013 9000")
    assert proposed.status_code == 201, proposed.json()
    # Normalised, and shown to staff masked as in the customer 360.
    assert proposed.json()["params"]["phone"] == "+86139****9000"
    assert me.get("/api/v1/me").json()["phone"] == old  # nothing before approval
    approved = supervisor.post(f"/api/v1/agent/actions/{proposed.json()['id']}/approve")
    assert approved.json()["status"] == "executed", approved.json()
    assert approved.json()["before"] == {"phone": old[:-8] + "****" + old[-4:]}
    assert approved.json()["after"] == {"phone": "+86139****9000"}
    # The customer's sessions ended with the change; they sign in with the new number.
    assert me.get("/api/v1/me").status_code == 401
    again = Customer(me.client, me.user, log_in(me.client, "+8613900139000"))
    assert again.get("/api/v1/me").json()["phone"] == "+8613900139000"
    container.dispatcher.run_once()
    # The old number hears about it too: that is how an owner would spot a takeover.
    assert container.sms.messages_to(old)
    assert container.sms.messages_to("+8613900139000")


def test_staff_see_an_actions_contact_details_masked_and_every_look_is_audited(
    me: Customer, agent: Customer, supervisor: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    old = me.get("/api/v1/me").json()["phone"]
    action_id = propose(agent, me, "change_email", ticket_id, "k1", email="Li.Lei@Example.com")
    assert action_id.status_code == 201, action_id.json()
    first = action_id.json()["id"]
    supervisor.post(f"/api/v1/agent/actions/{first}/approve").raise_for_status()
    verify_by_document(agent, ticket_id)
    second = propose(agent, me, "change_phone", ticket_id, "k2", phone="+8613900139000").json()
    supervisor.post(f"/api/v1/agent/actions/{second['id']}/approve").raise_for_status()

    def looks() -> int:
        with container.engine.connect() as conn:
            records = list_records(conn, subject_type="user", subject_id=me.user["id"], limit=100)
        return sum(1 for r in records.items if r.action == "agent.customer.actions.viewed")

    assert looks() == 0
    answers = [
        agent.get(f"/api/v1/agent/customers/{me.user['id']}/actions"),
        agent.get(f"/api/v1/agent/actions/{first}"),
        agent.get(f"/api/v1/agent/customers/{me.user['id']}"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.json()
        for whole in (old, "+8613900139000", "li.lei@example.com"):
            assert whole not in answer.text
    listed = {item["action"]: item for item in answers[0].json()["items"]}
    assert listed["change_email"]["after"] == {"email": "l***@example.com"}
    assert listed["change_phone"]["params"] == {"phone": "+86139****9000"}
    # The list and the single action are reads of the customer's data: audited (the 360
    # has its own record, agent.customer.viewed).
    assert looks() == 2


@pytest.mark.parametrize(
    ("action", "field", "value", "code"),
    [
        ("change_phone", "phone", "12345", "phone_invalid"),
        ("change_email", "email", "not-an-email", "email_invalid"),
    ],
)
def test_a_bad_new_contact_is_refused_before_anyone_approves(
    me: Customer,
    agent: Customer,
    container: Container,
    action: str,
    field: str,
    value: str,
    code: str,
) -> None:
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    before = action_count(container)
    profile = me.get("/api/v1/me").json()
    refused = propose(agent, me, action, ticket_id, "k1", **{field: value})
    assert refused.status_code == 422, refused.json()
    assert refused.json()["code"] == code
    assert action_count(container) == before
    assert me.get("/api/v1/me").json() == profile


def test_a_contact_that_belongs_to_another_account_is_refused(
    client: TestClient, me: Customer, agent: Customer, container: Container
) -> None:
    sign_up(client, phone="+8613700137000", email=None, device="other")
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    before = action_count(container)
    profile = me.get("/api/v1/me").json()
    refused = propose(agent, me, "change_phone", ticket_id, "k1", phone="+8613700137000")
    assert refused.status_code == 422, refused.json()
    assert refused.json()["code"] == "invalid_action_params"
    assert action_count(container) == before
    assert me.get("/api/v1/me").json() == profile


def test_rejected_action_changes_nothing(
    me: Customer, agent: Customer, supervisor: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    proposed = propose(agent, me, "freeze", ticket_id, "k1")
    action_id = proposed.json()["id"]
    rejected = supervisor.post(f"/api/v1/agent/actions/{action_id}/reject", json={"note": "no"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert supervisor.post(f"/api/v1/agent/actions/{action_id}/approve").status_code == 409
    assert me.get("/api/v1/me").json()["status"] == "active"


def test_low_risk_note_needs_no_verification(me: Customer, agent: Customer) -> None:
    ticket_id = open_ticket(me)
    done = propose(agent, me, "add_note", ticket_id, "k1", body="called back")
    assert done.status_code == 201, done.json()
    assert done.json()["status"] == "executed"
    assert done.json()["risk"] == "low"
    unknown = propose(agent, me, "delete_everything", ticket_id, "k2")
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_action"


def test_customer_360_is_audited_and_staff_only(
    me: Customer, agent: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    seen = agent.get(f"/api/v1/agent/customers/{me.user['id']}", params={"ticket_id": ticket_id})
    assert seen.status_code == 200, seen.json()
    body = seen.json()
    assert body["profile"]["phone"] == "+86138****8000"
    assert body["tier"] == "I"
    assert body["status"] == "active"
    assert body["two_factor"] is False
    assert body["limits"]["scopes"]["spend"]
    assert [t["id"] for t in body["open_tickets"]] == [ticket_id]
    assert body["verification"]["method"] == "document"
    assert body["devices"]
    with container.engine.connect() as conn:
        records = list_records(conn, subject_type="user", subject_id=me.user["id"]).items
    viewed = [r for r in records if r.action == "agent.customer.viewed"]
    assert len(viewed) == 1
    assert str(viewed[0].actor_id) == agent.user["id"]

    refused = me.get(f"/api/v1/agent/customers/{me.user['id']}")
    assert refused.status_code == 403
    assert (
        me.post(
            f"/api/v1/agent/tickets/{ticket_id}/verifications", json={"method": "sms"}
        ).status_code
        == 403
    )
    with container.engine.connect() as conn:
        records = list_records(conn, subject_type="user", subject_id=me.user["id"]).items
    assert len([r for r in records if r.action == "agent.customer.viewed"]) == 1

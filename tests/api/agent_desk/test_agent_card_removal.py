"""An agent removes a customer's lost card (issue 5: "change ... bank card").

approval_required: identity verified on the ticket within 15 minutes and a second
person's approval; it unlinks the card through identity's own removal, so no
top-up, withdrawal or refund can use it afterwards, and the customer is alerted.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from agent_world import open_ticket, propose, snapshot, verify_by_document
from api_world import Customer, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import select
from wallet_world import add_card, top_up

from walletdesk.audit.log import list_records
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.notify import tables as notify_tables

BACKENDS = ["sqlite", "postgres"]


def card_ids(me: Customer) -> list[str]:
    return [c["id"] for c in me.get("/api/v1/me/cards").json()["items"]]


def alert_kinds(container: Container, me: Customer) -> list[str]:
    o = notify_tables.outbox
    with container.engine.connect() as conn:
        owner = uuid.UUID(me.user["id"])
        return [
            r.kind for r in conn.execute(select(o).where(o.c.user_id == owner).order_by(o.c.seq))
        ]


def audit_of(container: Container, me: Customer, action: str) -> list[Any]:
    with container.engine.connect() as conn:
        records = list_records(conn, subject_type="user", subject_id=me.user["id"], limit=200)
    return [r for r in records.items if r.action == action]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_lost_card_is_unlinked_after_a_second_persons_approval(
    me: Customer, agent: Customer, supervisor: Customer, container: Container, lang: str
) -> None:
    lost = add_card(me)
    kept = add_card(me, "5555555555554444")
    assert top_up(me, "10.00", lost).status_code == 201
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)

    proposed = propose(agent, me, "remove_bank_card", ticket_id, "k1", card_id=lost)
    assert proposed.status_code == 201, proposed.json()
    action = proposed.json()
    assert action["risk"] == "approval_required"
    assert action["params"] == {
        "card_id": lost,
        "last4": "4242",
        "bank_name": "Walletdesk Test Bank",
    }
    assert card_ids(me) == [lost, kept]  # nothing before approval

    approved = supervisor.post(f"/api/v1/agent/actions/{action['id']}/approve")
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["status"] == "executed", body
    assert body["before"]["linked"] is True
    assert body["after"] == {
        "card_id": lost,
        "last4": "4242",
        "bank_name": "Walletdesk Test Bank",
        "linked": False,
    }
    assert card_ids(me) == [kept]
    seen = agent.get(f"/api/v1/agent/customers/{me.user['id']}", params={"ticket_id": ticket_id})
    assert [c["id"] for c in seen.json()["cards"]] == [kept]
    # No money moves through it any more: the customer's own top-up is refused.
    refused = top_up(me, "10.00", lost, key="after-removal")
    assert refused.status_code == 404, refused.json()
    assert alert_kinds(container, me).count("card_removed") == 1
    (logged,) = audit_of(container, me, "card.removed")
    assert str(logged.actor_id) == supervisor.user["id"]
    assert logged.reason == "customer asked on the phone"

    # The card is gone: removing it again is refused before anyone approves, in both languages.
    before = snapshot(container, me)
    again = propose(
        agent,
        me,
        "remove_bank_card",
        ticket_id,
        "k2",
        card_id=lost,
        headers={"Accept-Language": lang},
    )
    assert again.status_code == 404
    assert again.json()["detail"] == {"en": "Not found.", "zh-CN": "未找到。"}[lang]
    assert snapshot(container, me) == before


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_removing_a_card_is_refused_without_verification_stale_or_by_its_proposer(
    me: Customer,
    supervisor: Customer,
    container: Container,
    clock: FakeClock,
    lang: str,
) -> None:
    card = add_card(me)
    ticket_id = open_ticket(me)
    headers = {"Accept-Language": lang}
    before = snapshot(container, me)

    unverified = propose(
        supervisor, me, "remove_bank_card", ticket_id, "k1", card_id=card, headers=headers
    )
    assert unverified.status_code == 403
    assert unverified.json()["code"] == "identity_verification_required"
    assert (
        unverified.json()["title"]
        == {
            "en": "Identity verification required",
            "zh-CN": "需要核验身份",
        }[lang]
    )
    assert snapshot(container, me) == before

    verify_by_document(supervisor, ticket_id)
    clock.advance(timedelta(minutes=16))
    before = snapshot(container, me)
    stale = propose(
        supervisor, me, "remove_bank_card", ticket_id, "k2", card_id=card, headers=headers
    )
    assert stale.status_code == 403
    assert stale.json()["code"] == "identity_verification_required"
    assert snapshot(container, me) == before

    verify_by_document(supervisor, ticket_id)
    proposed = propose(supervisor, me, "remove_bank_card", ticket_id, "k3", card_id=card)
    assert proposed.status_code == 201, proposed.json()
    before = snapshot(container, me)
    own = supervisor.post(f"/api/v1/agent/actions/{proposed.json()['id']}/approve", headers=headers)
    assert own.status_code == 403
    assert own.json()["code"] == "four_eyes_required"
    assert own.json()["title"] == {"en": "Second approval required", "zh-CN": "需要他人审批"}[lang]
    assert snapshot(container, me) == before
    assert card_ids(me) == [card]


def test_another_customers_card_is_not_found(
    client: TestClient, me: Customer, agent: Customer, container: Container
) -> None:
    other = sign_up(client, phone="+8613700137000", device="other")
    theirs = add_card(other)
    ticket_id = open_ticket(me)
    verify_by_document(agent, ticket_id)
    mine_before, theirs_before = snapshot(container, me), snapshot(container, other)
    refused = propose(agent, me, "remove_bank_card", ticket_id, "k1", card_id=theirs)
    assert refused.status_code == 404, refused.json()
    malformed = propose(agent, me, "remove_bank_card", ticket_id, "k2", card_id="card-1")
    assert malformed.status_code == 422
    assert malformed.json()["code"] == "invalid_action_params"
    assert snapshot(container, me) == mine_before
    assert snapshot(container, other) == theirs_before

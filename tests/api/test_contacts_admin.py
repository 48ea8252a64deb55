"""Directory administration: four eyes, audit, and the checker serving approved changes."""

from __future__ import annotations

from typing import Any

import pytest
from api_world import STRONG, Customer, log_in, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from walletdesk.audit.tables import audit_log
from walletdesk.bootstrap import Container
from walletdesk.identity import accounts
from walletdesk.identity.model import RequestContext
from walletdesk.identity.roles import Role
from walletdesk.identity.staff import console_operator
from walletdesk.support.contacts.tables import contact_changes

FAKE = "400-888-1234"
NEW_FAKE: dict[str, Any] = {
    "kind": "phone",
    "value": FAKE,
    "region": "CN",
    "status": "known_fake",
    "source_tier": "official",
    "source": "walletdesk fraud team: reported by customers, 2026-11",
}


def admin(client: TestClient, container: Container, n: int) -> Customer:
    email = f"admin{n}@walletdesk.example"
    user = accounts.do_register(
        container.identity,
        phone=None,
        email=email,
        password=STRONG,
        display_name=f"Admin {n}",
        locale="en",
        ctx=RequestContext(),
        role=Role.ADMIN,
        actor=console_operator(container.clock.now()),
    )
    return Customer(client, {"id": str(user.id)}, log_in(client, email))


def snapshot(container: Container) -> tuple[int, int, list[Any]]:
    with container.engine.connect() as conn:
        changes = conn.execute(select(func.count()).select_from(contact_changes)).scalar_one()
        audits = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
        states = list(conn.execute(select(contact_changes.c.state).order_by(contact_changes.c.id)))
    return changes, audits, states


def verdict(client: TestClient, value: str) -> str:
    response = client.get("/api/v1/contacts/check", params={"value": value})
    assert response.status_code == 200, response.json()
    return str(response.json()["verdict"])


def propose(who: Customer, channel: dict[str, Any] | None = None, **extra: Any) -> Any:
    body = {
        "provider_id": "walletdesk",
        "channel": channel or NEW_FAKE,
        "reason": "reported",
        **extra,
    }
    return who.post("/api/v1/admin/contacts/changes", json=body)


def test_an_approved_fake_is_flagged_by_the_checker(
    client: TestClient, container: Container
) -> None:
    first, second = admin(client, container, 1), admin(client, container, 2)
    assert verdict(client, FAKE) != "known_fake"

    proposed = propose(first)
    assert proposed.status_code == 201, proposed.json()
    assert proposed.json()["state"] == "proposed"
    # Proposed is not served.
    assert verdict(client, FAKE) != "known_fake"

    approved = second.post(
        f"/api/v1/admin/contacts/changes/{proposed.json()['id']}/approve", json={}
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "approved"
    assert verdict(client, FAKE) == "known_fake"

    with container.engine.connect() as conn:
        actions = [
            r.action for r in conn.execute(select(audit_log.c.action).order_by(audit_log.c.seq))
        ]
    assert actions[-2:] == ["contact_change.proposed", "contact_change.approved"]


def test_nobody_approves_their_own_change_and_nothing_changes(
    client: TestClient, container: Container
) -> None:
    first = admin(client, container, 1)
    change = propose(first).json()
    before = snapshot(container)
    refused = first.post(
        f"/api/v1/admin/contacts/changes/{change['id']}/approve",
        json={},
        headers={"Accept-Language": "zh-CN"},
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "contact_change_own"
    assert "另一位管理员" in refused.json()["detail"]
    assert snapshot(container) == before
    assert verdict(client, FAKE) != "known_fake"


def test_a_reviewed_change_cannot_be_reviewed_again(
    client: TestClient, container: Container
) -> None:
    first, second = admin(client, container, 1), admin(client, container, 2)
    change = propose(first).json()
    rejected = second.post(
        f"/api/v1/admin/contacts/changes/{change['id']}/reject", json={"note": "no source"}
    )
    assert rejected.json()["state"] == "rejected"
    before = snapshot(container)
    again = second.post(f"/api/v1/admin/contacts/changes/{change['id']}/approve", json={})
    assert again.status_code == 409
    assert again.json()["code"] == "contact_change_reviewed"
    assert snapshot(container) == before
    assert verdict(client, FAKE) != "known_fake"


@pytest.mark.parametrize(
    ("channel", "reason"),
    [
        ({**NEW_FAKE, "region": None}, "reported"),  # a phone needs its numbering plan
        ({**NEW_FAKE, "status": "maybe"}, "reported"),  # no such status
        (NEW_FAKE, "   "),  # no reason given
        # The house calls only from listed numbers; making its only calling number a fake
        # would leave none, so the directory refuses it.
        ({**NEW_FAKE, "value": "400-888-9999"}, "reported"),
    ],
)
def test_invalid_proposals_are_refused_with_nothing_written(
    client: TestClient, container: Container, channel: dict[str, Any], reason: str
) -> None:
    first = admin(client, container, 1)
    before = snapshot(container)
    response = propose(first, channel, reason=reason)
    assert response.status_code == 422, response.json()
    assert response.json()["code"] in {"contact_change_invalid", "validation_error"}
    assert snapshot(container) == before


def test_customers_and_agents_cannot_touch_the_directory(
    client: TestClient, container: Container
) -> None:
    customer = sign_up(client)
    before = snapshot(container)
    assert propose(customer).status_code == 403
    assert customer.get("/api/v1/admin/contacts/changes").status_code == 403
    assert snapshot(container) == before

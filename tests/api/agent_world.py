"""Agent-console test helpers: staff accounts, tickets, identity checks, proposals, snapshots."""

from __future__ import annotations

import uuid
from typing import Any

from api_world import STRONG, Customer, latest_sms_code, log_in
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from wallet_world import open_shop, top_up

from walletdesk.audit import tables as audit_tables
from walletdesk.bootstrap import Container
from walletdesk.identity import accounts
from walletdesk.identity.model import RequestContext
from walletdesk.identity.roles import Role
from walletdesk.identity.staff import console_operator
from walletdesk.notify import tables as notify_tables
from walletdesk.support import actions_tables as action_tables  # registers the tables
from walletdesk.wallet import tables as wallet_tables

# A shop that refunds at once, without review: a refund's own rules are not under test.
AUTOMATIC_REFUNDS = {"window_days": 30, "approval": "automatic", "evidence_required_for": []}

PHONE = "+8613800138000"


def staff(client: TestClient, container: Container, n: int, role: Role = Role.AGENT) -> Customer:
    email = f"staff{n}@walletdesk.example"
    user = accounts.do_register(
        container.identity,
        phone=None,
        email=email,
        password=STRONG,
        display_name=f"Staff {n}",
        locale="en",
        ctx=RequestContext(),
        role=role,
        actor=console_operator(container.clock.now()),
    )
    return Customer(client, {"id": str(user.id)}, log_in(client, email))


def open_ticket(me: Customer) -> str:
    response = me.post(
        "/api/v1/tickets", json={"subject": "Help", "body": "I need help with my account"}
    )
    assert response.status_code == 201, response.json()
    return str(response.json()["id"])


def start_check(agent: Customer, ticket_id: str, method: str, lang: str = "en") -> Any:
    """The agent starts an identity check on the ticket (sms or totp wait for the customer)."""
    return agent.post(
        f"/api/v1/agent/tickets/{ticket_id}/verifications",
        json={"method": method},
        headers={"Accept-Language": lang},
    )


def confirm_on_ticket(customer: Customer, ticket_id: str, code: str, lang: str = "en") -> Any:
    """The customer, signed in, enters the code on their own ticket."""
    return customer.post(
        f"/api/v1/tickets/{ticket_id}/verification",
        json={"code": code},
        headers={"Accept-Language": lang},
    )


def verify_by_sms(
    agent: Customer, customer: Customer, container: Container, ticket_id: str, phone: str = PHONE
) -> None:
    """The agent sends a code for the ticket; the customer confirms it on their ticket."""
    sent = start_check(agent, ticket_id, "sms")
    assert sent.status_code == 201, sent.json()
    assert sent.json()["verified_at"] is None
    assert sent.json()["status"] == "waiting_for_customer"
    code = latest_sms_code(container, phone)
    confirmed = confirm_on_ticket(customer, ticket_id, code)
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "verified"


def verify_by_document(agent: Customer, ticket_id: str) -> None:
    done = agent.post(
        f"/api/v1/agent/tickets/{ticket_id}/verifications",
        json={"method": "document", "note": "ID card checked on video call"},
    )
    assert done.status_code == 201, done.json()
    assert done.json()["fresh"] is True


def propose(
    agent: Customer,
    customer: Customer,
    action: str,
    ticket_id: str | None,
    key: str,
    *,
    reason: str = "customer asked on the phone",
    headers: dict[str, str] | None = None,
    **params: Any,
) -> Any:
    return agent.post(
        f"/api/v1/agent/customers/{customer.user['id']}/actions/{action}",
        json={
            "ticket_id": ticket_id,
            "params": params,
            "reason": reason,
            "idempotency_key": key,
        },
        headers=headers or {},
    )


def propose_refund(
    agent: Customer,
    customer: Customer,
    ticket_id: str | None,
    key: str,
    *,
    refund_reason: str = "not_received",
    headers: dict[str, str] | None = None,
    **params: Any,
) -> Any:
    """Propose a ``refund``: its params carry the refund's own ``reason`` (one of the
    wallet's refund reasons), which :func:`propose`'s ``reason`` (the agent's) would hide."""
    return agent.post(
        f"/api/v1/agent/customers/{customer.user['id']}/actions/refund",
        json={
            "ticket_id": ticket_id,
            "params": {**params, "reason": refund_reason},
            "reason": "customer asked on the phone",
            "idempotency_key": key,
        },
        headers=headers or {},
    )


def action_count(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(action_tables.agent_actions)).scalar_one()
        )


def snapshot(container: Container, customer: Customer) -> dict[str, Any]:
    """Everything an agent action could change for ``customer``, to compare after a refusal:
    limits, limit requests and overrides, cards, alerts, balances, audit rows, actions."""
    user_id = uuid.UUID(customer.user["id"])
    with container.engine.connect() as conn:

        def rows(table: Any, *columns: str, where: Any) -> list[tuple[Any, ...]]:
            picked = [table.c[name] for name in columns]
            return [tuple(r) for r in conn.execute(select(*picked).where(where).order_by(*picked))]

        requests = wallet_tables.limit_requests
        overrides = wallet_tables.limit_overrides
        audit = audit_tables.audit_log
        taken: dict[str, Any] = {
            "requests": rows(
                requests, "id", "status", "decided_by", where=requests.c.user_id == user_id
            ),
            "overrides": rows(overrides, "id", "amount", where=overrides.c.user_id == user_id),
            "alerts": rows(
                notify_tables.outbox, "id", "kind", where=notify_tables.outbox.c.user_id == user_id
            ),
            "audit_rows": conn.execute(select(func.count()).select_from(audit)).scalar_one(),
            "actions": rows(
                action_tables.agent_actions,
                "id",
                "status",
                where=action_tables.agent_actions.c.customer_id == user_id,
            ),
        }
    taken["limits"] = customer.get("/api/v1/limits").json()
    taken["cards"] = customer.get("/api/v1/me/cards").json()
    taken["wallets"] = customer.get("/api/v1/wallets").json()
    taken["me"] = customer.get("/api/v1/me").json()
    return taken


def paid_order(
    client: TestClient, container: Container, me: Customer, amount: str = "38.00"
) -> str:
    """A succeeded payment of ``amount`` CNY by ``me`` at a shop refunding at once; its id."""
    shop = open_shop(client, container, policy=AUTOMATIC_REFUNDS)
    assert top_up(me, "100.00").status_code in (200, 201)
    intent = shop.intent(amount, f"order-{uuid.uuid4().hex[:6]}").json()
    paid = me.post(f"/api/v1/payment-intents/{intent['id']}/pay")
    assert paid.status_code == 200, paid.json()
    return str(intent["id"])

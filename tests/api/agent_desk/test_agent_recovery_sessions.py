"""An agent's "I lost my phone" recoveries sign the customer out everywhere.

When an approved agent action gives the customer a new phone or email, or turns 2FA
off, the lost or stolen device is usually still signed in: every session of the
customer ends (and every unspent step-up token with them), the security event and the
audit count them, and the alert tells the customer to sign in again. A refused action
ends nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from agent_world import PHONE, open_ticket, propose, verify_by_document, verify_by_sms
from api_world import Customer, enable_totp, log_in, sign_up, totp_now
from fastapi.testclient import TestClient
from sqlalchemy import select

from walletdesk.audit import tables as audit_tables
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as t
from walletdesk.notify import tables as notify_tables

BACKENDS = ["sqlite", "postgres"]
NEW_PHONE = "+8613900139000"


def approve(agent: Customer, supervisor: Customer, me: Customer, action: str, **params: str) -> Any:
    ticket = open_ticket(me)
    verify_by_document(agent, ticket)
    proposed = propose(agent, me, action, ticket, f"k-{action}", **params)
    assert proposed.status_code == 201, proposed.json()
    return supervisor.post(f"/api/v1/agent/actions/{proposed.json()['id']}/approve")


def sessions(container: Container, me: Customer) -> list[tuple[Any, ...]]:
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(t.sessions.c.id, t.sessions.c.revoked_reason)
            .where(t.sessions.c.user_id == uuid.UUID(me.user["id"]))
            .order_by(t.sessions.c.id)
        ).all()
    return [tuple(r) for r in rows]


def unspent_step_ups(container: Container, me: Customer) -> int:
    with container.engine.connect() as conn:
        return len(
            conn.execute(
                select(t.verifications.c.id).where(
                    t.verifications.c.user_id == uuid.UUID(me.user["id"]),
                    t.verifications.c.used_at.is_(None),
                )
            ).all()
        )


def event(container: Container, kind: str) -> dict[str, Any]:
    with container.engine.connect() as conn:
        return dict(
            conn.execute(
                select(t.security_events.c.detail).where(t.security_events.c.kind == kind)
            ).scalar_one()
        )


def audit_after(container: Container, action: str) -> dict[str, Any]:
    with container.engine.connect() as conn:
        return dict(
            conn.execute(
                select(audit_tables.audit_log.c.after).where(
                    audit_tables.audit_log.c.action == action
                )
            ).scalar_one()
        )


def texts_to(container: Container, phone: str) -> list[str]:
    container.dispatcher.run_once()
    return [m.body for m in container.sms.messages_to(phone)]


def test_an_agents_new_phone_signs_the_customer_out_everywhere(
    client: TestClient, me: Customer, agent: Customer, supervisor: Customer, container: Container
) -> None:
    # Given the customer signed in on the phone they lost, and on a laptop with a step-up
    laptop = Customer(client, me.user, log_in(client, PHONE))
    laptop.step_up()
    # When an agent's change of phone is approved
    approved = approve(agent, supervisor, me, "change_phone", phone=NEW_PHONE)
    assert approved.json()["status"] == "executed", approved.json()
    # Then no session survives and no step-up either
    for device in (me, laptop):
        assert device.get("/api/v1/me").status_code == 401
    assert [reason for _, reason in sessions(container, me)] == ["phone_changed"] * 2
    assert unspent_step_ups(container, me) == 0
    counts = {"sessions_ended": 2, "step_ups_voided": 1}
    assert {k: event(container, "phone_changed")[k] for k in counts} == counts
    assert audit_after(container, "phone.changed") == {"phone": NEW_PHONE, **counts}
    # and both numbers are told every device was signed out
    for number in (PHONE, NEW_PHONE):
        assert any("Every device was signed out" in body for body in texts_to(container, number))
    # The customer signs in again with the password, and everything works
    back = Customer(client, me.user, log_in(client, NEW_PHONE))
    assert back.get("/api/v1/me").json()["phone"] == NEW_PHONE


def test_an_agents_new_email_signs_the_customer_out_and_says_so_in_chinese(
    client: TestClient, agent: Customer, supervisor: Customer, container: Container
) -> None:
    me = sign_up(client, phone=PHONE, email="old@example.com", locale="zh-CN")
    approved = approve(agent, supervisor, me, "change_email", email="new@example.com")
    assert approved.json()["status"] == "executed", approved.json()
    assert me.get("/api/v1/me").status_code == 401
    assert [reason for _, reason in sessions(container, me)] == ["email_changed"]
    assert event(container, "email_changed")["sessions_ended"] == 1
    assert any("所有设备均已退出登录" in body for body in texts_to(container, PHONE))


def test_an_agents_2fa_reset_signs_the_customer_out_everywhere(
    client: TestClient,
    me: Customer,
    agent: Customer,
    supervisor: Customer,
    container: Container,
    clock: FakeClock,
) -> None:
    # Given 2FA on, and a second session (the lost phone with the authenticator on it)
    enable_totp(me, clock)
    assert me.totp_secret is not None
    lost = Customer(
        client, me.user, log_in(client, PHONE, totp_code=totp_now(me.totp_secret, clock, 1))
    )
    # When the agent's reset is approved (the customer confirms by SMS on the ticket)
    ticket = open_ticket(me)
    verify_by_sms(agent, me, container, ticket)
    proposed = propose(agent, me, "reset_2fa", ticket, "k1")
    approved = supervisor.post(f"/api/v1/agent/actions/{proposed.json()['id']}/approve")
    assert approved.json()["status"] == "executed", approved.json()
    # Then both sessions are over, and the numbers are on the event, the audit and the action
    for device in (me, lost):
        assert device.get("/api/v1/me").status_code == 401
    assert [reason for _, reason in sessions(container, me)] == ["totp_reset"] * 2
    counts = {"sessions_ended": 2, "step_ups_voided": 0}
    assert event(container, "totp_reset_by_agent") == {"action_id": proposed.json()["id"], **counts}
    assert audit_after(container, "totp.reset") == {
        "totp_enabled": False,
        "recovery_codes": "[redacted]",  # the audit hides anything named like a secret
        **counts,
    }
    assert approved.json()["after"]["sessions_ended"] == 2
    assert any(
        "customer service turned two-step verification off" in body
        and "every device was signed out" in body
        for body in texts_to(container, PHONE)
    )
    # and the password alone signs them in again
    again = Customer(client, me.user, log_in(client, PHONE))
    assert again.get("/api/v1/me").json()["totp_enabled"] is False


def test_a_refused_agent_change_signs_nobody_out(
    client: TestClient, me: Customer, agent: Customer, supervisor: Customer, container: Container
) -> None:
    # Given an approved-to-be change of phone, and the customer signed in twice
    laptop = Customer(client, me.user, log_in(client, PHONE))
    laptop.step_up()
    ticket = open_ticket(me)
    verify_by_document(agent, ticket)
    proposed = propose(agent, me, "change_phone", ticket, "k1", phone=NEW_PHONE)
    assert proposed.status_code == 201, proposed.json()
    # and, before it is approved, someone else registers the new number
    sign_up(client, phone=NEW_PHONE)
    before = sessions(container, me)
    with container.engine.connect() as conn:
        alerts = conn.execute(select(notify_tables.outbox.c.id)).all()
    # When it is approved, it fails
    failed = supervisor.post(f"/api/v1/agent/actions/{proposed.json()['id']}/approve")
    assert failed.json()["status"] == "failed", failed.json()
    # Then every session and step-up is as it was, and nobody was alerted
    assert sessions(container, me) == before
    assert all(reason is None for _, reason in before)
    assert unspent_step_ups(container, me) == 1
    for device in (me, laptop):
        assert device.get("/api/v1/me").json()["phone"] == PHONE
    with container.engine.connect() as conn:
        assert conn.execute(select(notify_tables.outbox.c.id)).all() == alerts


def test_a_2fa_reset_refused_for_an_account_without_2fa_signs_nobody_out(
    client: TestClient, me: Customer, agent: Customer, supervisor: Customer, container: Container
) -> None:
    laptop = Customer(client, me.user, log_in(client, PHONE))
    before = sessions(container, me)
    ticket = open_ticket(me)
    verify_by_document(agent, ticket)
    proposed = propose(agent, me, "reset_2fa", ticket, "k1")
    assert proposed.status_code == 201, proposed.json()
    failed = supervisor.post(f"/api/v1/agent/actions/{proposed.json()['id']}/approve")
    assert failed.json()["status"] == "failed", failed.json()
    assert sessions(container, me) == before
    for device in (me, laptop):
        assert device.get("/api/v1/me").status_code == 200

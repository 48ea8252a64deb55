"""The customer hears about their ticket: a reply, and "solved" with a signed CSAT link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from api_world import Customer, sign_up
from fastapi.testclient import TestClient
from test_tickets import open_ticket, staff

from walletdesk.api.app import create_app
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.support.helpcenter.service import load_articles

MONDAY_9 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def client(container: Container, clock: FakeClock) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    load_articles(container.engine, container.clock)  # tickets suggest articles
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def me(client: TestClient) -> Customer:
    return sign_up(client, locale="zh-CN", phone="+8613800138000", email="li@example.com")


def alerts(container: Container, me: Customer) -> list[dict]:
    container.dispatcher.run_once()  # the inbox is a channel the dispatcher delivers to
    return list(me.get("/api/v1/me/alerts").json()["items"])


def test_a_public_reply_alerts_the_customer_and_a_note_does_not(
    client: TestClient, container: Container, me: Customer
) -> None:
    ticket = open_ticket(me, "退款", "怎么申请退款")
    agent = staff(client, container)
    agent.post(f"/api/v1/agent/tickets/{ticket['id']}/notes", json={"body": "internal"})
    assert "ticket_reply" not in [a["kind"] for a in alerts(container, me)]
    agent.post(f"/api/v1/agent/tickets/{ticket['id']}/replies", json={"body": "您好"})
    [reply] = [a for a in alerts(container, me) if a["kind"] == "ticket_reply"]
    assert ticket["number"] in reply["title"]
    assert "客服已回复" in reply["title"]  # in the customer's language


def test_solving_emails_a_signed_rating_link_that_works_once_without_login(
    client: TestClient, container: Container, me: Customer
) -> None:
    ticket = open_ticket(me, "退款", "怎么申请退款")
    agent = staff(client, container)
    agent.post(f"/api/v1/agent/tickets/{ticket['id']}/status", json={"status": "solved"})
    container.dispatcher.run_once()
    [email] = [
        m for m in container.email.messages_to("li@example.com") if "打分" in (m.subject or "")
    ]
    match = re.search(r"/csat/([A-Za-z0-9_-]+)", email.body)
    assert match, email.body
    assert email.body.startswith("您的问题")
    token = match.group(1)
    # No link ever goes out by SMS: our own advice says not to trust links in texts.
    assert all("/csat/" not in m.body for m in container.sms.messages_to("+8613800138000"))

    anonymous = TestClient(create_app(container))
    page = anonymous.get(f"/api/v1/csat/{token}")
    assert page.status_code == 200, page.json()
    assert page.json()["subject"] == "退款"
    rated = anonymous.post(f"/api/v1/csat/{token}", json={"score": 5, "comment": "很快"})
    assert rated.status_code in {200, 201}, rated.json()
    again = anonymous.post(f"/api/v1/csat/{token}", json={"score": 1})
    assert again.status_code == 409
    assert me.get(f"/api/v1/tickets/{ticket['id']}").json()["csat"]["score"] == 5

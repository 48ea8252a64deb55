"""Free text in tickets (api/text.py): control characters such as NUL are dropped before
anything is stored. PostgreSQL refuses NUL in text, so a pasted one was a 500; a field
of nothing but control characters is an empty field, refused, and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from agent_world import staff
from api_world import Customer, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from wallet_world import top_up

from walletdesk.api.app import create_app
from walletdesk.audit import tables as audit_tables
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.support.tickets import tables as ticket_tables

BACKENDS = ["sqlite", "postgres"]
MONDAY_9 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def client(container: Container, clock: FakeClock) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def me(client: TestClient) -> Customer:
    return sign_up(client, locale="zh-CN", phone="+8613800138000")


def desk(container: Container) -> dict[str, Any]:
    """Every ticket row, message and rating, and the audit log's length."""
    with container.engine.connect() as conn:
        rows: dict[str, Any] = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (
                ticket_tables.tickets,
                ticket_tables.ticket_messages,
                ticket_tables.ticket_csat,
            )
        }
        rows["audit_log"] = conn.execute(
            select(func.count()).select_from(audit_tables.audit_log)
        ).scalar_one()
    return rows


def test_nul_characters_in_a_ticket_are_dropped_not_a_crash(
    client: TestClient, container: Container, me: Customer
) -> None:
    created = me.post(
        "/api/v1/tickets",
        json={"subject": "退款\u0000问题", "body": "my refund\u0000 has not\u0008 arrived\nthanks"},
    )
    assert created.status_code == 201, created.json()
    ticket = created.json()
    assert ticket["subject"] == "退款问题"
    # Line breaks are writing, not control noise: kept.
    assert ticket["messages"][0]["body"] == "my refund has not arrived\nthanks"

    replied = me.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "订单\u0000 123"})
    assert replied.status_code == 201, replied.json()
    agent = staff(client, container, 1)
    for path in ("replies", "notes"):
        answered = agent.post(
            f"/api/v1/agent/tickets/{ticket['id']}/{path}", json={"body": "checking\u0000 now"}
        )
        assert answered.status_code == 201, answered.json()
    solved = agent.post(f"/api/v1/agent/tickets/{ticket['id']}/status", json={"status": "solved"})
    assert solved.status_code == 200, solved.json()
    rated = me.post(
        f"/api/v1/tickets/{ticket['id']}/csat", json={"score": 5, "comment": "快\u0000"}
    )
    assert rated.status_code == 201, rated.json()

    seen = me.get(f"/api/v1/tickets/{ticket['id']}").json()
    bodies = [m["body"] for m in seen["messages"]]
    assert "订单 123" in bodies
    assert "checking now" in bodies
    assert seen["csat"]["comment"] == "快"
    assert not any("\u0000" in body for body in bodies)


def test_a_ticket_field_of_nothing_but_control_characters_is_refused_and_nothing_stored(
    client: TestClient, container: Container, me: Customer
) -> None:
    ticket = me.post("/api/v1/tickets", json={"subject": "Help", "body": "hello"}).json()
    before = desk(container)
    for lang, title in (("en", "Invalid request"), ("zh-CN", "请求无效")):
        headers = {"Accept-Language": lang}
        for path, body, field in (
            ("/api/v1/tickets", {"subject": "\u0000", "body": "hello"}, "subject"),
            ("/api/v1/tickets", {"subject": "Help", "body": "\u0000\u001b"}, "body"),
            (f"/api/v1/tickets/{ticket['id']}/replies", {"body": "\u0000"}, "body"),
        ):
            refused = me.post(path, json=body, headers=headers)
            assert refused.status_code == 422, refused.json()
            assert refused.json()["code"] == "validation_error"
            assert refused.json()["title"] == title
            assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert desk(container) == before


def test_nul_characters_in_a_transfer_note_are_dropped_not_a_crash(
    client: TestClient, me: Customer
) -> None:
    friend = sign_up(client, phone="+8613900139000", device="friend")
    assert top_up(me, "50.00").status_code in (200, 201)

    sent = me.post(
        "/api/v1/transfers",
        json={"to": friend.user["id"], "amount": "5.00", "currency": "CNY", "note": "午\x00饭"},
    )

    assert sent.status_code == 201, sent.json()
    assert sent.json()["note"] == "午饭"

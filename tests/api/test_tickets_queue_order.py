"""The agent queue is ordered by the database, soonest SLA due first, before it is cut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from api_world import Customer, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import Engine, literal, null, select
from test_tickets import MONDAY_9, SCAM, open_ticket, staff

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.db.types import UTCDateTime, earliest

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(autouse=True)
def monday_morning(clock: FakeClock) -> None:
    clock.set(MONDAY_9)


@pytest.fixture
def me(client: TestClient) -> Customer:
    return sign_up(client, phone="+8613800138000", locale="zh-CN")


def test_a_new_urgent_ticket_heads_a_queue_longer_than_its_limit(
    client: TestClient, container: Container, me: Customer
) -> None:
    older = [open_ticket(me, f"Question {n}", "Do you have a dark mode?") for n in range(4)]
    urgent = open_ticket(me, "客服来电", SCAM)
    agent = staff(client, container)

    page = agent.get("/api/v1/agent/tickets", params={"limit": 3}).json()["items"]

    # Cut before sorting, the queue held the three oldest questions and no scam call.
    assert [item["id"] for item in page] == [urgent["id"], older[0]["id"], older[1]["id"]]


def test_the_queue_is_in_next_due_order_with_paused_tickets_last(
    client: TestClient, container: Container, me: Customer
) -> None:
    agent = staff(client, container)
    waiting = open_ticket(me, "Question", "Do you have a dark mode?")
    answered = open_ticket(me, "退款", "我的退款还没到账，订单号 20260301")
    paused = open_ticket(me, "付款失败", "付款失败了，请帮忙看看")
    urgent = open_ticket(me, "客服来电", SCAM)
    # An agent's reply ends the first-reply target: the resolution target still runs.
    agent.post(f"/api/v1/agent/tickets/{answered['id']}/replies", json={"body": "我们在查"})
    agent.post(f"/api/v1/agent/tickets/{paused['id']}/replies", json={"body": "请提供订单号"})
    moved = agent.post(f"/api/v1/agent/tickets/{paused['id']}/status", json={"status": "pending"})
    assert moved.status_code == 200, moved.text

    found = agent.get("/api/v1/agent/tickets").json()["items"]

    assert {item["id"] for item in found} == {
        waiting["id"],
        answered["id"],
        paused["id"],
        urgent["id"],
    }
    assert found[-1]["id"] == paused["id"]
    assert found[-1]["next_due"] is None
    running = [datetime.fromisoformat(item["next_due"]) for item in found[:-1]]
    assert running == sorted(running)
    assert found[0]["id"] == urgent["id"]


def test_pages_of_the_queue_hold_every_ticket_once_in_queue_order(
    client: TestClient, container: Container, me: Customer
) -> None:
    agent = staff(client, container)
    opened = [open_ticket(me, f"Question {n}", "Do you have a dark mode?") for n in range(5)]
    opened.append(open_ticket(me, "客服来电", SCAM))
    paused = opened[2]
    agent.post(f"/api/v1/agent/tickets/{paused['id']}/replies", json={"body": "请提供订单号"})
    agent.post(f"/api/v1/agent/tickets/{paused['id']}/status", json={"status": "pending"})
    whole = agent.get("/api/v1/agent/tickets").json()
    assert whole["next_cursor"] is None

    pages, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = agent.get("/api/v1/agent/tickets", params=params).json()
        pages.append([item["id"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert [len(ids) for ids in pages] == [2, 2, 2]
    assert [i for ids in pages for i in ids] == [item["id"] for item in whole["items"]]
    assert whole["items"][0]["id"] == opened[-1]["id"]
    assert whole["items"][-1]["id"] == paused["id"]


@pytest.mark.parametrize("cursor", ["nonsense", "MXx4fDk", "Mnwyb2RheXw1"])
def test_a_cursor_the_queue_never_gave_out_is_refused(
    client: TestClient, container: Container, cursor: str
) -> None:
    agent = staff(client, container)
    refused = agent.get("/api/v1/agent/tickets", params={"cursor": cursor})
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_cursor"
    too_many = agent.get("/api/v1/agent/tickets", params={"limit": 201})
    assert too_many.status_code == 422


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((None, None, None), None),
        ((3, None, None), 3),
        ((None, 2, None), 2),
        ((None, None, 1), 1),
        ((3, 1, 2), 1),
        ((2, None, 5), 2),
        ((None, 4, 4), 4),
    ],
)
def test_earliest_skips_nulls_on_every_database(
    container: Container, values: tuple[int | None, ...], expected: int | None
) -> None:
    engine: Engine = container.engine

    def at(hours: int | None) -> datetime | None:
        return None if hours is None else MONDAY_9 + timedelta(hours=hours)

    arguments = [null() if hours is None else literal(at(hours), UTCDateTime()) for hours in values]
    with engine.connect() as conn:
        found = conn.execute(select(earliest(*arguments))).scalar_one()
    assert found == at(expected)
    assert found is None or found.tzinfo is UTC

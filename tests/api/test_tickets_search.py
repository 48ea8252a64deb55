"""Agents' ticket search over subjects, numbers and messages, in Chinese and English."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_world import Customer, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import text
from test_tickets import MONDAY_9, ZH, open_ticket, staff

from walletdesk.api.app import create_app
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.support.tickets.search import INDEX_OBJECTS

BACKENDS = ["sqlite", "postgres"]
URL = "/api/v1/agent/tickets/search"


@pytest.fixture
def client(container: Container, clock: FakeClock) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def agent(client: TestClient, container: Container) -> Customer:
    return staff(client, container)


@pytest.fixture
def desk(client: TestClient, agent: Customer) -> dict[str, dict[str, Any]]:
    """Three customers' tickets in both languages, one with an internal note."""
    zh = sign_up(client, phone="+8613800138000", locale="zh-CN")
    en = sign_up(client, phone="+8613900139000", locale="en")
    tickets = {
        "refund": open_ticket(zh, "退款没到账", "我申请的退款三天了还没到账"),
        "failed": open_ticket(zh, "付款失败", "在茶馆付款失败，提示余额不足"),
        "declined": open_ticket(en, "Card declined", "My card was declined at checkout"),
    }
    note = agent.post(
        f"/api/v1/agent/tickets/{tickets['failed']['id']}/notes",
        json={"body": "已联系商家核实订单"},
    )
    assert note.status_code == 201
    return tickets


def found(agent: Customer, query: str, **params: Any) -> list[dict[str, Any]]:
    response = agent.get(URL, params={"q": query, **params})
    assert response.status_code == 200, response.json()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_agents_find_tickets_by_chinese_and_english_words(
    agent: Customer, desk: dict[str, dict[str, Any]]
) -> None:
    refund = found(agent, "退款")
    assert refund[0]["id"] == desk["refund"]["id"]
    assert "<mark>退款</mark>" in refund[0]["snippet"]
    assert refund[0]["matched_message"]["kind"] == "public"
    assert refund[0]["customer_id"]

    assert found(agent, "declined")[0]["id"] == desk["declined"]["id"]
    # Normalised as the help search: full-width letters, any case, English endings.
    assert found(agent, "ＤＥＣＬＩＮＥ")[0]["id"] == desk["declined"]["id"]
    # ...and expanded with its synonyms: "refund" finds the Chinese ticket.
    assert found(agent, "refund")[0]["id"] == desk["refund"]["id"]
    assert found(agent, "余额不足")[0]["id"] == desk["failed"]["id"]


def test_an_agent_finds_a_ticket_by_its_number_and_by_an_internal_note(
    agent: Customer, desk: dict[str, dict[str, Any]]
) -> None:
    by_number = found(agent, desk["failed"]["number"])
    assert by_number[0]["id"] == desk["failed"]["id"]
    assert by_number[0]["matched_message"] is None  # the number is the ticket's own

    by_note = found(agent, "商家核实")
    assert [item["id"] for item in by_note] == [desk["failed"]["id"]]
    assert by_note[0]["matched_message"]["kind"] == "internal"
    assert "<mark>商家核实</mark>" in by_note[0]["snippet"]


def test_a_subject_match_ranks_above_a_passing_mention_in_a_message(
    client: TestClient, agent: Customer
) -> None:
    zh = sign_up(client, phone="+8613800138000", locale="zh-CN")
    mention = open_ticket(
        zh,
        "账户问题",
        "我想问一下账户的安全设置、登录设备、绑定的银行卡，还有提现的规则和到账时间，以及手续费怎么算。",
    )
    subject = open_ticket(zh, "提现失败", "今天下午操作的")
    ranked = found(agent, "提现")
    assert [item["id"] for item in ranked] == [subject["id"], mention["id"]]
    assert ranked[0]["score"] > ranked[1]["score"] > 0


def test_messages_moved_by_a_merge_are_found_under_the_ticket_they_moved_to(
    client: TestClient, agent: Customer
) -> None:
    zh = sign_up(client, phone="+8613800138000", locale="zh-CN")
    target = open_ticket(zh, "退款", "退款没到账")
    source = open_ticket(zh, "订单", "订单号 A-7788")
    agent.post(f"/api/v1/agent/tickets/{source['id']}/merge", json={"into_ticket_id": target["id"]})
    hit = found(agent, "A-7788")[0]
    assert (hit["id"], hit["matched_message"]["kind"]) == (target["id"], "public")


def test_search_builds_its_index_for_tickets_stored_before_it_existed(
    container: Container, agent: Customer, desk: dict[str, dict[str, Any]]
) -> None:
    with container.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for name in ("ticket_subjects_search", "ticket_messages_search"):
                conn.execute(text(f"DROP TABLE {name}"))
        else:
            for table in ("tickets", "ticket_messages"):
                conn.execute(text(f"ALTER TABLE {table} DROP COLUMN search_vector"))
    assert "ticket_messages_search" in INDEX_OBJECTS
    assert found(agent, "退款")[0]["id"] == desk["refund"]["id"]
    assert found(agent, "商家核实")[0]["id"] == desk["failed"]["id"]
    assert found(agent, desk["declined"]["number"])[0]["id"] == desk["declined"]["id"]


def test_search_is_for_agents_only_and_needs_something_to_look_for(
    client: TestClient, agent: Customer, desk: dict[str, dict[str, Any]]
) -> None:
    customer = sign_up(client, phone="+8613700137000", locale="en")
    refused = customer.get(URL, params={"q": "退款"}, headers=ZH)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert refused.json()["detail"] == "您的角色无权执行此操作。"
    assert client.get(URL, params={"q": "退款"}).status_code == 401
    missing = agent.get(URL, headers={"Accept-Language": "en"})
    assert (missing.status_code, missing.json()["code"]) == (422, "validation_error")
    assert found(agent, "？？！") == []
    assert found(agent, "nothing like this anywhere") == []
    assert len(found(agent, "退款 付款 declined", limit=2)) == 2
    assert agent.get(URL, params={"q": "退款", "limit": 51}).status_code == 422

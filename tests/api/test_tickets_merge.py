"""Merging a customer's duplicate ticket into another of theirs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from api_world import Customer, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_tickets import MONDAY_9, assert_refused, desk_snapshot, open_ticket, staff

from walletdesk.api.app import create_app
from walletdesk.audit import tables as audit_tables
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.support.tickets.rules import SlaTarget
from walletdesk.support.tickets.service import TicketDeps, detect_breaches

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def client(container: Container, clock: FakeClock) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def me(client: TestClient) -> Customer:
    return sign_up(client, phone="+8613800138000", locale="zh-CN")


@pytest.fixture
def agent(client: TestClient, container: Container) -> Customer:
    return staff(client, container)


def merge(agent: Customer, source: dict[str, Any], target: dict[str, Any], **kw: Any) -> Any:
    return agent.post(
        f"/api/v1/agent/tickets/{source['id']}/merge",
        json={"into_ticket_id": target["id"]},
        **kw,
    )


def audited(container: Container) -> list[tuple[str, str, Any]]:
    log = audit_tables.audit_log
    with container.engine.connect() as conn:
        rows = conn.execute(select(log.c.action, log.c.subject_id, log.c.after)).all()
    return [(row.action, row.subject_id, row.after) for row in rows]


def test_merging_moves_the_messages_and_closes_the_source_as_merged(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    target = open_ticket(me, "退款没到账", "我的退款还没到账")
    clock.advance(timedelta(minutes=5))
    source = open_ticket(me, "退款", "订单号 A-1001，退款三天了")
    agent.post(f"/api/v1/agent/tickets/{source['id']}/notes", json={"body": "查过订单"})

    merged = merge(agent, source, target)
    assert merged.status_code == 200, merged.json()
    result = merged.json()
    assert result["source"]["status"] == "merged"
    assert result["source"]["merged_into"] == target["id"]
    view = result["target"]
    assert view["id"] == target["id"]
    assert [(m["body"], m["merged_from"]) for m in view["messages"]] == [
        ("我的退款还没到账", None),
        ("订单号 A-1001，退款三天了", source["id"]),
        ("查过订单", source["id"]),
        (f"{source['number']} 已合并到本工单，2 条消息已移至此处。", None),
    ]
    assert view["messages"][-1]["kind"] == "internal"

    source_view = agent.get(f"/api/v1/agent/tickets/{source['id']}").json()
    assert [m["body"] for m in source_view["messages"]] == [
        f"已合并到 {target['number']}，2 条消息已移至该工单。"
    ]
    # Its clocks stop: a merged ticket owes nothing and leaves the queue.
    assert source_view["sla_clocks"]["first_reply"]["running"] is False
    assert source_view["sla_clocks"]["resolution"]["running"] is False
    queue = agent.get("/api/v1/agent/tickets").json()["items"]
    assert [t["id"] for t in queue] == [target["id"]]

    # The customer sees where the conversation went, and never the internal notes.
    mine = me.get(f"/api/v1/tickets/{source['id']}").json()
    assert (mine["status"], mine["merged_into"], mine["messages"]) == ("merged", target["id"], [])
    theirs = me.get(f"/api/v1/tickets/{target['id']}").json()
    assert [m["body"] for m in theirs["messages"]] == [
        "我的退款还没到账",
        "订单号 A-1001，退款三天了",
    ]

    actions = audited(container)
    merged_after = {"status": "merged", "merged_into": target["id"]}
    assert ("ticket.merged", source["id"], merged_after) in actions
    received = [after for a, s, after in actions if a == "ticket.merge_received"]
    assert [r["merged_from"] for r in received] == [source["id"]]
    assert len(received[0]["moved_messages"]) == 2


def test_a_reply_to_the_merged_ticket_lands_in_the_ticket_it_was_merged_into(
    client: TestClient, me: Customer, agent: Customer
) -> None:
    target = open_ticket(me, "退款没到账", "我的退款还没到账")
    source = open_ticket(me, "退款", "退款三天了")
    merge(agent, source, target)
    reply = me.post(f"/api/v1/tickets/{source['id']}/replies", json={"body": "还在等"})
    assert reply.status_code == 201, reply.json()
    assert reply.json()["id"] == target["id"]
    assert reply.json()["messages"][-1]["body"] == "还在等"


def test_merging_into_a_solved_ticket_opens_it_again(
    client: TestClient, me: Customer, agent: Customer
) -> None:
    target = open_ticket(me, "退款没到账", "我的退款还没到账")
    source = open_ticket(me, "退款", "退款三天了")
    agent.post(f"/api/v1/agent/tickets/{target['id']}/status", json={"status": "solved"})
    view = merge(agent, source, target).json()["target"]
    assert view["status"] == "open"
    assert view["solved_at"] is None


def set_status(agent: Customer, ticket: dict[str, Any], status: str) -> None:
    response = agent.post(f"/api/v1/agent/tickets/{ticket['id']}/status", json={"status": status})
    assert response.status_code == 200, response.json()


def answer(agent: Customer, ticket: dict[str, Any]) -> None:
    response = agent.post(f"/api/v1/agent/tickets/{ticket['id']}/replies", json={"body": "在查"})
    assert response.status_code == 201, response.json()


def test_an_unanswered_duplicate_merged_into_an_answered_ticket_is_still_owed_a_reply(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    target = open_ticket(me, "退款没到账", "我的退款还没到账")  # normal: next reply in 8 hours
    answer(agent, target)
    clock.advance(timedelta(minutes=10))  # not seeing the answer, they write again
    source = open_ticket(me, "退款", "退款到底什么时候到？")

    view = merge(agent, source, target).json()["target"]
    assert (view["status"], view["priority"]) == ("open", "normal")
    # Owed from the merge, Monday 09:10 in Shanghai: 17:10.
    assert view["sla"]["next_reply_due"] == "2026-03-02T09:10:00+00:00"
    waiting = view["sla_clocks"]["next_reply"]
    assert (waiting["running"], waiting["minutes"], waiting["elapsed"]) == (True, 8 * 60, 0)

    deps = TicketDeps.of(container.engine, clock)
    clock.advance(timedelta(hours=7, minutes=59))
    assert detect_breaches(deps) == []
    clock.advance(timedelta(minutes=2))
    found = detect_breaches(deps)
    assert [(str(tid), goal) for tid, goal in found] == [(target["id"], SlaTarget.NEXT_REPLY)]


def test_a_pending_target_opens_and_takes_the_more_urgent_priority_of_an_unanswered_source(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    target = open_ticket(me, "退款没到账", "我的退款还没到账")
    answer(agent, target)
    set_status(agent, target, "pending")  # waiting on the customer...
    clock.advance(timedelta(minutes=10))
    source = open_ticket(me, "付款失败", "付款失败了")  # ...who writes, in a new ticket
    assert source["priority"] == "high"

    view = merge(agent, source, target).json()["target"]
    assert (view["status"], view["priority"]) == ("open", "high")
    # High: next reply in 4 business hours from Monday 09:10 in Shanghai.
    assert view["sla"]["next_reply_due"] == "2026-03-02T05:10:00+00:00"
    assert view["sla"]["resolution_due"] is not None
    received = [after for a, _s, after in audited(container) if a == "ticket.merge_received"]
    assert received[0]["priority"] == "high"


def test_an_on_hold_target_stays_on_hold_with_the_reply_owed_waiting_for_it(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    target = open_ticket(me, "退款没到账", "我的退款还没到账")
    answer(agent, target)
    set_status(agent, target, "on_hold")  # waiting on the bank
    source = open_ticket(me, "退款", "退款到底什么时候到？")

    view = merge(agent, source, target).json()["target"]
    assert view["status"] == "on_hold"
    assert view["sla"]["next_reply_due"] is None
    assert view["sla_clocks"]["next_reply"]["running"] is False
    clock.advance(timedelta(hours=1))  # Monday 10:00 in Shanghai
    set_status(agent, target, "open")
    resumed = agent.get(f"/api/v1/agent/tickets/{target['id']}").json()
    assert resumed["sla"]["next_reply_due"] == "2026-03-02T10:00:00+00:00"  # 18:00 there


def test_an_answered_source_owes_nothing_and_leaves_a_pending_target_pending(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    target = open_ticket(me, "退款没到账", "我的退款还没到账")
    answer(agent, target)
    set_status(agent, target, "pending")
    source = open_ticket(me, "退款", "退款三天了")
    answer(agent, source)

    view = merge(agent, source, target).json()["target"]
    assert (view["status"], view["priority"]) == ("pending", "normal")
    assert view["sla_clocks"]["next_reply"] is None
    assert view["sla"]["next_reply_due"] is None


def test_a_ticket_cannot_be_merged_into_itself(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    ticket = open_ticket(me, "退款", "退款三天了")
    before = desk_snapshot(container)
    assert_refused(
        lambda h: merge(agent, ticket, ticket, headers=h),
        422,
        "merge_into_itself",
        "A ticket cannot be merged into itself.",
        "工单不能合并到其自身。",
    )
    assert desk_snapshot(container) == before


def test_tickets_of_two_customers_are_never_merged(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    other = sign_up(client, phone="+8613900139000", locale="en")
    mine = open_ticket(me, "退款", "退款三天了")
    theirs = open_ticket(other, "Refund", "Where is my refund?")
    before = desk_snapshot(container)
    assert_refused(
        lambda h: merge(agent, mine, theirs, headers=h),
        409,
        "merge_across_customers",
        "Only tickets of the same customer can be merged.",
        "只能合并同一客户的工单。",
    )
    assert desk_snapshot(container) == before


def test_nothing_is_merged_into_a_closed_ticket_or_out_of_a_merged_one(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    closed = open_ticket(me, "退款", "退款三天了")
    for status in ("solved", "closed"):
        agent.post(f"/api/v1/agent/tickets/{closed['id']}/status", json={"status": status})
    first = open_ticket(me, "付款", "付款失败")
    second = open_ticket(me, "付款失败", "又失败了")
    assert merge(agent, first, second).status_code == 200
    before = desk_snapshot(container)
    assert_refused(
        lambda h: merge(agent, second, closed, headers=h),
        409,
        "merge_target_closed",
        f"Ticket {closed['number']} is closed; merge into an open ticket instead.",
        f"工单 {closed['number']} 的状态为 closed，请合并到未关闭的工单。",
    )
    assert_refused(
        lambda h: merge(agent, second, first, headers=h),
        409,
        "merge_target_closed",
        f"Ticket {first['number']} is merged",
        f"工单 {first['number']} 的状态为 merged",
    )
    assert_refused(
        lambda h: merge(agent, first, second, headers=h),
        409,
        "merge_source_closed",
        f"Ticket {first['number']} is merged and cannot be merged.",
        f"工单 {first['number']} 的状态为 merged，不能合并。",
    )
    assert_refused(
        lambda h: agent.post(
            f"/api/v1/agent/tickets/{second['id']}/status", json={"status": "merged"}, headers=h
        ),
        409,
        "invalid_ticket_transition",
        "cannot be moved to merged",
        "不能变更为 merged",
    )
    assert me.post(f"/api/v1/tickets/{first['id']}/merge", json={}).status_code in (404, 405)
    assert (
        me.post(
            f"/api/v1/agent/tickets/{second['id']}/merge", json={"into_ticket_id": closed["id"]}
        ).status_code
        == 403
    )
    assert desk_snapshot(container) == before

"""Macros: supervisors write bilingual canned answers, agents apply them to tickets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_world import Customer, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_tickets import MONDAY_9, assert_refused, desk_snapshot, open_ticket, staff
from wallet_world import open_shop, top_up

from walletdesk.api.app import create_app
from walletdesk.audit import tables as audit_tables
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity.roles import Role
from walletdesk.support.tickets.default_macros import DEFAULT_MACROS
from walletdesk.support.tickets.macros import seed_default_macros

BACKENDS = ["sqlite", "postgres"]

FOLLOW_UP = {
    "name": "Ask for the order number",
    "category": "refund",
    "body_en": "Hello {customer_name}, please send the order number for {ticket_number}.",
    "body_zh": "{customer_name}，您好：请提供工单 {ticket_number} 相关的订单号。",
    "set_status": "pending",
    "set_priority": "high",
    "add_tags": ["Needs-Order", "refund"],
}


@pytest.fixture
def client(container: Container, clock: FakeClock) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def lead(client: TestClient, container: Container) -> Customer:
    return staff(client, container, n=9, role=Role.SUPERVISOR)


@pytest.fixture
def agent(client: TestClient, container: Container) -> Customer:
    return staff(client, container)


def audit_actions(container: Container) -> list[tuple[str, str]]:
    log = audit_tables.audit_log
    with container.engine.connect() as conn:
        rows = conn.execute(select(log.c.action, log.c.subject_id).order_by(log.c.seq)).all()
    return [(row.action, row.subject_id) for row in rows]


def create_macro(lead: Customer, **changes: Any) -> dict[str, Any]:
    response = lead.post("/api/v1/agent/macros", json={**FOLLOW_UP, **changes})
    assert response.status_code == 201, response.json()
    macro: dict[str, Any] = response.json()
    return macro


def test_a_supervisor_writes_a_macro_and_agents_list_it(
    client: TestClient, container: Container, lead: Customer, agent: Customer
) -> None:
    macro = create_macro(lead)
    assert macro["name"] == "Ask for the order number"
    assert macro["placeholders"] == ["customer_name", "ticket_number"]
    assert macro["add_tags"] == ["needs-order", "refund"]
    assert (macro["set_status"], macro["set_priority"], macro["active"]) == (
        "pending",
        "high",
        True,
    )
    assert ("ticket_macro.created", macro["id"]) in audit_actions(container)

    general = create_macro(lead, name="Thanks", category=None, body_en="Thanks!", body_zh="谢谢！")
    listed = agent.get("/api/v1/agent/macros").json()["items"]
    assert [m["name"] for m in listed] == ["Ask for the order number", "Thanks"]
    # For a ticket's category: its own macros and those for any ticket.
    for_security = agent.get("/api/v1/agent/macros", params={"category": "account_security"})
    assert [m["id"] for m in for_security.json()["items"]] == [general["id"]]


def test_agents_and_customers_cannot_write_macros_and_nothing_is_stored(
    client: TestClient, container: Container, agent: Customer
) -> None:
    customer = sign_up(client, phone="+8613900139000", locale="en")
    before = desk_snapshot(container)
    assert_refused(
        lambda h: agent.post("/api/v1/agent/macros", json=FOLLOW_UP, headers=h),
        403,
        "forbidden",
        "not allowed",
        "无权",
    )
    assert customer.post("/api/v1/agent/macros", json=FOLLOW_UP).status_code == 403
    assert customer.get("/api/v1/agent/macros").status_code == 403
    assert client.get("/api/v1/agent/macros").status_code == 401
    assert desk_snapshot(container) == before


@pytest.mark.parametrize(
    ("changes", "code", "en", "zh"),
    [
        (
            {"body_en": "Dear {customer_nmae}", "body_zh": "{customer_nmae}您好"},
            "macro_placeholder_unknown",
            "Unknown placeholder {customer_nmae}. Use only: {customer_name}, {ticket_number}",
            "未知的占位符 {customer_nmae}",
        ),
        (
            {"body_en": "Hello {customer_name", "body_zh": "您好 {customer_name"},
            "macro_template_invalid",
            "The body_en text is not a valid template",
            "body_en 的内容不是有效的模板",
        ),
        (
            {"body_en": "Total {payment_id!r}", "body_zh": "付款 {payment_id!r}"},
            "macro_template_invalid",
            "write placeholders as {customer_name}",
            "占位符应写作 {customer_name}",
        ),
        (
            {"body_en": "Payment {payment_id}", "body_zh": "您好"},
            "macro_placeholders_differ",
            "English: {payment_id}; Chinese: -",
            "英文：{payment_id}；中文：-",
        ),
        (
            {"set_status": "closed"},
            "macro_status_not_allowed",
            "on_hold, open, pending, solved",
            "快捷回复只能将状态设置为",
        ),
    ],
)
def test_a_macro_with_a_bad_template_or_action_is_refused_and_nothing_is_stored(
    container: Container,
    lead: Customer,
    changes: dict[str, Any],
    code: str,
    en: str,
    zh: str,
) -> None:
    before = desk_snapshot(container)
    assert_refused(
        lambda h: lead.post("/api/v1/agent/macros", json={**FOLLOW_UP, **changes}, headers=h),
        422,
        code,
        en,
        zh,
    )
    assert desk_snapshot(container) == before


def test_a_second_macro_of_the_same_name_is_refused(container: Container, lead: Customer) -> None:
    create_macro(lead)
    before = desk_snapshot(container)
    assert_refused(
        lambda h: lead.post("/api/v1/agent/macros", json=FOLLOW_UP, headers=h),
        409,
        "macro_name_taken",
        "A macro named “Ask for the order number” already exists.",
        "已存在名为“Ask for the order number”的快捷回复。",
    )
    assert desk_snapshot(container) == before


def test_applying_a_macro_replies_in_the_customers_language_and_applies_its_actions(
    client: TestClient, container: Container, lead: Customer, agent: Customer
) -> None:
    chinese = sign_up(client, phone="+8613800138000", locale="zh-CN", name="李雷")
    english = sign_up(client, phone="+8613900139000", locale="en", name="Han Mei")
    zh_ticket = open_ticket(chinese, "退款", "退款还没到账")
    en_ticket = open_ticket(english, "Refund", "My refund has not arrived")
    macro = create_macro(lead)

    applied = agent.post(
        f"/api/v1/agent/tickets/{zh_ticket['id']}/macro", json={"macro_id": macro["id"]}
    )
    assert applied.status_code == 200, applied.json()
    view = applied.json()
    number = zh_ticket["number"]
    assert view["messages"][-1]["body"] == f"李雷，您好：请提供工单 {number} 相关的订单号。"
    assert view["messages"][-1]["kind"] == "public"
    assert view["status"] == "pending"
    assert view["priority"] == "high"
    assert view["tags"] == ["needs-order", "refund"]
    assert view["first_replied_at"] == MONDAY_9.isoformat()
    assert view["sla_clocks"]["first_reply"]["fulfilled"] is True
    seen = chinese.get(f"/api/v1/tickets/{zh_ticket['id']}").json()
    assert seen["messages"][-1]["body"].startswith("李雷，您好")

    english_view = agent.post(
        f"/api/v1/agent/tickets/{en_ticket['id']}/macro", json={"macro_id": macro["id"]}
    ).json()
    assert english_view["messages"][-1]["body"] == (
        f"Hello Han Mei, please send the order number for {en_ticket['number']}."
    )
    actions = audit_actions(container)
    assert ("ticket.macro_applied", zh_ticket["id"]) in actions
    assert ("ticket.status_changed", zh_ticket["id"]) in actions


def test_a_macro_needing_a_linked_payment_is_refused_on_a_ticket_without_one(
    client: TestClient, container: Container, lead: Customer, agent: Customer
) -> None:
    customer = sign_up(client, locale="zh-CN")
    ticket = open_ticket(customer, "付款失败", "付款失败了")
    macro = create_macro(
        lead,
        name="Payment checked",
        body_en="We checked payment {payment_id}.",
        body_zh="我们已查看付款 {payment_id}。",
    )
    before = desk_snapshot(container)
    assert_refused(
        lambda h: agent.post(
            f"/api/v1/agent/tickets/{ticket['id']}/macro",
            json={"macro_id": macro["id"]},
            headers=h,
        ),
        409,
        "macro_placeholder_unavailable",
        "This macro uses {payment_id}, which this ticket does not have.",
        "该快捷回复使用了 {payment_id}，但该工单没有这项信息。",
    )
    assert desk_snapshot(container) == before


def test_a_macro_whose_status_change_is_not_allowed_changes_nothing_not_even_the_reply(
    client: TestClient, container: Container, lead: Customer, agent: Customer
) -> None:
    customer = sign_up(client, locale="en")
    ticket = open_ticket(customer, "Refund", "Where is my refund?")
    solved = agent.post(f"/api/v1/agent/tickets/{ticket['id']}/status", json={"status": "solved"})
    assert solved.status_code == 200
    macro = create_macro(lead)  # sets pending, which a solved ticket cannot move to
    before = desk_snapshot(container)
    assert_refused(
        lambda h: agent.post(
            f"/api/v1/agent/tickets/{ticket['id']}/macro",
            json={"macro_id": macro["id"]},
            headers=h,
        ),
        409,
        "invalid_ticket_transition",
        "A ticket in status solved cannot be moved to pending.",
        "工单当前状态为 solved，不能变更为 pending。",
    )
    assert desk_snapshot(container) == before


def test_a_closed_ticket_and_an_unknown_macro_are_refused(
    client: TestClient, container: Container, lead: Customer, agent: Customer
) -> None:
    customer = sign_up(client, locale="en")
    ticket = open_ticket(customer, "Refund", "Where is my refund?")
    for target in ("solved", "closed"):
        agent.post(f"/api/v1/agent/tickets/{ticket['id']}/status", json={"status": target})
    macro = create_macro(lead, set_status=None)
    before = desk_snapshot(container)
    assert_refused(
        lambda h: agent.post(
            f"/api/v1/agent/tickets/{ticket['id']}/macro",
            json={"macro_id": macro["id"]},
            headers=h,
        ),
        409,
        "ticket_closed",
        "This ticket is closed",
        "该工单已关闭",
    )
    assert_refused(
        lambda h: agent.post(
            f"/api/v1/agent/tickets/{ticket['id']}/macro",
            json={"macro_id": "00000000-0000-4000-8000-000000000000"},
            headers=h,
        ),
        404,
        "not_found",
        "Not found",
        "未找到",
    )
    assert desk_snapshot(container) == before


def test_editing_a_macro_checks_it_whole_and_a_switched_off_macro_cannot_be_applied(
    client: TestClient, container: Container, lead: Customer, agent: Customer
) -> None:
    macro = create_macro(lead)
    url = f"/api/v1/agent/macros/{macro['id']}"
    before = desk_snapshot(container)
    assert_refused(
        lambda h: lead.client.patch(
            url, json={"body_en": "Hi {name}"}, headers={**lead.headers, **h}
        ),
        422,
        "macro_placeholder_unknown",
        "Unknown placeholder {name}.",
        "未知的占位符 {name}。",
    )
    assert agent.client.patch(url, json={"active": False}, headers=agent.headers).status_code == 403
    nulled = lead.client.patch(url, json={"name": None}, headers=lead.headers)
    assert nulled.status_code == 422
    assert desk_snapshot(container) == before

    edited = lead.client.patch(
        url, json={"category": None, "set_priority": None, "active": False}, headers=lead.headers
    )
    assert edited.status_code == 200, edited.json()
    assert (edited.json()["category"], edited.json()["set_priority"]) == (None, None)
    assert edited.json()["name"] == FOLLOW_UP["name"]  # fields not sent stay as they were
    assert ("ticket_macro.updated", macro["id"]) in audit_actions(container)
    assert agent.get("/api/v1/agent/macros").json()["items"] == []
    listed = lead.get("/api/v1/agent/macros", params={"include_inactive": "true"}).json()
    assert [m["active"] for m in listed["items"]] == [False]

    customer = sign_up(client, locale="zh-CN")
    ticket = open_ticket(customer, "退款", "退款还没到账")
    before = desk_snapshot(container)
    assert_refused(
        lambda h: agent.post(
            f"/api/v1/agent/tickets/{ticket['id']}/macro",
            json={"macro_id": macro["id"]},
            headers=h,
        ),
        409,
        "macro_inactive",
        "This macro is switched off.",
        "该快捷回复已停用。",
    )
    assert desk_snapshot(container) == before


def test_the_default_macros_are_seeded_once_and_cover_the_five_problem_categories(
    client: TestClient, container: Container, agent: Customer
) -> None:
    assert seed_default_macros(container.engine, container.clock) == len(DEFAULT_MACROS)
    assert seed_default_macros(container.engine, container.clock) == 0
    listed = agent.get("/api/v1/agent/macros").json()["items"]
    assert len(listed) == len(DEFAULT_MACROS)
    assert {m["category"] for m in listed} >= {
        "account_security",
        "payment_failure",
        "refund",
        "account_update",
        "limit_increase",
    }

    # The failed-payment answer, on a ticket linked to the payment, in Chinese.
    shop = open_shop(client, container)
    customer = sign_up(client, locale="zh-CN", name="李雷")
    top_up(customer, "10.00")
    intent = shop.intent("38.00", "order-1").json()
    assert customer.post(f"/api/v1/payment-intents/{intent['id']}/pay").status_code == 402
    ticket = open_ticket(customer, "付款失败", "付款失败了", payment_id=intent["id"])
    payment_macro = next(m for m in listed if m["category"] == "payment_failure")
    view = agent.post(
        f"/api/v1/agent/tickets/{ticket['id']}/macro", json={"macro_id": payment_macro["id"]}
    ).json()
    body = view["messages"][-1]["body"]
    assert body.startswith(f"李雷，您好：\n\n我们已查看付款 {intent['id']}。")
    assert body.endswith("walletdesk 客服 Agent 1")
    assert "{" not in body
    assert view["status"] == "pending"

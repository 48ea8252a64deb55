"""Tickets (API.md "Customer service"): triage, SLA, agent queue, privacy, CSAT."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_world import STRONG, Customer, log_in, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from wallet_world import open_shop, top_up

from walletdesk.api.app import create_app
from walletdesk.audit import tables as audit_tables
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import accounts
from walletdesk.identity.model import RequestContext
from walletdesk.identity.roles import Role
from walletdesk.identity.staff import console_operator
from walletdesk.support.helpcenter.service import load_articles
from walletdesk.support.tickets import tables as ticket_tables
from walletdesk.support.tickets.service import TicketDeps, detect_breaches

BACKENDS = ["sqlite", "postgres"]
ZH = {"Accept-Language": "zh-CN"}
# Monday 2 March 2026, 09:00 in Shanghai: a plain working day.
MONDAY_9 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SCAM = "有人自称客服打电话给我，说我的账户有风险，让我提供验证码并把钱转到安全账户"


@pytest.fixture
def client(container: Container, clock: FakeClock) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    load_articles(container.engine, container.clock)
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def me(client: TestClient) -> Customer:
    return sign_up(client, locale="zh-CN", phone="+8613800138000")


def staff(
    client: TestClient, container: Container, n: int = 1, role: Role = Role.AGENT
) -> Customer:
    user = accounts.do_register(
        container.identity,
        phone=None,
        email=f"agent{n}@walletdesk.example",
        password=STRONG,
        display_name=f"Agent {n}",
        locale="zh-CN",
        ctx=RequestContext(),
        role=role,
        actor=console_operator(container.clock.now()),
    )
    token = log_in(client, f"agent{n}@walletdesk.example")
    return Customer(client, {"id": str(user.id)}, token)


def open_ticket(who: Customer, subject: str, body: str, **extra: Any) -> dict[str, Any]:
    response = who.post("/api/v1/tickets", json={"subject": subject, "body": body, **extra})
    assert response.status_code == 201, response.json()
    ticket: dict[str, Any] = response.json()
    return ticket


def desk_snapshot(container: Container) -> dict[str, Any]:
    """Every ticket-desk row and the audit log's length: equal before and after a refusal
    means nothing changed."""
    tables = (
        ticket_tables.tickets,
        ticket_tables.ticket_messages,
        ticket_tables.sla_events,
        ticket_tables.ticket_csat,
        ticket_tables.ticket_macros,
    )
    with container.engine.connect() as conn:
        rows: dict[str, Any] = {
            table.name: sorted(tuple(map(str, row)) for row in conn.execute(select(table)))
            for table in tables
        }
        rows["audit_log"] = conn.execute(
            select(func.count()).select_from(audit_tables.audit_log)
        ).scalar_one()
    return rows


def assert_refused(
    send: Callable[[dict[str, str]], Any], status: int, code: str, en: str, zh: str
) -> None:
    """``send(headers)`` is refused with ``status``/``code`` and its detail in both
    languages contains ``en`` and ``zh`` (refusals change nothing, so sending twice is safe)."""
    for headers, fragment in (({"Accept-Language": "en"}, en), (ZH, zh)):
        response = send(headers)
        assert response.status_code == status, response.json()
        body = response.json()
        assert body["code"] == code, body
        assert fragment in body["detail"], body
        assert response.headers["content-type"].startswith("application/problem+json")


def test_classify_endpoint(client: TestClient) -> None:
    answer = client.post("/api/v1/support/classify", json={"text": "怎么申请退款"}).json()
    assert answer["category"] == "refund"
    assert 0 < answer["confidence"] <= 1
    assert answer["scam_risk"] == "low"
    assert (
        client.post("/api/v1/support/classify", json={"text": SCAM}).json()["scam_risk"] == "high"
    )


def test_a_failed_payment_in_chinese_becomes_a_high_priority_ticket_linked_to_it(
    client: TestClient, container: Container, me: Customer
) -> None:
    shop = open_shop(client, container)
    top_up(me, "10.00")
    intent = shop.intent("38.00", "order-1").json()
    assert me.post(f"/api/v1/payment-intents/{intent['id']}/pay").status_code == 402

    ticket = open_ticket(
        me,
        "付款失败",
        "在茶馆付款失败了，提示余额不足，怎么办？",
        payment_id=intent["id"],
        channel="app",
    )
    assert ticket["category"] == "payment_failure"
    assert ticket["priority"] == "high"
    assert ticket["status"] == "new"
    assert ticket["channel"] == "app"
    assert ticket["payment_id"] == intent["id"]
    assert ticket["number"].startswith("WD-")
    assert len(ticket["number"]) == 9
    assert ticket["scam_warning"] is None
    assert ticket["suggested_articles"]
    assert {a["category"] for a in ticket["suggested_articles"]} == {"payment_failure"}
    # High: first reply in 4 business hours, resolution in 24 (9 + 9 + 6: Wednesday 15:00).
    assert ticket["sla"]["first_reply_due"] == "2026-03-02T05:00:00+00:00"
    assert ticket["sla"]["resolution_due"] == "2026-03-04T07:00:00+00:00"
    assert [m["body"] for m in ticket["messages"]] == ["在茶馆付款失败了，提示余额不足，怎么办？"]

    listed = me.get("/api/v1/tickets").json()["items"]
    assert [t["id"] for t in listed] == [ticket["id"]]


def test_a_payment_of_someone_else_cannot_be_linked(
    client: TestClient, container: Container, me: Customer
) -> None:
    shop = open_shop(client, container)
    other = sign_up(client, phone="+8613900139000", locale="en")
    top_up(other, "10.00")
    intent = shop.intent("38.00", "order-9").json()
    other.post(f"/api/v1/payment-intents/{intent['id']}/pay")
    response = me.post(
        "/api/v1/tickets",
        json={"subject": "付款失败", "body": "付款失败", "payment_id": intent["id"]},
    )
    assert response.status_code == 404
    assert me.get("/api/v1/tickets").json()["items"] == []


def test_a_scam_story_is_urgent_and_warned_about_in_the_customers_language(
    client: TestClient, me: Customer
) -> None:
    ticket = open_ticket(me, "客服来电", SCAM)
    assert ticket["priority"] == "urgent"
    assert ticket["category"] == "account_security"
    assert "诈骗" in ticket["scam_warning"]
    assert ticket["sla"]["first_reply_due"] == "2026-03-02T02:00:00+00:00"


def test_agent_queue_assign_reply_and_an_internal_note_hidden_from_the_customer(
    client: TestClient, container: Container, me: Customer
) -> None:
    normal = open_ticket(me, "Question", "Do you have a dark mode?")
    urgent = open_ticket(me, "客服来电", SCAM)
    agent = staff(client, container)

    assert me.get("/api/v1/agent/tickets").status_code == 403
    queue = agent.get("/api/v1/agent/tickets").json()["items"]
    assert [t["id"] for t in queue] == [urgent["id"], normal["id"]]  # soonest due first
    only = agent.get("/api/v1/agent/tickets", params={"category": "account_security"}).json()
    assert [t["id"] for t in only["items"]] == [urgent["id"]]

    assigned = agent.post(f"/api/v1/agent/tickets/{urgent['id']}/assign", json={}).json()
    assert assigned["assignee_id"] == agent.user["id"]
    assert assigned["status"] == "open"
    mine = agent.get("/api/v1/agent/tickets", params={"assignee": "me"}).json()["items"]
    assert [t["id"] for t in mine] == [urgent["id"]]
    unassigned = agent.get("/api/v1/agent/tickets", params={"assignee": "none"}).json()["items"]
    assert [t["id"] for t in unassigned] == [normal["id"]]

    container.clock.advance(timedelta(minutes=20))  # type: ignore[attr-defined]
    note = agent.post(
        f"/api/v1/agent/tickets/{urgent['id']}/notes", json={"body": "Caller ID spoofed, check"}
    )
    assert note.status_code == 201
    assert note.json()["first_replied_at"] is None
    replied = agent.post(
        f"/api/v1/agent/tickets/{urgent['id']}/replies",
        json={"body": "请勿提供验证码，我们正在处理。"},
    ).json()
    assert replied["first_replied_at"] == "2026-03-02T01:20:00+00:00"
    assert replied["sla_clocks"]["first_reply"]["fulfilled"] is True
    assert [m["kind"] for m in replied["messages"]] == ["public", "internal", "public"]

    seen = me.get(f"/api/v1/tickets/{urgent['id']}").json()
    assert [m["kind"] for m in seen["messages"]] == ["public", "public"]
    assert "Caller ID" not in str(seen)


def test_an_invalid_transition_is_refused_and_nothing_changes(
    client: TestClient, container: Container, me: Customer
) -> None:
    ticket = open_ticket(me, "退款", "怎么申请退款")
    agent = staff(client, container)
    refused = agent.post(
        f"/api/v1/agent/tickets/{ticket['id']}/status", json={"status": "closed"}, headers=ZH
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "invalid_ticket_transition"
    after = agent.get(f"/api/v1/agent/tickets/{ticket['id']}").json()
    assert after["status"] == "new"
    assert after["updated_at"] == ticket["updated_at"]
    with container.engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(ticket_tables.sla_events)).scalar()
    assert events == 2  # the two activations, nothing more


def test_another_customer_gets_404(client: TestClient, me: Customer) -> None:
    ticket = open_ticket(me, "退款", "怎么申请退款")
    other = sign_up(client, phone="+8613900139000", locale="en")
    assert other.get(f"/api/v1/tickets/{ticket['id']}").status_code == 404
    assert (
        other.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "hi"}).status_code
        == 404
    )
    assert other.post(f"/api/v1/tickets/{ticket['id']}/csat", json={"score": 1}).status_code == 404
    assert other.get("/api/v1/tickets").json()["items"] == []


def test_csat_once_per_solved_ticket(
    client: TestClient, container: Container, me: Customer
) -> None:
    ticket = open_ticket(me, "退款", "怎么申请退款")
    agent = staff(client, container)
    early = me.post(f"/api/v1/tickets/{ticket['id']}/csat", json={"score": 5})
    assert early.status_code == 409
    assert early.json()["code"] == "csat_not_open"
    solved = agent.post(f"/api/v1/agent/tickets/{ticket['id']}/status", json={"status": "solved"})
    assert solved.json()["sla_clocks"]["resolution"]["fulfilled"] is True
    assert me.post(f"/api/v1/tickets/{ticket['id']}/csat", json={"score": 6}).status_code == 422
    first = me.post(f"/api/v1/tickets/{ticket['id']}/csat", json={"score": 4, "comment": "快"})
    assert first.status_code == 201
    again = me.post(f"/api/v1/tickets/{ticket['id']}/csat", json={"score": 1})
    assert again.status_code == 409
    assert again.json()["code"] == "csat_already_given"
    assert me.get(f"/api/v1/tickets/{ticket['id']}").json()["csat"]["score"] == 4


def test_the_sla_clock_pauses_while_pending_and_a_customer_reply_resumes_it(
    client: TestClient, container: Container, me: Customer, clock: FakeClock
) -> None:
    ticket = open_ticket(me, "退款", "怎么申请退款")  # normal: resolution 72 business hours
    assert ticket["sla"]["resolution_due"] == "2026-03-11T10:00:00+00:00"  # Wed 11th 18:00
    agent = staff(client, container)
    clock.advance(timedelta(hours=1))
    agent.post(f"/api/v1/agent/tickets/{ticket['id']}/replies", json={"body": "请提供订单号"})
    pending = agent.post(f"/api/v1/agent/tickets/{ticket['id']}/status", json={"status": "pending"})
    assert pending.json()["sla"] == {
        "first_reply_due": ticket["sla"]["first_reply_due"],
        "next_reply_due": None,
        "resolution_due": None,
        "paused": True,
    }
    assert pending.json()["sla_clocks"]["resolution"]["running"] is False

    clock.advance(timedelta(days=2))  # Wednesday 10:00: two business days waiting
    assert detect_breaches(TicketDeps.of(container.engine, clock)) == []
    me.token = log_in(client, "+8613800138000")  # the old session has gone idle
    reply = me.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "订单号 123"})
    assert reply.status_code == 201
    resumed = reply.json()
    assert resumed["status"] == "open"
    assert resumed["sla"]["paused"] is False
    # The 18 business hours spent waiting are added: Wed 11th 18:00 -> Fri 13th 18:00.
    assert resumed["sla"]["resolution_due"] == "2026-03-13T10:00:00+00:00"


def test_breaches_are_recorded_once(
    client: TestClient, container: Container, me: Customer, clock: FakeClock
) -> None:
    ticket = open_ticket(me, "付款失败", "付款失败了")  # high: first reply within 4 hours
    deps = TicketDeps.of(container.engine, clock)
    clock.advance(timedelta(hours=3, minutes=59))
    assert detect_breaches(deps) == []
    clock.advance(timedelta(minutes=2))
    found = detect_breaches(deps)
    assert [(str(tid), target.value) for tid, target in found] == [(ticket["id"], "first_reply")]
    assert detect_breaches(deps) == []
    agent = staff(client, container)
    view = agent.get(f"/api/v1/agent/tickets/{ticket['id']}").json()
    assert view["sla_clocks"]["first_reply"]["breached"] is True
    assert view["sla_clocks"]["resolution"]["breached"] is False

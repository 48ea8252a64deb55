"""Round-robin assignment with capacity: new and waiting tickets go to the agents taking
tickets, in turn, each up to their capacity of active (new or open) tickets."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from api_world import Customer, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from test_tickets import MONDAY_9, SCAM, open_ticket, staff

from walletdesk.audit import tables as audit_tables
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.housekeeping import Housekeeper
from walletdesk.identity import store as identity_store
from walletdesk.identity.roles import Role
from walletdesk.support.tickets import tables as t
from walletdesk.support.tickets.service import TicketDeps, do_create_ticket

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(autouse=True)
def monday_morning(clock: FakeClock) -> None:
    clock.set(MONDAY_9)


@pytest.fixture
def me(client: TestClient) -> Customer:
    return sign_up(client, phone="+8613800138000", locale="zh-CN")


@pytest.fixture
def lead(client: TestClient, container: Container) -> Customer:
    return staff(client, container, 9, role=Role.SUPERVISOR)


def owners(container: Container) -> dict[str, str | None]:
    """Each ticket's assignee, by ticket number."""
    with container.engine.connect() as conn:
        rows = conn.execute(select(t.tickets.c.number, t.tickets.c.assignee_id)).all()
    return {row.number: (str(row.assignee_id) if row.assignee_id else None) for row in rows}


def desk_rows(container: Container) -> list[tuple[Any, ...]]:
    with container.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(t.ticket_agents).order_by("user_id"))]


def audit_count(container: Container, action: str) -> int:
    log = audit_tables.audit_log
    with container.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(log).where(log.c.action == action)
            ).scalar_one()
        )


def take_tickets(who: Customer, lead: Customer, capacity: int) -> None:
    set_capacity = lead.put(f"/api/v1/agent/desk/{who.user['id']}", json={"capacity": capacity})
    assert set_capacity.status_code == 200, set_capacity.text
    accepting = who.put("/api/v1/agent/desk/me", json={"accepting": True})
    assert accepting.status_code == 200, accepting.text


def test_nobody_taking_tickets_leaves_a_new_ticket_waiting(
    client: TestClient, container: Container, me: Customer
) -> None:
    staff(client, container)
    ticket = open_ticket(me, "Question", "Do you have a dark mode?")
    assert ticket["status"] == "new"
    assert owners(container) == {ticket["number"]: None}


def test_new_tickets_go_round_robin_up_to_each_capacity_then_wait_for_room(
    client: TestClient, container: Container, me: Customer, lead: Customer
) -> None:
    ann, bob = staff(client, container, 1), staff(client, container, 2)
    take_tickets(ann, lead, 2)
    take_tickets(bob, lead, 2)

    numbers = [
        open_ticket(me, f"Question {n}", "Do you have a dark mode?")["number"] for n in range(5)
    ]

    given = owners(container)
    ids = [given[number] for number in numbers]
    a, b = ann.user["id"], bob.user["id"]
    assert ids[:4] in ([a, b, a, b], [b, a, b, a])  # in turn
    assert ids[4] is None  # both full: it waits
    assert audit_count(container, "ticket.assigned") == 4

    # Ann solves one of hers: the worker's next pass gives her the waiting ticket.
    first_of_ann = next(n for n in numbers if given[n] == a)
    ticket_id = next(
        item["id"]
        for item in ann.get("/api/v1/agent/tickets", params={"assignee": "me"}).json()["items"]
        if item["number"] == first_of_ann
    )
    solved = ann.post(f"/api/v1/agent/tickets/{ticket_id}/status", json={"status": "solved"})
    assert solved.status_code == 200, solved.text
    assert Housekeeper(container).run_once().tickets_assigned == 1
    assert owners(container)[numbers[4]] == a
    assert Housekeeper(container).run_once().tickets_assigned == 0


def test_pending_tickets_do_not_count_towards_capacity(
    client: TestClient, container: Container, me: Customer, lead: Customer
) -> None:
    ann = staff(client, container, 1)
    take_tickets(ann, lead, 1)
    first = open_ticket(me, "退款", "我的退款还没到账")
    ann.post(f"/api/v1/agent/tickets/{first['id']}/replies", json={"body": "请提供订单号"})
    pending = ann.post(f"/api/v1/agent/tickets/{first['id']}/status", json={"status": "pending"})
    assert pending.status_code == 200, pending.text

    second = open_ticket(me, "付款失败", "付款失败了")

    assert owners(container)[second["number"]] == ann.user["id"]


def test_starting_to_take_tickets_hands_out_the_waiting_ones_most_urgent_first(
    client: TestClient, container: Container, me: Customer, lead: Customer
) -> None:
    ann = staff(client, container, 1)
    quiet = open_ticket(me, "Question", "Do you have a dark mode?")
    urgent = open_ticket(me, "客服来电", SCAM)
    lead.put(f"/api/v1/agent/desk/{ann.user['id']}", json={"capacity": 1})

    answer = ann.put("/api/v1/agent/desk/me", json={"accepting": True})

    assert answer.status_code == 200
    assert answer.json() | {"user_id": None} == {
        "user_id": None,
        "display_name": "Agent 1",
        "role": "agent",
        "accepting": True,
        "capacity": 1,
        "active": 1,
        "assigned": 1,
    }
    assert owners(container) == {urgent["number"]: ann.user["id"], quiet["number"]: None}
    listed = {item["user_id"]: item for item in ann.get("/api/v1/agent/desk").json()["items"]}
    assert listed[ann.user["id"]]["active"] == 1
    assert listed[lead.user["id"]]["accepting"] is False


def test_a_hand_assignment_is_not_undone_and_a_stopped_agent_gets_nothing(
    client: TestClient, container: Container, me: Customer, lead: Customer
) -> None:
    ann, bob = staff(client, container, 1), staff(client, container, 2)
    take_tickets(ann, lead, 5)
    stop = ann.put("/api/v1/agent/desk/me", json={"accepting": False})
    assert stop.json()["accepting"] is False
    ticket = open_ticket(me, "Question", "Do you have a dark mode?")
    assert owners(container)[ticket["number"]] is None
    bob.post(f"/api/v1/agent/tickets/{ticket['id']}/assign", json={})
    take_tickets(ann, lead, 5)
    assert owners(container)[ticket["number"]] == bob.user["id"]


@pytest.mark.parametrize(
    ("who", "target", "body", "status", "code"),
    [
        ("agent", "other", {"accepting": True}, 403, "forbidden"),
        ("agent", "me", {"capacity": 3}, 403, "forbidden"),
        ("lead", "other", {"capacity": 0}, 422, "validation_error"),
        ("lead", "other", {"capacity": 101}, 422, "validation_error"),
        ("lead", "customer", {"accepting": True}, 404, "not_found"),
        ("lead", "nonsense", {"accepting": True}, 404, "not_found"),
        ("customer", "me", {"accepting": True}, 403, "forbidden"),
    ],
)
def test_refused_availability_changes_change_nothing(
    client: TestClient,
    container: Container,
    me: Customer,
    lead: Customer,
    who: str,
    target: str,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    ann, bob = staff(client, container, 1), staff(client, container, 2)
    take_tickets(bob, lead, 3)
    waiting = open_ticket(me, "Question", "Do you have a dark mode?")
    stop = bob.put("/api/v1/agent/desk/me", json={"accepting": False})
    assert stop.status_code == 200
    open_ticket(me, "Another", "Do you have a light mode?")
    before = (
        desk_rows(container),
        owners(container),
        audit_count(container, "desk.availability_changed"),
    )
    caller = {"agent": ann, "lead": lead, "customer": me}[who]
    path = {
        "me": "me",
        "other": bob.user["id"],
        "customer": me.user["id"],
        "nonsense": "not-an-id",
    }[target]

    refused = caller.put(f"/api/v1/agent/desk/{path}", json=body)

    assert refused.status_code == status
    assert refused.json()["code"] == code
    assert (
        desk_rows(container),
        owners(container),
        audit_count(container, "desk.availability_changed"),
    ) == before
    assert owners(container)[waiting["number"]] == bob.user["id"]


def test_tickets_created_at_once_never_take_more_than_the_capacity(
    client: TestClient, container: Container, me: Customer, lead: Customer
) -> None:
    ann = staff(client, container, 1)
    take_tickets(ann, lead, 3)
    with container.engine.connect() as conn:
        customer = identity_store.get_user(conn, uuid.UUID(me.user["id"]))
    deps = TicketDeps.of(container.engine, container.clock)
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def create(n: int) -> None:
        try:
            start.wait()
            do_create_ticket(deps, customer, subject=f"Q{n}", body="Do you have a dark mode?")
        except BaseException as exc:  # reported below, with the test's own assertion
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    given = list(owners(container).values())
    assert len(given) == 8
    assert given.count(ann.user["id"]) == 3
    assert given.count(None) == 5

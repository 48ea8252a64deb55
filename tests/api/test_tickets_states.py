"""DOMAIN.md §5 states and targets added to the desk: spam, and the next-reply SLA target."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from api_world import Customer, log_in, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from test_tickets import MONDAY_9, assert_refused, desk_snapshot, open_ticket, staff

from walletdesk.api.app import create_app
from walletdesk.audit import tables as audit_tables
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.support.tickets import tables as ticket_tables
from walletdesk.support.tickets.rules import (
    CLOSED_STATES,
    NEXT_REPLY_TARGETS,
    SLA_TARGETS,
    TRANSITIONS,
    Priority,
    SlaEventKind,
    SlaTarget,
    TicketStatus,
    can_merge,
    can_set_status,
)
from walletdesk.support.tickets.service import TicketDeps, detect_breaches
from walletdesk.support.tickets.steps import record_event

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def client(container: Container, clock: FakeClock) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def me(client: TestClient) -> Customer:
    return sign_up(client, phone="+8613800138000", locale="en")


@pytest.fixture
def agent(client: TestClient, container: Container) -> Customer:
    return staff(client, container)


def set_status(agent: Customer, ticket: dict[str, Any], status: str) -> dict[str, Any]:
    response = agent.post(f"/api/v1/agent/tickets/{ticket['id']}/status", json={"status": status})
    assert response.status_code == 200, response.json()
    view: dict[str, Any] = response.json()
    return view


def normal_ticket(me: Customer) -> dict[str, Any]:
    ticket = open_ticket(me, "Question", "Do you have a dark mode?")
    assert ticket["priority"] == "normal"
    return ticket


# -- spam ------------------------------------------------------------------------------


def test_a_ticket_marked_as_spam_stops_its_clocks_leaves_the_queue_and_takes_no_replies(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    ticket = normal_ticket(me)
    spam = set_status(agent, ticket, "spam")
    assert spam["status"] == "spam"
    assert spam["sla_clocks"]["first_reply"]["running"] is False
    assert spam["sla"]["first_reply_due"] is None
    assert agent.get("/api/v1/agent/tickets").json()["items"] == []
    listed = agent.get("/api/v1/agent/tickets", params={"status": "spam"}).json()["items"]
    assert [t["id"] for t in listed] == [ticket["id"]]

    before = desk_snapshot(container)
    assert_refused(
        lambda h: me.post(
            f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "hello?"}, headers=h
        ),
        409,
        "ticket_closed",
        "This ticket is closed; please open a new one.",
        "该工单已关闭，请新建工单。",
    )
    assert_refused(
        lambda h: agent.post(
            f"/api/v1/agent/tickets/{ticket['id']}/replies", json={"body": "hi"}, headers=h
        ),
        409,
        "ticket_closed",
        "This ticket is closed",
        "该工单已关闭",
    )
    assert_refused(
        lambda h: me.post(f"/api/v1/tickets/{ticket['id']}/csat", json={"score": 1}, headers=h),
        409,
        "csat_not_open",
        "You can rate a ticket once it is solved.",
        "工单解决后才能评价。",
    )
    assert_refused(
        lambda h: agent.post(
            f"/api/v1/agent/tickets/{ticket['id']}/status", json={"status": "solved"}, headers=h
        ),
        409,
        "invalid_ticket_transition",
        "A ticket in status spam cannot be moved to solved.",
        "工单当前状态为 spam，不能变更为 solved。",
    )
    assert desk_snapshot(container) == before


def test_a_ticket_marked_as_spam_by_mistake_opens_again_with_its_clocks_running(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    ticket = normal_ticket(me)
    set_status(agent, ticket, "spam")
    clock.advance(timedelta(hours=2))
    reopened = set_status(agent, ticket, "open")
    assert reopened["sla_clocks"]["first_reply"]["running"] is True
    # The two hours as spam do not count: due Monday 17:00 before, now Tuesday 10:00.
    assert ticket["sla"]["first_reply_due"] == "2026-03-02T09:00:00+00:00"
    assert reopened["sla"]["first_reply_due"] == "2026-03-03T02:00:00+00:00"
    log = audit_tables.audit_log
    with container.engine.connect() as conn:
        changes = conn.execute(
            select(log.c.before, log.c.after)
            .where(log.c.action == "ticket.status_changed", log.c.subject_id == ticket["id"])
            .order_by(log.c.seq)
        ).all()
    assert [(c.before["status"], c.after["status"]) for c in changes] == [
        ("new", "spam"),
        ("spam", "open"),
    ]


# -- next reply --------------------------------------------------------------------------


def test_a_customer_writing_after_an_answer_starts_the_next_reply_target(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    ticket = normal_ticket(me)  # normal: next reply within 8 business hours
    url = f"/api/v1/agent/tickets/{ticket['id']}"
    clock.advance(timedelta(hours=1))
    answered = agent.post(f"{url}/replies", json={"body": "Not yet."}).json()
    assert answered["sla_clocks"]["next_reply"] is None

    clock.advance(timedelta(hours=1))  # Monday 11:00 in Shanghai
    asked = me.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "When?"}).json()
    # 7 hours left on Monday, 1 on Tuesday: Tuesday 10:00 in Shanghai.
    assert asked["sla"]["next_reply_due"] == "2026-03-03T02:00:00+00:00"
    clock.advance(timedelta(minutes=30))
    me.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "Hello?"})
    waiting = agent.get(url).json()
    # The oldest unanswered message counts: a second one does not restart the clock.
    assert waiting["sla"]["next_reply_due"] == "2026-03-03T02:00:00+00:00"
    assert waiting["sla_clocks"]["next_reply"]["minutes"] == 8 * 60
    assert waiting["sla_clocks"]["next_reply"]["elapsed"] == 30
    assert waiting["sla_clocks"]["next_reply"]["running"] is True

    clock.advance(timedelta(minutes=30))
    replied = agent.post(f"{url}/replies", json={"body": "Later this year."}).json()
    assert replied["sla_clocks"]["next_reply"]["fulfilled"] is True
    assert replied["sla_clocks"]["next_reply"]["elapsed"] == 60
    assert replied["sla"]["next_reply_due"] is None
    # An internal note is no answer to the customer.
    again = me.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "Thanks!"}).json()
    assert again["sla"]["next_reply_due"] is not None
    noted = agent.post(f"{url}/notes", json={"body": "They are happy"}).json()
    assert noted["sla_clocks"]["next_reply"]["fulfilled"] is False


def test_an_unanswered_next_reply_is_breached_once(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    ticket = normal_ticket(me)
    agent.post(f"/api/v1/agent/tickets/{ticket['id']}/replies", json={"body": "Looking."})
    me.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "And?"})
    deps = TicketDeps.of(container.engine, clock)
    clock.advance(timedelta(hours=7, minutes=59))  # due Monday 17:00 in Shanghai
    assert detect_breaches(deps) == []
    clock.advance(timedelta(minutes=2))
    found = detect_breaches(deps)
    assert [(str(tid), target) for tid, target in found] == [(ticket["id"], SlaTarget.NEXT_REPLY)]
    assert detect_breaches(deps) == []
    view = agent.get(f"/api/v1/agent/tickets/{ticket['id']}").json()
    assert view["sla_clocks"]["next_reply"]["breached"] is True
    assert view["sla_clocks"]["first_reply"]["breached"] is False


def test_a_next_reply_started_while_on_hold_waits_for_the_ticket_to_resume(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    ticket = normal_ticket(me)
    agent.post(f"/api/v1/agent/tickets/{ticket['id']}/replies", json={"body": "Asking the bank."})
    set_status(agent, ticket, "on_hold")
    clock.advance(timedelta(hours=1))
    held = me.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "Any news?"}).json()
    assert held["status"] == "on_hold"
    assert held["sla"]["next_reply_due"] is None
    clock.advance(timedelta(hours=2))  # Monday 12:00 in Shanghai
    resumed = set_status(agent, ticket, "open")
    assert resumed["sla_clocks"]["next_reply"]["running"] is True
    assert resumed["sla_clocks"]["next_reply"]["elapsed"] == 0
    # 8 business hours from Monday 12:00: 6 on Monday, 2 on Tuesday, so Tuesday 11:00.
    assert resumed["sla"]["next_reply_due"] == "2026-03-03T03:00:00+00:00"


# -- solving and reopening ----------------------------------------------------------------


def reply(who: Customer, path: str, body: str) -> dict[str, Any]:
    response = who.post(path, json={"body": body})
    assert response.status_code == 201, response.json()
    view: dict[str, Any] = response.json()
    return view


def test_solving_fulfils_a_reply_waiting_on_hold_and_a_message_after_reopening_is_owed_one(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    ticket = normal_ticket(me)  # normal: next reply within 8 business hours
    mine, theirs = f"/api/v1/tickets/{ticket['id']}", f"/api/v1/agent/tickets/{ticket['id']}"
    reply(agent, f"{theirs}/replies", "Asking the bank now.")
    set_status(agent, ticket, "on_hold")
    clock.advance(timedelta(minutes=5))
    reply(me, f"{mine}/replies", "Any news?")  # its next reply waits, paused, with the ticket
    clock.advance(timedelta(minutes=5))
    solved = set_status(agent, ticket, "solved")  # the bank paid out
    assert solved["sla_clocks"]["next_reply"]["fulfilled"] is True
    assert solved["sla"]["next_reply_due"] is None

    clock.advance(timedelta(minutes=5))  # Monday 09:15 in Shanghai
    reopened = reply(me, f"{mine}/replies", "Still not in my account!")
    assert reopened["status"] == "open"
    # A fresh 8 business hours from 09:15: Monday 17:15 in Shanghai.
    assert reopened["sla"]["next_reply_due"] == "2026-03-02T09:15:00+00:00"
    waiting = agent.get(theirs).json()["sla_clocks"]["next_reply"]
    assert (waiting["running"], waiting["elapsed"], waiting["fulfilled"]) == (True, 0, False)

    deps = TicketDeps.of(container.engine, clock)
    clock.advance(timedelta(hours=7, minutes=59))
    assert detect_breaches(deps) == []
    clock.advance(timedelta(minutes=2))
    found = detect_breaches(deps)
    assert [(str(tid), target) for tid, target in found] == [(ticket["id"], SlaTarget.NEXT_REPLY)]


def test_a_ticket_solved_on_hold_before_any_answer_owes_a_first_reply_when_it_reopens(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    ticket = normal_ticket(me)  # normal: first reply within 8 business hours
    set_status(agent, ticket, "on_hold")
    clock.advance(timedelta(hours=1))
    solved = set_status(agent, ticket, "solved")  # sorted out without a word to the customer
    assert solved["sla_clocks"]["first_reply"]["fulfilled"] is True
    assert solved["sla"]["first_reply_due"] is None

    clock.advance(timedelta(hours=1))  # Monday 11:00 in Shanghai
    reopened = reply(me, f"/api/v1/tickets/{ticket['id']}/replies", "Hello? Anyone?")
    assert reopened["status"] == "open"
    assert reopened["first_replied_at"] is None
    # 7 hours left on Monday, 1 on Tuesday: Tuesday 10:00 in Shanghai.
    assert reopened["sla"]["first_reply_due"] == "2026-03-03T02:00:00+00:00"
    assert reopened["sla"]["next_reply_due"] is None

    deps = TicketDeps.of(container.engine, clock)
    clock.advance(timedelta(hours=23, minutes=1))
    found = detect_breaches(deps)
    assert [(str(tid), target) for tid, target in found] == [(ticket["id"], SlaTarget.FIRST_REPLY)]
    agent.token = log_in(client, "agent1@walletdesk.example")  # the old session has run out
    answered = reply(agent, f"/api/v1/agent/tickets/{ticket['id']}/replies", "Sorry, here.")
    clocks = answered["sla_clocks"]
    assert (clocks["first_reply"]["fulfilled"], clocks["first_reply"]["breached"]) == (True, True)
    assert clocks["next_reply"] is None


def test_a_ticket_reopened_a_week_after_solving_is_not_late_the_moment_it_reopens(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    ticket = normal_ticket(me)
    mine, theirs = f"/api/v1/tickets/{ticket['id']}", f"/api/v1/agent/tickets/{ticket['id']}"
    reply(agent, f"{theirs}/replies", "It was paid out today.")
    reply(me, f"{mine}/replies", "Thanks!")  # a next reply target starts...
    solved = set_status(agent, ticket, "solved")  # ...and solving says nothing more is owed
    assert solved["sla_clocks"]["next_reply"]["fulfilled"] is True
    assert solved["sla_clocks"]["resolution"]["fulfilled"] is True
    assert solved["sla"]["next_reply_due"] is None

    clock.advance(timedelta(days=7))  # Monday 9 March, 09:00 in Shanghai
    me.token = log_in(client, "+8613800138000")  # the old sessions have run out
    agent.token = log_in(client, "agent1@walletdesk.example")
    reopened = reply(me, f"{mine}/replies", "Sorry, it bounced back.")
    assert reopened["status"] == "open"
    assert reopened["sla"]["next_reply_due"] == "2026-03-09T09:00:00+00:00"  # 17:00 there
    assert detect_breaches(TicketDeps.of(container.engine, clock)) == []
    clocks = agent.get(theirs).json()["sla_clocks"]
    assert (clocks["next_reply"]["running"], clocks["next_reply"]["breached"]) == (True, False)
    assert clocks["resolution"]["running"] is True


def test_reply_clocks_earlier_versions_left_open_neither_make_a_reopened_ticket_late_nor_block(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    # Stored as earlier versions left them: solving fulfilled only the resolution, so a
    # solved ticket kept its running next reply, and a reopened one its paused one.
    running = normal_ticket(me)
    paused = normal_ticket(me)
    for ticket in (running, paused):
        reply(agent, f"/api/v1/agent/tickets/{ticket['id']}/replies", "Looking into it.")
    set_status(agent, paused, "on_hold")
    for ticket in (running, paused):
        reply(me, f"/api/v1/tickets/{ticket['id']}/replies", "Thanks!")
    with container.engine.begin() as conn:
        for ticket, status in ((running, "solved"), (paused, "open")):
            record_event(
                conn,
                uuid.UUID(ticket["id"]),
                SlaEventKind.FULFILLED,
                SlaTarget.RESOLUTION,
                clock.now(),
            )
            conn.execute(
                update(ticket_tables.tickets)
                .where(ticket_tables.tickets.c.id == uuid.UUID(ticket["id"]))
                .values(status=status, solved_at=clock.now() if status == "solved" else None)
            )

    clock.advance(timedelta(days=7))  # Monday 9 March, 09:00 in Shanghai
    me.token = log_in(client, "+8613800138000")
    for ticket in (running, paused):
        view = reply(me, f"/api/v1/tickets/{ticket['id']}/replies", "It bounced back.")
        assert view["status"] == "open"
        assert view["sla"]["next_reply_due"] == "2026-03-09T09:00:00+00:00"
    assert detect_breaches(TicketDeps.of(container.engine, clock)) == []


# -- the rules behind them ---------------------------------------------------------------


def test_merged_is_reached_only_by_a_merge_and_spam_can_be_undone() -> None:
    s = TicketStatus
    assert set(TRANSITIONS) == set(TicketStatus)
    assert not any(can_set_status(current, s.MERGED) for current in TicketStatus)
    assert can_merge(s.OPEN, s.SOLVED)
    assert not can_merge(s.OPEN, s.CLOSED)
    assert not any(can_merge(closed, s.OPEN) for closed in CLOSED_STATES)
    assert TRANSITIONS[s.MERGED] == frozenset()
    assert TRANSITIONS[s.SPAM] == frozenset({s.OPEN})
    assert not can_set_status(s.SOLVED, s.SPAM)


def test_every_priority_has_a_next_reply_target_no_longer_than_its_resolution() -> None:
    for priority in Priority:
        assert 0 < NEXT_REPLY_TARGETS[priority] <= SLA_TARGETS[priority][SlaTarget.RESOLUTION]

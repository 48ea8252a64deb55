"""The SLA breach pass (housekeeping): each breach recorded once, with several workers."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from api_world import Customer, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from test_tickets import MONDAY_9, SCAM, open_ticket, staff

from walletdesk.api.app import create_app
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.support.tickets import service
from walletdesk.support.tickets import tables as ticket_tables
from walletdesk.support.tickets.rules import SlaTarget
from walletdesk.support.tickets.service import TicketDeps, detect_breaches
from walletdesk.support.tickets.sla import SlaEvent

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def client(container: Container, clock: FakeClock) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def me(client: TestClient) -> Customer:
    return sign_up(client, phone="+8613800138000", locale="zh-CN")


def breaches_stored(container: Container, ticket_id: str) -> list[str]:
    events = ticket_tables.sla_events
    with container.engine.connect() as conn:
        return list(
            conn.execute(
                select(events.c.target)
                .where(events.c.ticket_id == uuid.UUID(ticket_id), events.c.kind == "breached")
                .order_by(events.c.seq)
            ).scalars()
        )


@pytest.mark.parametrize("database_settings", ["postgres", "postgres-serializable"], indirect=True)
def test_two_passes_at_once_record_a_breach_once(
    client: TestClient,
    container: Container,
    clock: FakeClock,
    me: Customer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticket = open_ticket(me, "退款", "退款还没到账")  # normal: first reply in 8 hours
    clock.advance(timedelta(days=1))
    deps = TicketDeps.of(container.engine, clock)
    second: dict[str, Any] = {}
    read_events = service.sla_events

    def second_worker_runs_meanwhile(conn: Connection, ticket_id: uuid.UUID) -> list[SlaEvent]:
        # The first pass holds the ticket and has read its events: another worker's
        # pass runs to its end now, in its own thread and connection.
        if not second:
            second["started"] = True
            worker = threading.Thread(target=lambda: second.update(found=detect_breaches(deps)))
            worker.start()
            worker.join(timeout=30)
        return read_events(conn, ticket_id)

    monkeypatch.setattr(service, "sla_events", second_worker_runs_meanwhile)
    first = detect_breaches(deps)

    assert second["found"] == []  # it did not wait for the ticket, and left it alone
    assert [(str(tid), goal) for tid, goal in first] == [(ticket["id"], SlaTarget.FIRST_REPLY)]
    assert breaches_stored(container, ticket["id"]) == ["first_reply"]


def test_a_pass_with_nothing_newly_late_reads_no_events_and_writes_nothing(
    client: TestClient,
    container: Container,
    clock: FakeClock,
    me: Customer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticket = open_ticket(me, "客服来电", SCAM)  # urgent: first and next reply in an hour
    mine, theirs = f"/api/v1/tickets/{ticket['id']}", f"/api/v1/agent/tickets/{ticket['id']}"
    agent = staff(client, container)
    deps = TicketDeps.of(container.engine, clock)
    clock.advance(timedelta(minutes=61))
    assert detect_breaches(deps) == [(uuid.UUID(ticket["id"]), SlaTarget.FIRST_REPLY)]

    # Still late, already recorded: the next passes leave the ticket alone, without
    # a write transaction (SQLite's write lock) or a read of its events.
    with monkeypatch.context() as quiet:
        for name in ("sla_events", "run_transaction"):
            quiet.setattr(service, name, lambda *args: pytest.fail("the pass read or wrote"))
        assert detect_breaches(deps) == []

    # A breach recorded before does not hide a later activation's.
    for _ in range(2):
        agent.post(f"{theirs}/replies", json={"body": "请不要转账，我们在核实"})
        me.post(f"{mine}/replies", json={"body": "他们又打来了"})
        clock.advance(timedelta(minutes=61))
        assert detect_breaches(deps) == [(uuid.UUID(ticket["id"]), SlaTarget.NEXT_REPLY)]
    assert breaches_stored(container, ticket["id"]) == ["first_reply", "next_reply", "next_reply"]


def test_a_backlog_is_recorded_in_batches_each_ticket_once(
    client: TestClient,
    container: Container,
    clock: FakeClock,
    me: Customer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "BREACH_BATCH", 2)
    tickets = [open_ticket(me, f"退款 {n}", "退款还没到账") for n in range(3)]
    clock.advance(timedelta(days=1))

    found = detect_breaches(TicketDeps.of(container.engine, clock))

    assert sorted(str(tid) for tid, _goal in found) == sorted(t["id"] for t in tickets)
    with container.engine.connect() as conn:
        breached = conn.execute(
            select(func.count())
            .select_from(ticket_tables.sla_events)
            .where(ticket_tables.sla_events.c.kind == "breached")
        ).scalar_one()
    assert breached == 3

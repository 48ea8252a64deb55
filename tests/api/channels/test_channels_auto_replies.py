"""Automatic mail (RFC 3834) is not the customer writing: an out-of-office reply never
opens or reopens a ticket. One that threads onto the customer's ticket is kept as an
internal note for agents, status untouched; one that threads onto nothing is dropped;
none is ever answered."""

from __future__ import annotations

from typing import Any

import pytest
from agent_world import staff
from api_world import Customer
from channel_world import (
    channel_customer,
    message_count,
    raw_email,
    refs,
    signed_post,
    ticket,
    ticket_count,
)
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.support.channels.auto_replies import NOTE_LABEL
from walletdesk.support.tickets import tables as ticket_tables

BACKENDS = ["sqlite", "postgres"]
OUT_OF_OFFICE = "I am out of the office until Monday."


@pytest.fixture
def agent(client: TestClient, container: Container) -> Customer:
    return staff(client, container, 1)


def sla_event_count(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(ticket_tables.sla_events)).scalar_one()
        )


def solved_email_ticket(client: TestClient, clock: FakeClock, agent: Customer) -> dict[str, Any]:
    raw = raw_email("refund", "where is it", message_id="<m1@mail.example>")
    created = signed_post(client, clock, "email", raw).json()
    tid = created["ticket_id"]
    assert agent.post(f"/api/v1/agent/tickets/{tid}/replies", json={"body": "Paid out"}).is_success
    assert agent.post(f"/api/v1/agent/tickets/{tid}/status", json={"status": "solved"}).is_success
    result: dict[str, Any] = created
    return result


AUTOMATIC_HEADERS = {
    "auto-replied": "Auto-Submitted: auto-replied\r\n",
    "auto-generated": "Auto-Submitted: auto-generated; owner-email=li@example.com\r\n",
    "precedence-auto-reply": "Precedence: auto_reply\r\n",
    "precedence-bulk": "Precedence: bulk\r\n",
    "precedence-junk": "Precedence: junk\r\n",
    "precedence-list": "Precedence: list\r\n",
    "x-autoreply": "X-Autoreply: yes\r\n",
    "x-autorespond": "X-Autorespond: Out of office\r\n",
}


@pytest.mark.parametrize("automatic", AUTOMATIC_HEADERS.values(), ids=AUTOMATIC_HEADERS.keys())
def test_an_out_of_office_reply_leaves_a_solved_ticket_solved_and_is_noted_for_agents(
    client: TestClient,
    container: Container,
    clock: FakeClock,
    me: Customer,
    agent: Customer,
    automatic: str,
) -> None:
    solved = solved_email_ticket(client, clock, agent)
    tid = solved["ticket_id"]
    before = ticket(me, tid)
    events = sla_event_count(container)
    ooo = raw_email(
        "Automatic reply: refund",
        OUT_OF_OFFICE,
        message_id="<ooo1@mail.example>",
        extra=f"{automatic}In-Reply-To: <m1@mail.example>\r\n",
    )

    answer = signed_post(client, clock, "email", ooo)

    assert answer.status_code == 200, answer.json()
    assert (answer.json()["status"], answer.json()["ticket_id"]) == ("auto_reply", tid)
    assert ticket(me, tid) == before  # status, messages: what the customer sees is unchanged
    assert ticket(me, tid)["status"] == "solved"
    assert sla_event_count(container) == events
    assert ticket_count(container) == 1
    note = agent.get(f"/api/v1/agent/tickets/{tid}").json()["messages"][-1]
    assert note["kind"] == "internal"
    assert note["body"].endswith(OUT_OF_OFFICE)
    assert NOTE_LABEL["zh-CN"] in note["body"]
    assert NOTE_LABEL["en"] in note["body"]
    # Delivered again: still one note.
    again = signed_post(client, clock, "email", ooo)
    assert again.json()["status"] == "duplicate"
    assert (
        len(agent.get(f"/api/v1/agent/tickets/{tid}").json()["messages"])
        == len(before["messages"]) + 1
    )


@pytest.mark.parametrize("automatic", AUTOMATIC_HEADERS.values(), ids=AUTOMATIC_HEADERS.keys())
def test_automatic_mail_that_threads_onto_nothing_opens_no_ticket(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, automatic: str
) -> None:
    newsletter = raw_email("Weekly digest", OUT_OF_OFFICE, message_id="<d1@m>", extra=automatic)

    answer = signed_post(client, clock, "email", newsletter)

    assert answer.status_code == 202, answer.json()
    assert answer.json() == {"status": "auto_reply", "ticket_id": None}
    assert (ticket_count(container), message_count(container), refs(container)) == (0, 0, {})


def test_automatic_mail_from_a_stranger_gets_no_auto_reply_back(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    bounce = raw_email(
        "Out of office",
        OUT_OF_OFFICE,
        message_id="<s1@elsewhere.example>",
        sender="stranger@elsewhere.example",
        extra="Auto-Submitted: auto-replied\r\n",
    )

    answer = signed_post(client, clock, "email", bounce)

    assert answer.status_code == 202, answer.json()
    assert answer.json() == {"status": "auto_reply", "ticket_id": None}  # no "auto_reply" text
    assert (ticket_count(container), refs(container)) == (0, {})


@pytest.mark.parametrize(
    "written", ["Auto-Submitted: no\r\n", "X-Autoreply: no\r\n", "Precedence: first-class\r\n"]
)
def test_mail_a_person_wrote_still_opens_a_ticket(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, written: str
) -> None:
    raw = raw_email("refund", "where is it", message_id="<p1@mail.example>", extra=written)

    answer = signed_post(client, clock, "email", raw)

    assert answer.status_code == 201, answer.json()
    assert answer.json()["status"] == "created"
    assert ticket_count(container) == 1


def test_an_out_of_office_reply_whose_id_another_customer_holds_is_still_noted(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    # A forged or colliding Message-ID must not turn an auto-reply into a 500: it is
    # filed without the id, as any message whose id is not ours to deduplicate by.
    solved = solved_email_ticket(client, clock, agent)
    channel_customer(client, container, email="wang.fang@example.com", phone="+8613900139000")
    theirs = raw_email(
        "Question", "Hello", message_id="<ooo1@mail.example>", sender="wang.fang@example.com"
    )
    assert signed_post(client, clock, "email", theirs).status_code == 201
    ooo = raw_email(
        "Automatic reply: refund",
        OUT_OF_OFFICE,
        message_id="<ooo1@mail.example>",
        extra="Auto-Submitted: auto-replied\r\nIn-Reply-To: <m1@mail.example>\r\n",
    )

    answer = signed_post(client, clock, "email", ooo)

    assert answer.status_code == 200, answer.json()
    assert (answer.json()["status"], answer.json()["ticket_id"]) == (
        "auto_reply",
        solved["ticket_id"],
    )
    assert ticket(me, solved["ticket_id"])["status"] == "solved"
    note = agent.get(f"/api/v1/agent/tickets/{solved['ticket_id']}").json()["messages"][-1]
    assert (note["kind"], note["body"].endswith(OUT_OF_OFFICE)) == ("internal", True)
    assert ticket_count(container) == 2

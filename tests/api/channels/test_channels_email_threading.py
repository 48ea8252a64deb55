"""Replying to the desk's own email continues the ticket: each ticket notice goes out with
a Message-ID remembered for its ticket, and a reply that names none we know still
continues the sender's own ticket whose number (WD-000123) its subject quotes."""

from __future__ import annotations

from typing import Any

import pytest
from agent_world import staff
from api_world import Customer
from channel_world import (
    EMAIL,
    channel_customer,
    raw_email,
    refs,
    signed_post,
    ticket,
    ticket_count,
)
from fastapi.testclient import TestClient
from sqlalchemy import select

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.notify import tables as notify_tables
from walletdesk.notify.outbox import EMAIL_MESSAGE_ID

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def agent(client: TestClient, container: Container) -> Customer:
    return staff(client, container, 1)


def emailed_in(client: TestClient, clock: FakeClock) -> dict[str, Any]:
    """The customer writes in: a new email ticket."""
    raw = raw_email("Refund missing", "Where is my refund?", message_id="<c1@mail.example>")
    created = signed_post(client, clock, "email", raw)
    assert created.status_code == 201, created.json()
    result: dict[str, Any] = created.json()
    return result


def notice_ids(container: Container, kind: str) -> list[str]:
    """The Message-IDs the ticket notices of ``kind`` were emailed with, oldest first."""
    container.dispatcher.run_once()
    with container.engine.connect() as conn:
        payloads = conn.execute(
            select(notify_tables.outbox.c.payload)
            .where(notify_tables.outbox.c.kind == kind)
            .order_by(notify_tables.outbox.c.seq)
        ).scalars()
        return [str(payload[EMAIL_MESSAGE_ID]) for payload in payloads]


def reply(subject: str, body: str, message_id: str, in_reply_to: str) -> bytes:
    threading = f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n"
    return raw_email(subject, body, message_id=message_id, extra=threading)


def test_a_reply_to_the_reply_notice_continues_the_ticket(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    created = emailed_in(client, clock)
    answered = agent.post(
        f"/api/v1/agent/tickets/{created['ticket_id']}/replies", json={"body": "Checking"}
    )
    assert answered.status_code == 201, answered.json()
    [notice] = notice_ids(container, "ticket_reply")
    assert notice.startswith(f"<ticket-{created['ticket_id']}-")
    assert refs(container)[f"email:{notice}"] == created["ticket_id"]
    [mail] = [m for m in container.email.messages_to(EMAIL) if "New reply" in (m.subject or "")]
    assert created["number"] in (mail.subject or "")

    # The mail client's reply names only the notice; its subject no ticket number.
    answer = signed_post(client, clock, "email", reply("Re:", "Still missing", "<c2@m>", notice))

    assert answer.status_code == 200, answer.json()
    assert (answer.json()["status"], answer.json()["ticket_id"]) == (
        "threaded",
        created["ticket_id"],
    )
    assert ticket_count(container) == 1
    bodies = [m["body"] for m in ticket(me, created["ticket_id"])["messages"]]
    assert bodies == ["Where is my refund?", "Checking", "Still missing"]


def test_a_reply_to_the_solved_notice_reopens_the_ticket(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    created = emailed_in(client, clock)
    solved = agent.post(
        f"/api/v1/agent/tickets/{created['ticket_id']}/status", json={"status": "solved"}
    )
    assert solved.status_code == 200, solved.json()
    [notice] = notice_ids(container, "ticket_solved")

    answer = signed_post(client, clock, "email", reply("Re: 解决了吗", "没有", "<c2@m>", notice))

    assert answer.json()["ticket_id"] == created["ticket_id"], answer.json()
    assert ticket(me, created["ticket_id"])["status"] == "open"
    assert ticket_count(container) == 1


def test_a_reply_quoting_the_senders_own_ticket_number_continues_it(
    client: TestClient, container: Container, clock: FakeClock, me: Customer
) -> None:
    created = emailed_in(client, clock)
    # A notice sent before Message-IDs were remembered: its id is known to nobody.
    subject = f"Re: New reply to your request {created['number']}"
    unknown_notice = "<notice-1@walletdesk.example>"

    answer = signed_post(client, clock, "email", reply(subject, "Still?", "<c2@m>", unknown_notice))

    assert answer.json()["status"] == "threaded", answer.json()
    assert answer.json()["ticket_id"] == created["ticket_id"]
    assert ticket_count(container) == 1


def test_a_subject_quoting_someone_elses_ticket_number_opens_a_ticket_of_ones_own(
    client: TestClient, container: Container, clock: FakeClock, me: Customer
) -> None:
    someone = channel_customer(
        client, container, email="wang.fang@example.com", phone="+8613900139000", name="Wang Fang"
    )
    theirs = signed_post(
        client,
        clock,
        "email",
        raw_email(
            "Card stolen",
            "My card was stolen",
            message_id="<w1@mail.example>",
            sender="wang.fang@example.com",
        ),
    ).json()
    before = ticket(someone, theirs["ticket_id"])

    mine = signed_post(
        client,
        clock,
        "email",
        raw_email(f"Re: {theirs['number']}", "Add this to it", message_id="<c9@mail.example>"),
    )

    assert mine.status_code == 201, mine.json()
    assert mine.json()["status"] == "created"
    assert mine.json()["ticket_id"] != theirs["ticket_id"]
    assert ticket(someone, theirs["ticket_id"]) == before
    assert ticket(me, mine.json()["ticket_id"])["messages"][0]["body"] == "Add this to it"

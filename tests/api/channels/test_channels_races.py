"""A gateway's retry racing the first delivery of the same message files it once: the
message's own id (email Message-ID, phone call id, social message id) is claimed in the
transaction that writes the ticket or the reply, so the slower one finds it taken."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from api_world import Customer
from channel_world import (
    PHONE,
    message_count,
    raw_email,
    refs,
    ticket,
    ticket_count,
)

from walletdesk.bootstrap import Container
from walletdesk.support.channels import email_in, inbound, phone, social
from walletdesk.support.channels.inbound import Outcome
from walletdesk.support.tickets.deps import TicketDeps

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def deps(container: Container) -> TicketDeps:
    return TicketDeps.of(container.engine, container.clock)


def twice_at_once(
    monkeypatch: pytest.MonkeyPatch, writer: str, deliver: Callable[[], Outcome | None]
) -> list[str]:
    """Deliver the same message from two threads that both pass every check before
    either writes (they meet at ``inbound.<writer>``); the statuses they answer."""
    both_checked = threading.Barrier(2, timeout=20)
    write = getattr(inbound, writer)

    def write_once_both_checked(*args, **kwargs):  # type: ignore[no-untyped-def]
        both_checked.wait()
        return write(*args, **kwargs)

    monkeypatch.setattr(inbound, writer, write_once_both_checked)
    answers: list[str] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            outcome = deliver()
            assert outcome is not None
            answers.append(outcome.public()["status"])
        except BaseException as exc:  # reported below, with the test's own assertion
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    return sorted(answers)


RACERS: dict[str, Callable[[TicketDeps], Outcome | None]] = {
    "email": lambda deps: email_in.receive(
        deps, raw_email("Refund missing", "Where is my refund?", message_id="<same@mail.example>")
    ),
    "phone": lambda deps: phone.call_ended(
        deps, call_id="call-7", caller=PHONE, summary="退款没到账", duration_seconds=65
    ),
    "social": lambda deps: social.receive(
        deps,
        platform="weibo",
        handle="@lilei",
        text="退款没到账",
        message_id="dm-1",
        phone=PHONE,
        email=None,
    ),
}


OWN_REF = {
    "email": "email:<same@mail.example>",
    "phone": "phone:call-7",
    "social": "social:weibo:lilei:dm-1",
}


@pytest.mark.parametrize("channel", RACERS)
def test_a_retry_racing_the_first_delivery_opens_one_ticket(
    container: Container,
    me: Customer,
    deps: TicketDeps,
    monkeypatch: pytest.MonkeyPatch,
    channel: str,
) -> None:
    answers = twice_at_once(monkeypatch, "do_create_ticket", lambda: RACERS[channel](deps))

    assert answers == ["created", "duplicate"]
    assert ticket_count(container) == 1
    assert message_count(container) == 1
    created = next(iter(set(refs(container).values())))
    assert refs(container)[OWN_REF[channel]] == created


def test_a_retried_reply_racing_the_first_adds_it_once(
    container: Container, me: Customer, deps: TicketDeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = email_in.receive(deps, raw_email("Refund", "Where is it?", message_id="<a1@mail>"))
    assert first is not None
    reply = raw_email(
        "Re: Refund", "Still missing", message_id="<a2@mail>", extra="In-Reply-To: <a1@mail>\r\n"
    )

    answers = twice_at_once(monkeypatch, "do_customer_reply", lambda: email_in.receive(deps, reply))

    assert answers == ["duplicate", "threaded"]
    assert ticket_count(container) == 1
    bodies = [m["body"] for m in ticket(me, first.ticket["id"])["messages"]]
    assert bodies == ["Where is it?", "Still missing"]
    assert refs(container)["email:<a2@mail>"] == first.ticket["id"]

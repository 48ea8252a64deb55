"""A signed channel request names its delivery by what it signs, and has one spelling: a
captured request sent again within the signature's tolerance is never a new message."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from channel_world import (
    MONDAY_9,
    PHONE,
    SECRET,
    channel_customer,
    message_count,
    refs,
    signed_post,
    ticket,
    ticket_count,
)
from fastapi.testclient import TestClient

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.support.channels.signature import sign

BACKENDS = ["sqlite", "postgres"]


def direct_message(text: str) -> bytes:
    # No message_id: the platform gave none, so the signed delivery names the message.
    return json.dumps(
        {"platform": "weibo", "handle": "@lilei", "text": text, "phone": PHONE}
    ).encode()


def no_message_id_email(text: str) -> bytes:
    return (
        "From: Li Lei <li.lei@example.com>\r\nSubject: refund\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}"
    ).encode()


RESPELLINGS: dict[str, Callable[[str], str]] = {
    "leading-space": lambda h: " " + h,
    "space-after-comma": lambda h: h.replace(",", ", "),
    "extra-field": lambda h: h + ",v0=whatever",
    "second-v1": lambda h: h + ",v1=" + "0" * 64,
    "leading-zero": lambda h: h.replace("t=", "t=0"),
    "underscore-in-t": lambda h: h.replace("t=1", "t=1_"),
    "fields-swapped": lambda h: ",".join(reversed(h.split(","))),
    "upper-case-hex": lambda h: h.split("v1=")[0] + "v1=" + h.split("v1=")[1].upper(),
    "trailing-comma": lambda h: h + ",",
}


@pytest.mark.parametrize("path", ["social", "email"])
@pytest.mark.parametrize("respell", RESPELLINGS.values(), ids=RESPELLINGS.keys())
def test_a_captured_request_respelled_is_refused_and_changes_nothing(
    client: TestClient,
    container: Container,
    clock: FakeClock,
    path: str,
    respell: Callable[[str], str],
) -> None:
    me = channel_customer(client, container)
    body = direct_message("退款呢") if path == "social" else no_message_id_email("退款呢")
    header = sign(SECRET, int(clock.now().timestamp()), body)
    first = signed_post(client, clock, path, body, header=header)
    assert first.status_code == 201, first.json()
    stored = (ticket_count(container), message_count(container), refs(container))

    replay = signed_post(client, clock, path, body, header=respell(header))

    assert replay.status_code == 401, replay.json()
    assert replay.json()["code"] == "bad_signature"
    assert (ticket_count(container), message_count(container), refs(container)) == stored
    assert [m["body"] for m in ticket(me, first.json()["ticket_id"])["messages"]] == ["退款呢"]


@pytest.mark.parametrize("path", ["social", "email"])
def test_the_same_request_sent_again_is_a_duplicate_and_a_fresh_signature_a_new_message(
    client: TestClient, container: Container, clock: FakeClock, path: str
) -> None:
    me = channel_customer(client, container)
    body = direct_message("退款呢") if path == "social" else no_message_id_email("退款呢")
    header = sign(SECRET, int(clock.now().timestamp()), body)
    first = signed_post(client, clock, path, body, header=header)
    assert first.status_code == 201, first.json()

    again = signed_post(client, clock, path, body, header=header)

    assert again.status_code == 200, again.json()
    assert again.json()["status"] == "duplicate"
    assert again.json()["ticket_id"] == first.json()["ticket_id"]
    assert len(ticket(me, first.json()["ticket_id"])["messages"]) == 1
    # The gateway sending the same words a second later signs a new timestamp: a new message.
    clock.set(MONDAY_9.replace(second=1))
    fresh = signed_post(client, clock, path, body)
    if path == "social":  # a handle's messages share its open ticket
        assert fresh.json()["status"] == "threaded", fresh.json()
        assert len(ticket(me, first.json()["ticket_id"])["messages"]) == 2
    else:  # an email that replies to nothing is a new request
        assert fresh.json()["status"] == "created", fresh.json()
        assert ticket_count(container) == 2

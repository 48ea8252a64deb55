"""The inbound channels know a customer only by a *verified* email or phone.

Sign-up proves neither, so whoever registers with someone else's address or number must
get nothing of theirs: the mail, the call summary and the social handle of the real
owner are treated as a stranger's (the auto-reply, nothing stored). Once a customer
verifies a contact, their mail and calls are filed and threaded as before
(test_channels.py); when they change it, the new one counts only once verified.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from api_world import Customer, sign_up, verify_contact
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.support.channels.signature import HEADER, sign
from walletdesk.support.channels.tables import channel_refs
from walletdesk.support.tickets import tables as ticket_tables

BACKENDS = ["sqlite", "postgres"]
SECRET = "test-channels-secret"
MONDAY_9 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
VICTIM_EMAIL = "wang.fang@example.com"
VICTIM_PHONE = "+8613900139000"


def post(client: TestClient, clock: FakeClock, path: str, body: dict[str, Any] | bytes) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    header = sign(SECRET, int(clock.now().timestamp()), raw)
    return client.post(f"/api/v1/channels/{path}", content=raw, headers={HEADER: header})


def mail(sender: str, message_id: str, text: str) -> bytes:
    return (
        f"From: Wang Fang <{sender}>\r\nTo: support@walletdesk.example\r\n"
        f"Subject: card stolen\r\nMessage-ID: {message_id}\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n\r\n' + text
    ).encode()


def stored(container: Container) -> dict[str, int]:
    """Everything a message could have left behind: tickets, their messages, and the
    references that thread mail and link social handles."""
    with container.engine.connect() as conn:

        def count(table: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

        return {
            "tickets": count(ticket_tables.tickets),
            "messages": count(ticket_tables.ticket_messages),
            "refs": count(channel_refs),
        }


NOTHING = {"tickets": 0, "messages": 0, "refs": 0}


def assert_stranger(response: Any) -> None:
    """The unknown sender's answer: accepted, nothing filed, the auto-reply to send back
    in both languages telling them to sign in and verify their contact."""
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "unknown_sender"
    assert body["ticket_id"] is None
    assert "auto-reply" in body["note"]
    assert "sign in to the walletdesk app and verify your email address" in body["auto_reply"]["en"]
    assert "请登录 walletdesk App" in body["auto_reply"]["zh-CN"]
    assert "验证您的邮箱和手机号" in body["auto_reply"]["zh-CN"]


def tickets_of(who: Customer) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = who.get("/api/v1/tickets").json()["items"]
    return items


def test_mail_from_an_address_a_squatter_registered_is_a_strangers(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    squatter = sign_up(client, phone=None, email=VICTIM_EMAIL, name="Not Wang Fang")
    response = post(
        client,
        clock,
        "email",
        mail(VICTIM_EMAIL, "<w1@example.com>", "My card 6222 0212 3456 7890 was stolen"),
    )
    assert_stranger(response)
    assert tickets_of(squatter) == []
    assert stored(container) == NOTHING


def test_the_auto_reply_does_not_tell_a_squatted_address_from_an_unknown_one(
    client: TestClient, clock: FakeClock
) -> None:
    sign_up(client, phone=None, email=VICTIM_EMAIL, name="Not Wang Fang")
    squatted = post(client, clock, "email", mail(VICTIM_EMAIL, "<w1@example.com>", "help"))
    unknown = post(client, clock, "email", mail("nobody@example.net", "<n1@example.com>", "help"))
    assert squatted.json() == unknown.json()


def test_a_call_from_a_number_a_squatter_registered_is_a_strangers(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    squatter = sign_up(client, phone=VICTIM_PHONE, email=None, name="Not Wang Fang")
    call = {"call_id": "call-1", "caller": VICTIM_PHONE}
    ringing = post(client, clock, "phone", call | {"event": "ringing"})
    # The agent's screen does not name the squatter as the caller either.
    assert ringing.status_code == 200
    assert (ringing.json()["customer_id"], ringing.json()["customer_name"]) == (None, None)
    ended = post(
        client,
        clock,
        "phone",
        call | {"event": "ended", "summary": "Reported stolen card; home address 5 Nanjing Rd"},
    )
    assert_stranger(ended)
    assert tickets_of(squatter) == []
    assert stored(container) == NOTHING


def test_a_social_handle_is_not_linked_through_a_squatted_contact(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    squatter = sign_up(client, phone=VICTIM_PHONE, email=VICTIM_EMAIL, name="Not Wang Fang")
    dm = {"platform": "weibo", "handle": "@wangfang", "text": "我的卡被盗了"}
    by_phone = post(client, clock, "social", dm | {"message_id": "m1", "phone": VICTIM_PHONE})
    by_email = post(client, clock, "social", dm | {"message_id": "m2", "email": VICTIM_EMAIL})
    later = post(client, clock, "social", dm | {"message_id": "m3", "text": "身份证号是……"})
    for response in (by_phone, by_email, later):
        assert_stranger(response)
    assert tickets_of(squatter) == []
    assert stored(container) == NOTHING


def test_once_verified_the_owners_mail_and_calls_are_filed_and_threaded(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    owner = sign_up(client, phone=VICTIM_PHONE, email=VICTIM_EMAIL, name="Wang Fang")
    before = post(client, clock, "email", mail(VICTIM_EMAIL, "<w0@example.com>", "hello?"))
    assert_stranger(before)
    verify_contact(owner, container, "email")
    verify_contact(owner, container, "phone")

    first = post(client, clock, "email", mail(VICTIM_EMAIL, "<w1@example.com>", "card stolen"))
    assert first.status_code == 201, first.json()
    reply = mail(VICTIM_EMAIL, "<w2@example.com>", "it was a debit card").replace(
        b"Message-ID:", b"In-Reply-To: <w1@example.com>\r\nMessage-ID:"
    )
    threaded = post(client, clock, "email", reply)
    assert threaded.status_code == 200, threaded.json()
    assert threaded.json()["ticket_id"] == first.json()["ticket_id"]
    call = post(
        client,
        clock,
        "phone",
        {"call_id": "c1", "event": "ended", "caller": VICTIM_PHONE, "summary": "card stolen"},
    )
    assert call.status_code == 201, call.json()
    mine = {t["id"] for t in tickets_of(owner)}
    assert mine == {first.json()["ticket_id"], call.json()["ticket_id"]}


def test_a_changed_email_counts_only_once_verified_and_the_old_one_no_more(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    owner = sign_up(client, phone=None, email=VICTIM_EMAIL, name="Wang Fang")
    verify_contact(owner, container, "email")
    moved = owner.put(
        "/api/v1/me/email",
        json={"email": "fang.wang@example.org"},
        headers={"X-Verification-Token": owner.step_up()},
    )
    assert moved.status_code == 200, moved.json()
    owner.user = moved.json()
    assert_stranger(post(client, clock, "email", mail(VICTIM_EMAIL, "<o1@example.com>", "hi")))
    new_address = mail("fang.wang@example.org", "<n1@example.com>", "hi")
    assert_stranger(post(client, clock, "email", new_address))
    assert stored(container) == NOTHING
    verify_contact(owner, container, "email")
    assert post(client, clock, "email", new_address).status_code == 201

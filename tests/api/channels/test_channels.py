"""Inbound channels (API.md "Customer service"): signed email, phone and social webhooks
that each produce the same ticket; email in several encodings, threaded by Message-ID."""

from __future__ import annotations

import base64
import json
import quopri
from datetime import UTC, datetime, timedelta
from email.header import Header
from typing import Any

import pytest
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
EMAIL = "li.lei@example.com"


@pytest.fixture
def me(client: TestClient, container: Container) -> Customer:
    """A customer whose phone and email are verified: only those identify them to the
    channels (test_channels_verified_contacts.py has the unverified ones)."""
    customer = sign_up(client, locale="zh-CN", phone="+8613800138000", email=EMAIL)
    verify_contact(customer, container, "phone")
    verify_contact(customer, container, "email")
    return customer


def post(
    client: TestClient, clock: FakeClock, path: str, body: bytes, secret: str = SECRET, age: int = 0
) -> Any:
    stamp = int((clock.now() - timedelta(seconds=age)).timestamp())
    return client.post(
        f"/api/v1/channels/{path}", content=body, headers={HEADER: sign(secret, stamp, body)}
    )


def ticket_count(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(ticket_tables.tickets)).scalar_one()
        )


def mail(
    subject: str,
    body: bytes,
    *,
    charset: str,
    encoding: str,
    message_id: str,
    sender: str = f"Li Lei <{EMAIL}>",
    extra: str = "",
) -> bytes:
    """A raw message: the subject as an RFC 2047 encoded-word, the body as given."""
    encoded_subject = Header(subject, charset).encode()
    if encoding == "base64":
        payload = base64.encodebytes(body)
    elif encoding == "quoted-printable":
        payload = quopri.encodestring(body)
    else:
        payload = body
    head = (
        f"From: {sender}\r\n"
        "To: support@walletdesk.example\r\n"
        f"Subject: {encoded_subject}\r\n"
        f"Message-ID: {message_id}\r\n"
        f"{extra}"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: text/plain; charset="{charset}"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    return head.encode("ascii") + payload


def view(me: Customer, ticket_id: str) -> dict[str, Any]:
    response = me.get(f"/api/v1/tickets/{ticket_id}")
    assert response.status_code == 200, response.json()
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize(
    ("charset", "encoding", "subject", "text"),
    [
        ("utf-8", "base64", "付款失败了", "在茶馆付款失败，提示余额不足。"),
        ("gb2312", "quoted-printable", "退款进度查询", "朱镕基路的店退款还没到账"),  # 镕: GBK only
        ("gbk", "8bit", "修改手机号", "我的手机号换了，怎么修改？"),
        ("big5", "base64", "退款還沒到帳", "請問我的退款什麼時候到帳？"),
        ("big5", "quoted-printable", "帳戶被凍結", "我的帳戶為什麼被凍結了"),
    ],
)
def test_email_in_each_encoding_creates_a_ticket(
    client: TestClient,
    clock: FakeClock,
    me: Customer,
    charset: str,
    encoding: str,
    subject: str,
    text: str,
) -> None:
    codec = "gb18030" if charset in {"gb2312", "gbk"} else charset
    raw = mail(
        subject,
        text.encode(codec),
        charset=charset,
        encoding=encoding,
        message_id="<first@mail.example.com>",
    )
    response = post(client, clock, "email", raw)
    assert response.status_code == 201, response.json()
    ticket = view(me, response.json()["ticket_id"])
    assert ticket["channel"] == "email"
    assert ticket["subject"] == subject
    assert ticket["messages"][0]["body"] == text


def test_a_reply_threads_onto_the_same_ticket(
    client: TestClient, container: Container, clock: FakeClock, me: Customer
) -> None:
    first = mail(
        "付款失败了",
        "在茶馆付款失败".encode(),
        charset="utf-8",
        encoding="base64",
        message_id="<a1@mail.example.com>",
    )
    created = post(client, clock, "email", first)
    assert created.status_code == 201
    ticket_id = created.json()["ticket_id"]

    reply = mail(
        "Re: 付款失败了",
        "补充：订单号 42".encode("gbk"),
        charset="gbk",
        encoding="quoted-printable",
        message_id="<a2@mail.example.com>",
        extra="In-Reply-To: <a1@mail.example.com>\r\nReferences: <a1@mail.example.com>\r\n",
    )
    threaded = post(client, clock, "email", reply)
    assert threaded.status_code == 200, threaded.json()
    assert threaded.json()["threaded"] is True
    assert threaded.json()["ticket_id"] == ticket_id

    # A later reply that only carries References (the first message) threads too.
    later = mail(
        "Re: Re: 付款失败了",
        "还在吗".encode(),
        charset="utf-8",
        encoding="8bit",
        message_id="<a3@mail.example.com>",
        extra="References: <a1@mail.example.com> <a2@mail.example.com>\r\n",
    )
    assert post(client, clock, "email", later).json()["ticket_id"] == ticket_id
    # The same message delivered again changes nothing.
    again = post(client, clock, "email", later)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"

    bodies = [m["body"] for m in view(me, ticket_id)["messages"]]
    assert bodies == ["在茶馆付款失败", "补充：订单号 42", "还在吗"]
    assert ticket_count(container) == 1


def test_unknown_sender_is_accepted_but_stores_nothing(
    client: TestClient, container: Container, clock: FakeClock, me: Customer
) -> None:
    raw = mail(
        "hello",
        b"who are you",
        charset="utf-8",
        encoding="8bit",
        message_id="<x@elsewhere.example>",
        sender="stranger@elsewhere.example",
    )
    response = post(client, clock, "email", raw)
    assert response.status_code == 202
    assert response.json()["status"] == "unknown_sender"
    assert "auto-reply" in response.json()["note"]
    assert ticket_count(container) == 0


def test_bad_or_stale_signature_is_refused_and_nothing_stored(
    client: TestClient, container: Container, clock: FakeClock, me: Customer
) -> None:
    raw = mail(
        "付款失败了",
        "在茶馆付款失败".encode(),
        charset="utf-8",
        encoding="base64",
        message_id="<bad@mail.example.com>",
    )
    assert post(client, clock, "email", raw, secret="wrong").status_code == 401
    assert post(client, clock, "email", raw, age=3600).status_code == 401
    unsigned = client.post("/api/v1/channels/email", content=raw)
    assert unsigned.status_code == 401
    assert unsigned.json()["code"] == "bad_signature"
    event = json.dumps({"call_id": "c1", "event": "ended", "caller": "13800138000"}).encode()
    assert post(client, clock, "phone", event, secret="wrong").status_code == 401
    # Signed for one body, sent with another.
    stamp = int(clock.now().timestamp())
    tampered = client.post(
        "/api/v1/channels/email",
        content=raw + b"x",
        headers={HEADER: sign(SECRET, stamp, raw)},
    )
    assert tampered.status_code == 401
    assert ticket_count(container) == 0
    with container.engine.connect() as conn:
        refs = conn.execute(
            select(func.count())
            .select_from(channel_refs)
            .where(channel_refs.c.ref == "email:<bad@mail.example.com>")
        ).scalar()
    assert refs == 0


def test_phone_call_ended_files_a_ticket_for_the_matched_customer(
    client: TestClient, container: Container, clock: FakeClock, me: Customer
) -> None:
    def event(kind: str, **extra: Any) -> Any:
        body = {"call_id": "call-7", "event": kind, "caller": "138 0013 8000", **extra}
        return post(client, clock, "phone", json.dumps(body).encode())

    ringing = event("ringing")
    assert ringing.status_code == 200
    assert ringing.json()["customer_id"] == me.user["id"]
    assert ringing.json()["caller"] == "+8613800138000"
    assert event("answered").status_code == 200
    assert ticket_count(container) == 0

    ended = event("ended", summary="客户询问付款失败原因，已告知充值后重试。", duration_seconds=185)
    assert ended.status_code == 201, ended.json()
    ticket = view(me, ended.json()["ticket_id"])
    assert ticket["channel"] == "phone"
    assert "客户询问付款失败原因" in ticket["messages"][0]["body"]
    assert "3 分 5 秒" in ticket["messages"][0]["body"]
    # The provider retries: still one ticket.
    assert event("ended", summary="again").json()["ticket_id"] == ticket["id"]
    assert ticket_count(container) == 1

    stranger = post(
        client,
        clock,
        "phone",
        json.dumps({"call_id": "call-8", "event": "ended", "caller": "+8613900139000"}).encode(),
    )
    assert stranger.status_code == 202
    assert ticket_count(container) == 1


def test_social_messages_link_a_handle_and_share_its_ticket(
    client: TestClient, container: Container, clock: FakeClock, me: Customer
) -> None:
    def dm(text: str, message_id: str, **extra: Any) -> Any:
        body = {"platform": "weibo", "handle": "@lilei", "text": text, "message_id": message_id}
        return post(client, clock, "social", json.dumps(body | extra).encode())

    assert dm("在吗", "m0").status_code == 202  # not linked to anyone yet
    first = dm("我的退款还没到账", "m1", phone="13800138000")
    assert first.status_code == 201, first.json()
    second = dm("订单号 42", "m2")
    assert second.status_code == 200
    assert second.json()["ticket_id"] == first.json()["ticket_id"]
    ticket = view(me, first.json()["ticket_id"])
    assert ticket["channel"] == "social"
    assert [m["body"] for m in ticket["messages"]] == ["我的退款还没到账", "订单号 42"]
    assert ticket_count(container) == 1


def test_a_replayed_delivery_without_an_id_of_its_own_is_a_duplicate_not_a_second_message(
    client: TestClient, container: Container, clock: FakeClock, me: Customer
) -> None:
    """A signed request captured and sent again within the signature's tolerance carries no
    message id to dedupe by: the signature names the delivery. A new message, signed afresh,
    is stored."""
    dm = json.dumps(
        {"platform": "weibo", "handle": "@lilei", "text": "退款呢", "phone": me.user["phone"]}
    ).encode()
    email = (
        f"From: Li Lei <{EMAIL}>\r\nTo: support@walletdesk.example\r\nSubject: refund\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nWhere is my refund?"
    ).encode()
    for path, body in (("social", dm), ("email", email)):
        stamp = int(clock.now().timestamp())
        signed = {HEADER: sign(SECRET, stamp, body)}
        first = client.post(f"/api/v1/channels/{path}", content=body, headers=signed)
        assert first.status_code == 201, first.json()
        clock.advance(timedelta(seconds=30))
        before = view(me, first.json()["ticket_id"])["messages"]
        replayed = client.post(f"/api/v1/channels/{path}", content=body, headers=signed)
        assert replayed.status_code == 200, replayed.json()
        assert replayed.json()["status"] == "duplicate"
        assert view(me, first.json()["ticket_id"])["messages"] == before
        # The gateway sending the same words again signs afresh: a new message.
        again = post(client, clock, path, body)
        assert again.status_code in (200, 201), again.json()
        assert again.json()["status"] != "duplicate"

"""The senders: SMTP speaks real SMTP with a timeout, the twins store and can be told to fail."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message

import pytest
from notify_world import ALICE_EMAIL, ALICE_PHONE
from sqlalchemy import Engine

from walletdesk.core.clock import FakeClock
from walletdesk.notify.channels import (
    DeliveryFailed,
    SmtpEmailSender,
    StoredEmailSender,
    StoredSmsSender,
)
from walletdesk.notify.messages import Channel

BACKENDS = ["sqlite"]


class TinySmtpHandler(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 to accept one message without TLS or auth."""

    received: list[Message]

    def handle(self) -> None:
        self.wfile.write(b"220 tiny ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250 tiny\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk
                self.received.append(message_from_bytes(data))
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[Message]]]:
    received: list[Message] = []
    handler = type("Handler", (TinySmtpHandler,), {"received": received})
    with socketserver.TCPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield server.server_address[1], received
        server.shutdown()
        thread.join(5)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_smtp_sends_a_plain_text_email_in_utf8(smtp_server: tuple[int, list[Message]]) -> None:
    port, received = smtp_server
    sender = SmtpEmailSender(
        host="127.0.0.1", port=port, sender="alerts@walletdesk.test", starttls=False, timeout=5
    )
    sender.send(ALICE_EMAIL, "您的密码已修改", "您的 walletdesk 账户密码已修改。")
    [message] = received
    assert message["To"] == ALICE_EMAIL
    assert message["From"] == "alerts@walletdesk.test"
    assert str(make_header(decode_header(str(message["Subject"])))) == "您的密码已修改"
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert payload.decode("utf-8") == "您的 walletdesk 账户密码已修改。\r\n"  # CRLF on the wire


def test_smtp_sends_the_message_id_it_is_given(smtp_server: tuple[int, list[Message]]) -> None:
    port, received = smtp_server
    sender = SmtpEmailSender(
        host="127.0.0.1", port=port, sender="alerts@walletdesk.test", starttls=False, timeout=5
    )
    sender.send(ALICE_EMAIL, "WD-000001", "answered", message_id="<ticket-1-ab@walletdesk.test>")
    sender.send(ALICE_EMAIL, "password changed", "body")
    threaded, plain = received
    assert threaded.get_all("Message-ID") == ["<ticket-1-ab@walletdesk.test>"]
    assert plain["Message-ID"] is None  # the mail server gives it one


def test_smtp_that_cannot_connect_raises_delivery_failed() -> None:
    sender = SmtpEmailSender(
        host="127.0.0.1", port=free_port(), sender="a@walletdesk.test", starttls=False, timeout=2
    )
    with pytest.raises(DeliveryFailed, match="smtp: ConnectionRefusedError") as failed:
        sender.send(ALICE_EMAIL, "subject", "body")
    assert failed.value.code == "delivery_failed"


def test_twins_store_what_they_send_and_fail_exactly_as_often_as_told(
    engine: Engine, clock: FakeClock
) -> None:
    email = StoredEmailSender(engine, clock)
    sms = StoredSmsSender(engine, clock)
    sms.fail_next(2, reason="gateway timeout")
    for _ in range(2):
        with pytest.raises(DeliveryFailed, match="sms: gateway timeout"):
            sms.send(ALICE_PHONE, "first")
    sms.send(ALICE_PHONE, "third time lucky")
    email.send(ALICE_EMAIL, "Hello", "Body")

    [text] = sms.messages_to(ALICE_PHONE)
    assert (text.channel, text.subject, text.body, text.created_at) == (
        Channel.SMS,
        None,
        "third time lucky",
        clock.now(),
    )
    assert [(m.subject, m.body) for m in email.messages_to(ALICE_EMAIL)] == [("Hello", "Body")]
    assert email.messages_to(ALICE_PHONE) == []
    with pytest.raises(ValueError, match="negative"):
        sms.fail_next(-1)

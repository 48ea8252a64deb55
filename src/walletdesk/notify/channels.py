"""Email and SMS behind Protocols, with SMTP for production and stored twins for the rest.

The twins are real code: the demo and the tests use them, and they keep what they
would have sent in ``notify_messages`` so a person (or a test) can read a code
back. Every sender raises :class:`DeliveryFailed` when a message did not go out;
the dispatcher then retries later.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import Connection, Engine, select

from walletdesk.core.clock import Clock
from walletdesk.core.errors import WalletdeskError
from walletdesk.db.transactions import run_transaction
from walletdesk.notify import tables as t
from walletdesk.notify.messages import Channel


class OutboxError(WalletdeskError):
    """Base of notification delivery errors."""

    code = "outbox_error"
    http_status = 500


class DeliveryFailed(OutboxError):
    """A message could not be handed to its carrier; sending it again later may work."""

    code = "delivery_failed"
    http_status = 502


class EmailSender(Protocol):
    def send(self, to: str, subject: str, body: str, *, message_id: str | None = None) -> None:
        """Hand one plain-text email to the carrier. Raises DeliveryFailed.

        ``message_id`` (``<left@right>``) is the Message-ID the email must carry, when the
        caller needs to recognise replies to it; without one the carrier picks its own."""
        ...


class SmsSender(Protocol):
    def send(self, to: str, body: str) -> None:
        """Hand one SMS to the carrier. Raises DeliveryFailed."""
        ...


class SmtpEmailSender:
    """Plain-text email over SMTP, one connection per message.

    ``timeout`` (seconds) bounds connecting and every socket operation, so a dead
    mail server delays one dispatch attempt instead of hanging the worker.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int = 587,
        sender: str,
        starttls: bool = True,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.username = username
        self._password = password
        self.timeout = timeout

    def send(self, to: str, subject: str, body: str, *, message_id: str | None = None) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        if message_id is not None:
            message["Message-ID"] = message_id
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self._password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"smtp: {type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One message a twin "sent"."""

    id: int
    channel: Channel
    to_address: str
    subject: str | None
    body: str
    created_at: datetime


class _StoredSender:
    """Shared body of the twins: failure injection and the write to notify_messages."""

    channel: Channel

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._failures_left = 0
        self._failure_reason = ""
        self._lock = threading.Lock()

    def fail_next(self, count: int, reason: str = "carrier unavailable (simulated)") -> None:
        """Make the next ``count`` sends raise DeliveryFailed without storing anything."""
        if count < 0:
            raise ValueError("count must not be negative")
        with self._lock:
            self._failures_left = count
            self._failure_reason = reason

    def messages_to(self, to_address: str) -> list[StoredMessage]:
        """What this twin sent to ``to_address``, oldest first."""
        with self.engine.connect() as conn:
            return read_messages(conn, to_address, channel=self.channel)

    def _store(self, to: str, subject: str | None, body: str) -> None:
        with self._lock:
            if self._failures_left > 0:
                self._failures_left -= 1
                raise DeliveryFailed(f"{self.channel}: {self._failure_reason}")
        row = {
            "channel": self.channel.value,
            "to_address": to,
            "subject": subject,
            "body": body,
            "created_at": self.clock.now(),
        }
        run_transaction(self.engine, lambda conn: conn.execute(t.messages.insert(), row))


class StoredEmailSender(_StoredSender):
    """The email twin: stores each message instead of sending it."""

    channel = Channel.EMAIL

    def send(self, to: str, subject: str, body: str, *, message_id: str | None = None) -> None:
        # The Message-ID is not kept: notify_messages has no column for it, and the outbox
        # row that asked for this email still holds it (outbox.EMAIL_MESSAGE_ID).
        self._store(to, subject, body)


class StoredSmsSender(_StoredSender):
    """The SMS twin: stores each message instead of sending it."""

    channel = Channel.SMS

    def send(self, to: str, body: str) -> None:
        self._store(to, None, body)


def read_messages(
    conn: Connection, to_address: str, *, channel: Channel | None = None
) -> list[StoredMessage]:
    """Messages the twins stored for ``to_address``, oldest first."""
    stmt = select(t.messages).where(t.messages.c.to_address == to_address)
    if channel is not None:
        stmt = stmt.where(t.messages.c.channel == channel.value)
    return [
        StoredMessage(
            id=row.id,
            channel=Channel(row.channel),
            to_address=row.to_address,
            subject=row.subject,
            body=row.body,
            created_at=row.created_at,
        )
        for row in conn.execute(stmt.order_by(t.messages.c.id))
    ]

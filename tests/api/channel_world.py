"""What the inbound-channel tests share: a signed request, a raw email, what got stored.

Kept out of ``conftest.py`` for the reason given in ``api_world.py``. Tests that need a
customer the channels recognise get one from :func:`channel_customer`, so that what
"recognised" takes (today: a verified contact on the account) is written in one place.
"""

from __future__ import annotations

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

SECRET = "test-channels-secret"
MONDAY_9 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
EMAIL = "li.lei@example.com"
PHONE = "+8613800138000"


def channel_customer(
    client: TestClient,
    container: Container,
    *,
    email: str | None = EMAIL,
    phone: str | None = PHONE,
    **extra: Any,
) -> Customer:
    """A customer whose email and phone the inbound channels match to them: verified,
    as only a verified contact identifies a customer to the channels."""
    customer = sign_up(client, email=email, phone=phone, **extra)
    for kind, contact in (("phone", phone), ("email", email)):
        if contact is not None:
            verify_contact(customer, container, kind)
    return customer


def signed_post(
    client: TestClient, clock: FakeClock, path: str, body: bytes, *, header: str | None = None
) -> Any:
    """POST ``body`` to ``/api/v1/channels/{path}``, signed now (or with ``header``)."""
    signature = header if header is not None else sign(SECRET, int(clock.now().timestamp()), body)
    return client.post(f"/api/v1/channels/{path}", content=body, headers={HEADER: signature})


def raw_email(
    subject: str,
    body: str,
    *,
    message_id: str | None,
    sender: str = f"Li Lei <{EMAIL}>",
    extra: str = "",
) -> bytes:
    """A plain UTF-8 message; ``extra`` is more header lines, each ending in CRLF."""
    message_id_line = f"Message-ID: {message_id}\r\n" if message_id else ""
    return (
        f"From: {sender}\r\nTo: support@walletdesk.example\r\nSubject: {subject}\r\n"
        f"{message_id_line}{extra}MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
    ).encode() + body.encode()


def ticket_count(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(ticket_tables.tickets)).scalar_one()
        )


def message_count(container: Container) -> int:
    """Every ticket message, public and internal."""
    with container.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(ticket_tables.ticket_messages)
            ).scalar_one()
        )


def refs(container: Container) -> dict[str, str]:
    """Every stored channel reference -> the ticket id it names."""
    with container.engine.connect() as conn:
        rows = conn.execute(select(channel_refs.c.ref, channel_refs.c.ticket_id)).all()
    return {row.ref: str(row.ticket_id) for row in rows}


def ticket(me: Customer, ticket_id: str) -> dict[str, Any]:
    response = me.get(f"/api/v1/tickets/{ticket_id}")
    assert response.status_code == 200, response.json()
    result: dict[str, Any] = response.json()
    return result

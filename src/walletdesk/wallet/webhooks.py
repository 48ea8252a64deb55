"""Merchant webhooks: signed, delivered from a table of deliveries with retries and backoff.

Signature (like Stripe's): ``Walletdesk-Signature: t=<unix seconds>,v1=<hex>`` where
``v1 = HMAC-SHA256(secret, f"{t}.{body}")``. Merchants check it and reject
timestamps older than a few minutes, which defeats replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, and_, insert, select, update

from walletdesk.core.clock import Clock
from walletdesk.core.errors import NotFound
from walletdesk.db.transactions import run_transaction
from walletdesk.wallet import tables as t

MAX_ATTEMPTS = 10
SIGNATURE_TOLERANCE = timedelta(minutes=5)


class MerchantLike(Protocol):
    @property
    def id(self) -> uuid.UUID: ...

    @property
    def webhook_url(self) -> str | None: ...


def sign(secret: str, timestamp: int, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: str, now: datetime) -> bool:
    """What a merchant runs on receipt: right key, right body, fresh timestamp."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > SIGNATURE_TOLERANCE.total_seconds():
        return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected, header)


def enqueue(
    conn: Connection, merchant: MerchantLike, event: str, data: dict[str, Any], now: datetime
) -> uuid.UUID | None:
    """Queue an event in the caller's transaction (only merchants with a URL get them)."""
    if not merchant.webhook_url:
        return None
    delivery_id = uuid.uuid4()
    conn.execute(
        insert(t.webhook_deliveries).values(
            id=delivery_id,
            merchant_id=merchant.id,
            event=event,
            payload={
                "id": str(delivery_id),
                "type": event,
                "created": int(now.timestamp()),
                "data": data,
            },
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return delivery_id


class WebhookSender(Protocol):
    def post(self, url: str, body: str, headers: dict[str, str]) -> int: ...


class HttpWebhookSender:
    """POSTs with the standard library and an explicit timeout; returns the status code."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout

    def post(self, url: str, body: str, headers: dict[str, str]) -> int:
        request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")  # noqa: S310 - merchant URLs are http(s), checked at onboarding
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except (urllib.error.URLError, TimeoutError, OSError):
            return 0


@dataclass
class RecordingWebhookSender:
    """The local twin of a merchant's endpoint: keeps what it got, can be told to fail."""

    received: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    fail_next: int = 0

    def post(self, url: str, body: str, headers: dict[str, str]) -> int:
        if self.fail_next > 0:
            self.fail_next -= 1
            return 503
        self.received.append((url, body, headers))
        return 200


class WebhookDispatcher:
    def __init__(self, engine: Engine, clock: Clock, sender: WebhookSender) -> None:
        self.engine = engine
        self.clock = clock
        self.sender = sender

    def run_once(self, limit: int = 50) -> int:
        """Deliver due webhooks; a failure is retried with exponential backoff and jitter."""
        now = self.clock.now()
        with self.engine.connect() as conn:
            due = conn.execute(
                select(
                    t.webhook_deliveries, t.merchants.c.webhook_url, t.merchants.c.webhook_secret
                )
                .join(t.merchants, t.merchants.c.id == t.webhook_deliveries.c.merchant_id)
                .where(
                    and_(
                        t.webhook_deliveries.c.status == "pending",
                        t.webhook_deliveries.c.next_attempt_at <= now,
                    )
                )
                .order_by(t.webhook_deliveries.c.seq)
                .limit(limit)
            ).all()
        for row in due:
            body = json.dumps(row.payload, separators=(",", ":"), sort_keys=True)
            headers = {
                "Content-Type": "application/json",
                "Walletdesk-Signature": sign(row.webhook_secret, int(now.timestamp()), body),
                "Walletdesk-Event": row.event,
            }
            status = self.sender.post(row.webhook_url, body, headers) if row.webhook_url else 0
            self._finish(row, status, now)
        return len(due)

    def _finish(self, row: Any, status: int, now: datetime) -> None:
        attempts = row.attempts + 1
        if 200 <= status < 300:
            values: dict[str, Any] = {"status": "delivered", "delivered_at": now}
        elif attempts >= MAX_ATTEMPTS:
            values = {"status": "dead"}
        else:
            delay = min(3600.0, 10.0 * 2**attempts) * random.uniform(0.8, 1.2)
            values = {"next_attempt_at": now + timedelta(seconds=delay)}
        values |= {"attempts": attempts, "last_status_code": status or None}

        def work(conn: Connection) -> None:
            conn.execute(
                update(t.webhook_deliveries)
                .where(t.webhook_deliveries.c.id == row.id)
                .values(**values)
            )

        run_transaction(self.engine, work)


def list_deliveries(
    engine: Engine, merchant_id: uuid.UUID, limit: int = 50
) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.webhook_deliveries)
            .where(t.webhook_deliveries.c.merchant_id == merchant_id)
            .order_by(t.webhook_deliveries.c.seq.desc())
            .limit(limit)
        ).all()
    return [
        {
            "id": str(r.id),
            "event": r.event,
            "status": r.status,
            "attempts": r.attempts,
            "last_status_code": r.last_status_code,
            "created_at": r.created_at.isoformat(),
            "delivered_at": r.delivered_at.isoformat() if r.delivered_at else None,
        }
        for r in rows
    ]


def replay(engine: Engine, clock: Clock, merchant_id: uuid.UUID, delivery_id: uuid.UUID) -> None:
    """Send a delivery again (the merchant lost it, or fixed their endpoint)."""

    def work(conn: Connection) -> None:
        result = conn.execute(
            update(t.webhook_deliveries)
            .where(
                and_(
                    t.webhook_deliveries.c.id == delivery_id,
                    t.webhook_deliveries.c.merchant_id == merchant_id,
                )
            )
            .values(status="pending", next_attempt_at=clock.now(), attempts=0)
        )
        if result.rowcount != 1:
            raise NotFound("no such delivery")

    run_transaction(engine, work)

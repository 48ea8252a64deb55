"""Small helpers the notify tests share: enqueue in a committed transaction, read rows back."""

from __future__ import annotations

import random
import uuid
from typing import Any

from sqlalchemy import Engine, func, select

from walletdesk.core.clock import FakeClock
from walletdesk.db.transactions import run_transaction
from walletdesk.notify import tables as t
from walletdesk.notify.outbox import InboxAlert, enqueue, list_alerts

ALICE = uuid.UUID("00000000-0000-7000-8000-00000000a11c")
BOB = uuid.UUID("00000000-0000-7000-8000-000000000b0b")
ALICE_EMAIL = "alice@example.com"
ALICE_PHONE = "+8613800000001"

INCOMING = {"direction": "in", "amount": "12.34", "currency": "CNY", "counterparty": "Bob"}


class UpperBoundRandom(random.Random):
    """Jitter that always picks the top of its range, so backoff is exact in tests."""

    def uniform(self, a: float, b: float) -> float:
        return b


def enqueue_committed(engine: Engine, clock: FakeClock, **kwargs: Any) -> uuid.UUID:
    """Enqueue as a use case would: in its own committed transaction."""
    return run_transaction(engine, lambda conn: enqueue(conn, now=clock.now(), **kwargs))


def outbox_row(engine: Engine, alert_id: uuid.UUID) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(t.outbox).where(t.outbox.c.id == alert_id)).one()


def count_rows(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def inbox_of(engine: Engine, user_id: uuid.UUID) -> list[InboxAlert]:
    with engine.connect() as conn:
        return list_alerts(conn, user_id, limit=100)[0]

"""Reading payments: the public shape of a payment, as a reader should see it now."""

from __future__ import annotations

import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, select

from walletdesk.core.errors import NotFound
from walletdesk.core.money import Currency, Money
from walletdesk.wallet import tables as t
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.failures import failure
from walletdesk.wallet.payment_rules import PAYABLE_VALUES, PaymentStatus


def payment_row(conn: Connection, payment_id: uuid.UUID) -> Any:
    return conn.execute(select(t.payments).where(t.payments.c.id == payment_id)).one()


def money_json(amount: int, currency: str) -> dict[str, str]:
    return Money(amount, Currency.of(currency)).as_json()


def seen_at(row: Any, now: datetime) -> Any:
    """The payment as a reader should see it at ``now``.

    An unpaid intent past its expiry *is* expired, whether or not the housekeeping
    pass has written that down yet; deriving it here keeps reads free of writes.
    """
    if row.status in PAYABLE_VALUES and row.expires_at <= now:
        return SimpleNamespace(
            **{
                **row._mapping,
                "status": PaymentStatus.EXPIRED.value,
                "failure_code": "payment_expired",
                "failure_raw": None,
            }
        )
    return row


def payment_public(row: Any, locale: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(row.id),
        "merchant_id": str(row.merchant_id),
        "order_ref": row.order_ref,
        "description": row.description,
        **money_json(row.amount, row.currency),
        "status": row.status,
        "expires_at": row.expires_at.isoformat(),
        "created_at": row.created_at.isoformat(),
        "paid_at": row.paid_at.isoformat() if row.paid_at else None,
        "refunded": money_json(row.refunded, row.currency),
        "failure": None,
    }
    if row.failure_code and row.status != PaymentStatus.SUCCEEDED.value:
        body["failure"] = failure(row.failure_code).public(locale, row.failure_raw)
    return body


def webhook_payload(conn: Connection, payment_id: uuid.UUID) -> dict[str, Any]:
    return payment_public(payment_row(conn, payment_id), "en")


def get_payment_for(
    deps: WalletDeps,
    payment_id: uuid.UUID,
    *,
    customer_id: uuid.UUID | None = None,
    merchant_id: uuid.UUID | None = None,
    locale: str = "en",
) -> dict[str, Any]:
    """A payment as its payer or its merchant sees it; anyone else gets 404."""
    with deps.engine.connect() as conn:
        row = conn.execute(select(t.payments).where(t.payments.c.id == payment_id)).first()
    if row is None:
        raise NotFound("no such payment")
    visible = (customer_id is not None and row.customer_id in {customer_id, None}) or (
        merchant_id is not None and row.merchant_id == merchant_id
    )
    if not visible:
        raise NotFound("no such payment")
    return payment_public(seen_at(row, deps.clock.now()), locale)

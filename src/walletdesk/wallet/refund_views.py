"""Reading refunds: one refund, a payment's refunds, and the public shape of both."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, select

from walletdesk.core.errors import ValidationError
from walletdesk.core.money import Currency, Money
from walletdesk.identity.model import User
from walletdesk.identity.roles import Permission
from walletdesk.wallet import tables as t
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.merchants import Merchant
from walletdesk.wallet.refund_actors import actor_on_payment
from walletdesk.wallet.refund_rules import FAILURES, decode_cursor
from walletdesk.wallet.refund_store import payment_row, refund_row

# -- reading -------------------------------------------------------------------------


def get_refund(
    deps: WalletDeps,
    refund_id: uuid.UUID,
    *,
    actor: User | None,
    merchant: Merchant | None,
    locale: str = "en",
) -> dict[str, Any]:
    """A refund as its payer, its merchant or staff see it; anyone else gets 404."""
    with deps.engine.connect() as conn:
        row = refund_row(conn, refund_id)
        actor_on_payment(
            payment_row(conn, row.payment_id), actor, merchant, Permission.READ_CUSTOMERS
        )
    return refund_public(row, locale)


def list_refunds_for_payment(
    deps: WalletDeps,
    payment_id: uuid.UUID,
    *,
    actor: User | None,
    merchant: Merchant | None,
    locale: str = "en",
    limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The payment's refunds, oldest first, cursor-paginated (``{items, next_cursor}``)."""
    if not 1 <= limit <= 100:
        raise ValidationError("limit must be between 1 and 100", field="limit")
    after = decode_cursor(cursor)
    with deps.engine.connect() as conn:
        actor_on_payment(payment_row(conn, payment_id), actor, merchant, Permission.READ_CUSTOMERS)
        rows = conn.execute(
            select(t.refunds)
            .where(and_(t.refunds.c.payment_id == payment_id, t.refunds.c.seq > after))
            .order_by(t.refunds.c.seq)
            .limit(limit + 1)
        ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [refund_public(r, locale) for r in rows],
        "next_cursor": format(rows[-1].seq, "x") if more else None,
    }


def refund_public(row: Any, locale: str) -> dict[str, Any]:
    lang = "zh-CN" if locale == "zh-CN" else "en"
    failure = None
    if row.failure_code in FAILURES:
        info = FAILURES[row.failure_code]
        message, next_step = info[lang]
        failure = {
            "code": row.failure_code,
            "retryable": info["retryable"],
            "message": message,
            "next_step": next_step,
        }
    decision = next(
        (h for h in reversed(row.history) if h["status"] in {"approved", "rejected"}), None
    )
    return {
        "id": str(row.id),
        "payment_id": str(row.payment_id),
        "merchant_id": str(row.merchant_id),
        **Money(row.amount, Currency.of(row.currency)).as_json(),
        "status": row.status,
        "route": row.route,
        "card_id": str(row.card_id) if row.card_id else None,
        "reason": row.reason,
        "note": row.note,
        "evidence": list(row.evidence),
        "requested_by": row.requested_by,
        "decision": None
        if decision is None
        else {"status": decision["status"], "by": decision["by"], "note": row.decision_note},
        "failure": failure,
        "expected_by": row.expected_by.isoformat() if row.expected_by else None,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "history": list(row.history),
    }

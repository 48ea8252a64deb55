"""Reads the merchant portal needs: payments received and refund requests. No writes here.

Every read is scoped to one merchant (the one :func:`.merchant_users.get_merchant_for_user`
returned), and shaped by the same ``payment_public`` / ``refund_public`` as the API.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select

from walletdesk.core.cursors import decode_seq_cursor
from walletdesk.core.errors import ValidationError
from walletdesk.identity import tables as identity_tables
from walletdesk.wallet import payment_views, refund_rules, refund_views
from walletdesk.wallet import tables as t
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.merchants import Merchant

MAX_PAGE = 100


def list_payments_received(
    deps: WalletDeps,
    merchant: Merchant,
    *,
    status: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
    locale: str = "en",
) -> dict[str, Any]:
    """The merchant's payments (links included), newest first; ``cursor`` is a hex seq."""
    before = _cursor(cursor, limit)
    p = t.payments
    query = select(p).where(p.c.merchant_id == merchant.id)
    if status:
        query = query.where(p.c.status == status)
    if before is not None:
        query = query.where(p.c.seq < before)
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        rows = conn.execute(query.order_by(p.c.seq.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [
            payment_views.payment_public(payment_views.seen_at(r, now), locale) for r in rows
        ],
        "next_cursor": format(rows[-1].seq, "x") if more else None,
    }


def list_refund_requests(
    deps: WalletDeps,
    merchant: Merchant,
    *,
    status: str | None = None,
    limit: int = 50,
    locale: str = "en",
) -> list[dict[str, Any]]:
    """The merchant's latest ``limit`` refunds, those waiting for a decision first.

    Each carries the payment's order reference and description and the customer's
    display name, which is all a shop needs to decide.
    """
    _cursor(None, limit)
    r, p, u = t.refunds, t.payments, identity_tables.users
    waiting = case((r.c.status == refund_rules.RefundStatus.REQUESTED.value, 0), else_=1)
    query = (
        select(
            r,
            p.c.order_ref.label("order_ref"),
            p.c.description.label("payment_description"),
            u.c.display_name.label("customer_name"),
        )
        .join(p, p.c.id == r.c.payment_id)
        .join(u, u.c.id == r.c.customer_id)
        .where(r.c.merchant_id == merchant.id)
    )
    if status:
        query = query.where(r.c.status == status)
    with deps.engine.connect() as conn:
        rows = conn.execute(query.order_by(waiting, r.c.seq.desc()).limit(limit)).all()
    return [
        {
            **refund_views.refund_public(row, locale),
            "order_ref": row.order_ref,
            "payment_description": row.payment_description,
            "customer_name": row.customer_name,
        }
        for row in rows
    ]


def _cursor(cursor: str | None, limit: int) -> int | None:
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    return decode_seq_cursor(cursor)

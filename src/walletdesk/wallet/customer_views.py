"""Reads the customer's pages need, shaped once: balances, history, a payment with its
diagnosis and refunds, my refunds, my limit requests. No writes here.

Each function answers one page with the same words and numbers the API gives
(``payment_public``, ``refund_public``, ``diagnose``), so a screen and a JSON client
never disagree; someone else's payment or refund is :class:`NotFound`, as in the API.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select

from walletdesk.core.cursors import decode_seq_cursor
from walletdesk.core.errors import NotFound, ValidationError
from walletdesk.core.money import Currency, Money
from walletdesk.identity.model import User
from walletdesk.wallet import history, payment_rules, payment_views, refund_views
from walletdesk.wallet import tables as t
from walletdesk.wallet.accounts import user_wallets
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.diagnosis import diagnose
from walletdesk.wallet.limit_requests import explain
from walletdesk.wallet.merchants import REFUND_REASONS, get_merchant
from walletdesk.wallet.step_up import needs_step_up

MAX_PAGE = 100


def get_balances(deps: WalletDeps, user_id: uuid.UUID) -> list[dict[str, str]]:
    """Per currency the user holds: available, pending (in and out) and total, as strings."""
    with deps.engine.connect() as conn:
        owned = user_wallets(conn, user_id)
    found = {a.id: a for a in deps.ledger.lookup_accounts([account for _, account in owned])}
    items = []
    for currency, account_id in owned:
        state = found.get(account_id)
        if state is None:
            continue
        unit = Currency.of(currency)
        items.append(
            {
                "currency": currency,
                "available": Money(state.available, unit).to_decimal_string(),
                "pending": Money(
                    state.credits_pending + state.debits_pending, unit
                ).to_decimal_string(),
                "pending_in": Money(state.credits_pending, unit).to_decimal_string(),
                "pending_out": Money(state.debits_pending, unit).to_decimal_string(),
                "total": Money(state.balance, unit).to_decimal_string(),
            }
        )
    return items


def get_history_page(
    deps: WalletDeps,
    user_id: uuid.UUID,
    *,
    kind: str | None,
    status: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """One page of :func:`walletdesk.wallet.history.page` (``{items, next_cursor}``)."""
    with deps.engine.connect() as conn:
        return history.page(
            conn,
            user_id,
            kind=kind,
            status=status,
            start=start,
            end=end,
            limit=limit,
            cursor=cursor,
        )


def get_history_csv(
    deps: WalletDeps,
    user_id: uuid.UUID,
    *,
    kind: str | None,
    status: str | None,
    start: datetime | None,
    end: datetime | None,
) -> str:
    """The same rows as the API's ``/transactions/export.csv``."""
    with deps.engine.connect() as conn:
        return history.export_csv(conn, user_id, kind=kind, status=status, start=start, end=end)


def get_payment_to_pay(
    deps: WalletDeps, payment_id: uuid.UUID, customer_id: uuid.UUID, locale: str
) -> dict[str, Any]:
    """A payment link as its payer sees it: the payment, who asks for it, and whether
    paying it needs a step-up (at or above ``settings.sca_threshold_minor``)."""
    payment = payment_views.get_payment_for(
        deps, payment_id, customer_id=customer_id, locale=locale
    )
    with deps.engine.connect() as conn:
        merchant = get_merchant(conn, uuid.UUID(payment["merchant_id"]))
    amount = Money.parse(payment["amount"], payment["currency"]).minor
    return {
        "payment": payment,
        "merchant_name": merchant.name,
        "needs_step_up": needs_step_up(deps, amount),
        "payable": payment["status"] in {s.value for s in payment_rules.PAYABLE},
    }


def get_payment_detail(
    deps: WalletDeps, payment_id: uuid.UUID, customer: User, locale: str
) -> dict[str, Any]:
    """The payer's view of one payment: the payment, its merchant, its diagnosis (what
    happened, can a retry work, what next), its refunds and what can still be refunded."""
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        row = conn.execute(select(t.payments).where(t.payments.c.id == payment_id)).first()
        if row is None or row.customer_id != customer.id:
            raise NotFound("no such payment")
        seen = payment_views.seen_at(row, now)
        attempt = conn.execute(
            select(t.payment_attempts.c.detail)
            .where(t.payment_attempts.c.payment_id == payment_id)
            .order_by(t.payment_attempts.c.created_at.desc())
            .limit(1)
        ).first()
        merchant = get_merchant(conn, row.merchant_id)
        refund_rows = conn.execute(
            select(t.refunds).where(t.refunds.c.payment_id == payment_id).order_by(t.refunds.c.seq)
        ).all()
    unit = Currency.of(row.currency)
    remaining = max(0, row.amount - row.refunded)
    return {
        "payment": payment_views.payment_public(seen, locale),
        "merchant_name": merchant.name,
        "diagnosis": diagnose(seen, attempt.detail if attempt else None, locale),
        "refunds": [refund_views.refund_public(r, locale) for r in refund_rows],
        "refundable": Money(remaining, unit).to_decimal_string()
        if seen.status == payment_rules.PaymentStatus.SUCCEEDED.value and remaining > 0
        else None,
        "refund_reasons": list(REFUND_REASONS),
        "evidence_required_for": list(merchant.refund_policy.evidence_required_for),
        "refund_window_days": merchant.refund_policy.window_days,
    }


def list_my_refunds(
    deps: WalletDeps, customer_id: uuid.UUID, locale: str, *, limit: int = 20, cursor: str | None
) -> dict[str, Any]:
    """The customer's refunds, newest first, with the merchant's name and the payment's
    description; ``cursor`` is the last seen ``seq`` in hex (``{items, next_cursor}``)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    before = _seq_cursor(cursor)
    r, p, m = t.refunds, t.payments, t.merchants
    query = (
        select(r, m.c.name.label("merchant_name"), p.c.description.label("payment_description"))
        .join(p, p.c.id == r.c.payment_id)
        .join(m, m.c.id == r.c.merchant_id)
        .where(r.c.customer_id == customer_id)
    )
    if before is not None:
        query = query.where(r.c.seq < before)
    with deps.engine.connect() as conn:
        rows = conn.execute(query.order_by(r.c.seq.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [_refund_with_names(row, locale) for row in rows],
        "next_cursor": format(rows[-1].seq, "x") if more else None,
    }


def get_my_refund(
    deps: WalletDeps, refund_id: uuid.UUID, customer: User, locale: str
) -> dict[str, Any]:
    """One of the customer's refunds with its merchant's name and the payment's description."""
    r, p, m = t.refunds, t.payments, t.merchants
    with deps.engine.connect() as conn:
        row = conn.execute(
            select(r, m.c.name.label("merchant_name"), p.c.description.label("payment_description"))
            .join(p, p.c.id == r.c.payment_id)
            .join(m, m.c.id == r.c.merchant_id)
            .where(and_(r.c.id == refund_id, r.c.customer_id == customer.id))
        ).first()
    if row is None:
        raise NotFound("no such refund")
    return _refund_with_names(row, locale)


def list_my_limit_requests(
    deps: WalletDeps, user_id: uuid.UUID, locale: str, *, limit: int = 20
) -> list[dict[str, Any]]:
    """The user's limit increase requests, newest first, with the decision's reasons."""
    with deps.engine.connect() as conn:
        rows = conn.execute(
            select(t.limit_requests)
            .where(t.limit_requests.c.user_id == user_id)
            .order_by(t.limit_requests.c.created_at.desc())
            .limit(limit)
        ).all()
    return [limit_request_public(row, locale) for row in rows]


def limit_request_public(row: Any, locale: str) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "kind": row.kind,
        "window": row.window,
        **payment_views.money_json(row.amount, row.currency),
        "until": row.until.isoformat() if row.until else None,
        "status": row.status,
        "reasons": explain(list(row.reasons), locale),
        "created_at": row.created_at.isoformat(),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
    }


def _refund_with_names(row: Any, locale: str) -> dict[str, Any]:
    return {
        **refund_views.refund_public(row, locale),
        "merchant_name": row.merchant_name,
        "payment_description": row.payment_description,
    }


def _seq_cursor(cursor: str | None) -> int | None:
    return decode_seq_cursor(cursor)

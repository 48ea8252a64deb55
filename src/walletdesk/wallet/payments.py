"""Merchant payments: the merchant creates an intent, the customer pays it.

States (after Stripe's PaymentIntent): requires_confirmation -> succeeded |
failed | canceled | expired. A failed attempt leaves the intent payable again
until it expires, if the failure was retryable. Every failure is stored with its
code, so the diagnosis and the service desk can explain it later.

This module holds the use cases (create, cancel, pay, expire). Beside it:
payment_rules.py (states, limits, errors), payment_refusals.py (why a payment is
refused and how the refusal is recorded) and payment_views.py (reading payments).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from walletdesk.core.errors import NotFound, ValidationError
from walletdesk.db.transactions import TransactionTimedOut
from walletdesk.identity.model import User
from walletdesk.ledger.model import CreateTransferResult, NewTransfer
from walletdesk.notify.messages import AlertKind
from walletdesk.wallet import tables as t
from walletdesk.wallet import webhooks
from walletdesk.wallet.accounts import CurrencyNotSupported, check_currency, wallet_account
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.merchants import Merchant
from walletdesk.wallet.payment_refusals import (
    PaymentRefused,
    check_payable,
    record_attempt,
    record_payment_failure,
)
from walletdesk.wallet.payment_rules import (
    DEFAULT_EXPIRY,
    MAX_EXPIRY,
    PAYABLE,
    OrderRefReused,
    PaymentNotCancelable,
    PaymentStatus,
    PaymentTimedOut,
)
from walletdesk.wallet.payment_views import (
    money_json,
    payment_public,
    payment_row,
    seen_at,
    webhook_payload,
)


@dataclass(frozen=True, slots=True)
class PayResult:
    payment: dict[str, Any]
    duplicate: bool = False


def do_create_intent(
    deps: WalletDeps,
    merchant: Merchant,
    *,
    amount: int,
    currency: str,
    order_ref: str,
    description: str | None,
    expires_in: int | None,
) -> dict[str, Any]:
    """Create (or, for the same order and amount, return again) a payment intent."""
    if check_currency(currency) != merchant.currency:
        raise CurrencyNotSupported("this merchant takes payments in another currency")
    if amount <= 0:
        raise ValidationError("the amount must be above zero", field="amount")
    if not 1 <= len(order_ref) <= 64:
        raise ValidationError("order_ref needs 1 to 64 characters", field="order_ref")
    ttl = DEFAULT_EXPIRY if expires_in is None else timedelta(seconds=expires_in)
    if not timedelta(seconds=30) <= ttl <= MAX_EXPIRY:
        raise ValidationError("expires_in must be 30 seconds to 7 days", field="expires_in")
    now = deps.clock.now()

    def work(conn: Connection) -> dict[str, Any]:
        existing = conn.execute(
            select(t.payments).where(
                and_(t.payments.c.merchant_id == merchant.id, t.payments.c.order_ref == order_ref)
            )
        ).first()
        if existing is not None:
            if existing.amount == amount and existing.currency == merchant.currency:
                return payment_public(existing, "en")
            raise OrderRefReused("this order reference was already used with another amount")
        payment_id = uuid.uuid4()
        conn.execute(
            insert(t.payments).values(
                id=payment_id,
                merchant_id=merchant.id,
                customer_id=None,
                amount=amount,
                currency=merchant.currency,
                order_ref=order_ref,
                description=description,
                status=PaymentStatus.REQUIRES_CONFIRMATION.value,
                attempts=0,
                refunded=0,
                refund_count=0,
                expires_at=now + ttl,
                created_at=now,
                updated_at=now,
            )
        )
        return payment_public(payment_row(conn, payment_id), "en")

    return deps.transaction(work)


def do_cancel_intent(deps: WalletDeps, merchant: Merchant, payment_id: uuid.UUID) -> dict[str, Any]:
    """The merchant withdraws an unpaid intent (out of stock, order abandoned).

    Idempotent for an intent already canceled; :class:`PaymentNotCancelable` once it
    succeeded (refund it instead) or expired; :class:`NotFound` for another merchant's.
    A customer who then tries to pay gets ``merchant_error`` and no money moves.
    """
    now = deps.clock.now()

    def work(conn: Connection) -> dict[str, Any]:
        row = conn.execute(
            select(t.payments).where(t.payments.c.id == payment_id).with_for_update()
        ).first()
        if row is None or row.merchant_id != merchant.id:
            raise NotFound("no such payment")
        status = PaymentStatus(seen_at(row, now).status)
        if status is PaymentStatus.CANCELED:
            return payment_public(row, "en")
        if status not in PAYABLE:
            raise PaymentNotCancelable(
                "only an unpaid payment can be canceled", status=status.value
            )
        conn.execute(
            update(t.payments)
            .where(t.payments.c.id == payment_id)
            .values(status=PaymentStatus.CANCELED.value, updated_at=now)
        )
        webhooks.enqueue(conn, merchant, "payment.canceled", webhook_payload(conn, payment_id), now)
        return payment_public(payment_row(conn, payment_id), "en")

    return deps.transaction(work)


def do_pay(
    deps: WalletDeps,
    customer: User,
    payment_id: uuid.UUID,
    locale: str,
    verification_token: str | None = None,
) -> PayResult:
    """Pay an intent from the customer's wallet. Paying twice charges once.

    A payment at or above ``settings.sca_threshold_minor`` needs a step-up token
    (``authentication_required`` without one, ``authentication_failed`` for a bad one).
    """
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        row = conn.execute(select(t.payments).where(t.payments.c.id == payment_id)).first()
    if row is None:
        raise NotFound("no such payment")
    if row.status == PaymentStatus.SUCCEEDED.value:
        if row.customer_id != customer.id:
            raise NotFound("no such payment")
        return PayResult(payment_public(row, locale), duplicate=True)
    wallet = wallet_account(deps, customer.id, row.currency)
    transfer_id = uuid.uuid4()

    def work(conn: Connection) -> dict[str, Any]:
        payment = conn.execute(
            select(t.payments).where(t.payments.c.id == payment_id).with_for_update()
        ).one()
        merchant, user = check_payable(deps, conn, payment, customer, verification_token, now)
        conn.execute(
            update(t.payments)
            .where(t.payments.c.id == payment_id)
            .values(
                status=PaymentStatus.SUCCEEDED.value,
                customer_id=customer.id,
                failure_code=None,
                failure_raw=None,
                attempts=payment.attempts + 1,
                ledger_transfer_id=transfer_id,
                paid_at=now,
                updated_at=now,
            )
        )
        record_attempt(conn, payment_id, customer.id, "succeeded", None, {}, now)
        deps.identity.alert(
            conn,
            AlertKind.TRANSACTION,
            user,
            {
                "direction": "out",
                **money_json(payment.amount, payment.currency),
                "counterparty": merchant.name,
            },
        )
        webhooks.enqueue(
            conn, merchant, "payment.succeeded", webhook_payload(conn, payment_id), now
        )
        # The money moves last: every merchant's payments credit its one ledger account,
        # and on PostgreSQL that row stays locked until commit. Taking it last keeps the
        # hold short (+15% payments/s measured); a refusal still rolls back all of the above.
        [result] = deps.ledger.create_transfers_in(
            conn,
            [
                NewTransfer(
                    id=transfer_id,
                    debit_account_id=wallet,
                    credit_account_id=merchant.account_id,
                    amount=payment.amount,
                    currency=payment.currency,
                    code="payment",
                    reference=f"payment:{payment_id}",
                )
            ],
        )
        if result is CreateTransferResult.EXCEEDS_CREDITS:
            raise PaymentRefused("insufficient_funds")
        if result is not CreateTransferResult.OK:
            raise PaymentRefused("merchant_error", raw=result.value)
        # Read back inside the transaction: no second checkout after the commit.
        return payment_public(payment_row(conn, payment_id), locale)

    deadline = deps.settings.payment_deadline_seconds
    try:
        return PayResult(deps.transaction(work, deadline_seconds=deadline))
    except TransactionTimedOut:
        # The database did not let the payment through in time; it rolled back whole.
        refusal = PaymentRefused("network_timeout", raw="deadline")
    except PaymentRefused as refused:
        if refused.code == "duplicate_payment":
            with deps.engine.connect() as conn:
                again = payment_row(conn, payment_id)
            if again.customer_id != customer.id:
                raise NotFound("no such payment") from None
            return PayResult(payment_public(again, locale), duplicate=True)
        refusal = refused
    try:
        record_payment_failure(deps, customer, payment_id, refusal, now, deadline_seconds=deadline)
    except TransactionTimedOut:
        # Not even the failure could be written: say so without changing anything.
        raise PaymentTimedOut(locale) from None
    with deps.engine.connect() as conn:
        return PayResult(payment_public(payment_row(conn, payment_id), locale))


def expire_due(deps: WalletDeps, limit: int = 500) -> int:
    """Mark unpaid intents past their expiry as expired (the "timed out" case)."""
    now = deps.clock.now()

    def work(conn: Connection) -> int:
        due = (
            conn.execute(
                select(t.payments.c.id)
                .where(
                    and_(
                        t.payments.c.status.in_([s.value for s in PAYABLE]),
                        t.payments.c.expires_at <= now,
                    )
                )
                .limit(limit)
            )
            .scalars()
            .all()
        )
        if not due:
            return 0
        conn.execute(
            update(t.payments)
            .where(
                and_(t.payments.c.id.in_(due), t.payments.c.status.in_([s.value for s in PAYABLE]))
            )
            .values(
                status=PaymentStatus.EXPIRED.value, failure_code="payment_expired", updated_at=now
            )
        )
        return len(due)

    return deps.transaction(work)

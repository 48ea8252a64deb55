"""Merchant payments: the merchant creates an intent, the customer pays it.

States (after Stripe's PaymentIntent): requires_confirmation -> succeeded |
failed | canceled | expired. A failed attempt leaves the intent payable again
until it expires, if the failure was retryable. Every failure is stored with its
code, so the diagnosis and the service desk can explain it later.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from walletdesk.core.errors import Conflict, NotFound, ValidationError, WalletdeskError
from walletdesk.core.money import Currency, Money
from walletdesk.db.transactions import TransactionTimedOut
from walletdesk.identity import store as identity_store
from walletdesk.identity.errors import VerificationRequired
from walletdesk.identity.model import User, UserStatus
from walletdesk.identity.verification import consume_verification
from walletdesk.ledger.model import CreateTransferResult, NewTransfer
from walletdesk.notify.messages import AlertKind
from walletdesk.wallet import limits, webhooks
from walletdesk.wallet import tables as t
from walletdesk.wallet.accounts import CurrencyNotSupported, check_currency, wallet_account
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.failures import failure
from walletdesk.wallet.limits_policy import Scope
from walletdesk.wallet.merchants import Merchant, get_merchant

DEFAULT_EXPIRY = timedelta(minutes=15)
MAX_EXPIRY = timedelta(days=7)
# A brand-new account paying a large sum is the classic takeover pattern.
RISK_NEW_ACCOUNT_AGE = timedelta(hours=24)
RISK_LARGE_AMOUNT = 50_000 * 100


class PaymentStatus(StrEnum):
    REQUIRES_CONFIRMATION = "requires_confirmation"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"


PAYABLE = {PaymentStatus.REQUIRES_CONFIRMATION, PaymentStatus.FAILED}
_PAYABLE_VALUES = frozenset(status.value for status in PAYABLE)


class OrderRefReused(Conflict):
    code = "order_ref_reused"


class PaymentNotCancelable(Conflict):
    code = "payment_not_cancelable"


# What a client is told to wait before sending a timed-out payment again.
RETRY_AFTER_SECONDS = 2


class PaymentTimedOut(WalletdeskError):
    """The database was too busy to take the payment or even record its failure in time.
    Nothing was charged; the same request (same Idempotency-Key) can be sent again."""

    code = "network_timeout"
    http_status = 503

    def __init__(self, locale: str) -> None:
        super().__init__()
        self.failure = failure(self.code).public(locale)
        self.retry_after_seconds = RETRY_AFTER_SECONDS


class _Refused(Exception):
    """Raised inside a payment's transaction to roll it back with a failure code."""

    def __init__(self, code: str, raw: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.raw = raw


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
        return payment_public(_row(conn, payment_id), "en")

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
        webhooks.enqueue(
            conn, merchant, "payment.canceled", _webhook_payload(conn, payment_id), now
        )
        return payment_public(_row(conn, payment_id), "en")

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
        merchant, user = _check_payable(deps, conn, payment, customer, verification_token, now)
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
        _attempt(conn, payment_id, customer.id, "succeeded", None, {}, now)
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
            conn, merchant, "payment.succeeded", _webhook_payload(conn, payment_id), now
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
            raise _Refused("insufficient_funds")
        if result is not CreateTransferResult.OK:
            raise _Refused("merchant_error", raw=result.value)
        # Read back inside the transaction: no second checkout after the commit.
        return payment_public(_row(conn, payment_id), locale)

    deadline = deps.settings.payment_deadline_seconds
    try:
        return PayResult(deps.transaction(work, deadline_seconds=deadline))
    except TransactionTimedOut:
        # The database did not let the payment through in time; it rolled back whole.
        refusal = _Refused("network_timeout", raw="deadline")
    except _Refused as refused:
        if refused.code == "duplicate_payment":
            with deps.engine.connect() as conn:
                again = _row(conn, payment_id)
            if again.customer_id != customer.id:
                raise NotFound("no such payment") from None
            return PayResult(payment_public(again, locale), duplicate=True)
        refusal = refused
    try:
        _record_failure(deps, customer, payment_id, refusal, now, deadline_seconds=deadline)
    except TransactionTimedOut:
        # Not even the failure could be written: say so without changing anything.
        raise PaymentTimedOut(locale) from None
    with deps.engine.connect() as conn:
        return PayResult(payment_public(_row(conn, payment_id), locale))


def _check_payable(
    deps: WalletDeps,
    conn: Connection,
    payment: Any,
    customer: User,
    verification_token: str | None,
    now: Any,
) -> tuple[Merchant, User]:
    """Raise :class:`_Refused` with the first reason the payment may not go ahead.

    Limit usage is consumed last; the caller's transaction rolls it back if the ledger
    then refuses the debit.
    """
    status = PaymentStatus(payment.status)
    if status is PaymentStatus.SUCCEEDED:
        raise _Refused("duplicate_payment")
    if status not in PAYABLE:
        # A canceled intent: the merchant withdrew the order (raw says so for the diagnosis).
        raise _Refused(
            "payment_expired" if status is PaymentStatus.EXPIRED else "merchant_error",
            raw=None if status is PaymentStatus.EXPIRED else status.value,
        )
    if payment.expires_at <= now:
        raise _Refused("payment_expired")
    merchant = get_merchant(conn, payment.merchant_id)
    if merchant.status != "active":
        raise _Refused("merchant_unavailable")
    user = identity_store.get_user(conn, customer.id)
    if user.status is not UserStatus.ACTIVE:
        raise _Refused("account_frozen")
    if payment.amount >= RISK_LARGE_AMOUNT and now - user.created_at < RISK_NEW_ACCOUNT_AGE:
        raise _Refused("risk_blocked")
    if payment.amount >= deps.settings.sca_threshold_minor:
        if not verification_token:
            raise _Refused("authentication_required")
        try:
            consume_verification(conn, deps.identity, user.id, verification_token, "payment")
        except VerificationRequired:
            raise _Refused("authentication_failed") from None
    blocked = limits.consume(conn, user, payment.currency, Scope.SPEND, payment.amount, now)
    if blocked:
        raise _Refused(blocked)
    return merchant, user


def _record_failure(
    deps: WalletDeps,
    customer: User,
    payment_id: uuid.UUID,
    refusal: _Refused,
    now: Any,
    *,
    deadline_seconds: float | None = None,
) -> None:
    """Store the failure where the customer, the diagnosis and the agent will find it."""
    # Read the balance before the write transaction: on SQLite a second connection
    # inside it would wait for the write lock this transaction holds.
    available: int | None = None
    if refusal.code == "insufficient_funds":
        with deps.engine.connect() as conn:
            currency = conn.execute(
                select(t.payments.c.currency).where(t.payments.c.id == payment_id)
            ).scalar_one()
        found = deps.ledger.lookup_accounts([wallet_account(deps, customer.id, currency)])
        available = found[0].available if found else 0

    def work(conn: Connection) -> None:
        payment = conn.execute(
            select(t.payments).where(t.payments.c.id == payment_id).with_for_update()
        ).one()
        if payment.status == PaymentStatus.SUCCEEDED.value:
            return
        detail = _failure_facts(conn, customer, payment, refusal.code, now, available)
        status = (
            PaymentStatus.EXPIRED if refusal.code == "payment_expired" else PaymentStatus.FAILED
        )
        conn.execute(
            update(t.payments)
            .where(t.payments.c.id == payment_id)
            .values(
                status=status.value,
                customer_id=customer.id,
                failure_code=refusal.code,
                failure_raw=refusal.raw,
                attempts=payment.attempts + 1,
                updated_at=now,
            )
        )
        _attempt(conn, payment_id, customer.id, "failed", refusal.code, detail, now)
        merchant = get_merchant(conn, payment.merchant_id)
        user = identity_store.get_user(conn, customer.id)
        deps.identity.alert(
            conn,
            AlertKind.PAYMENT_FAILED,
            user,
            {
                "reason": _alert_reason(refusal.code),
                **money_json(payment.amount, payment.currency),
                "merchant": merchant.name,
            },
        )
        webhooks.enqueue(conn, merchant, "payment.failed", _webhook_payload(conn, payment_id), now)

    deps.transaction(work, deadline_seconds=deadline_seconds)


def _failure_facts(
    conn: Connection, customer: User, payment: Any, code: str, now: Any, available: int | None
) -> dict[str, Any]:
    """The numbers behind a failure, kept for the diagnosis (balance, limit, window)."""
    facts: dict[str, Any] = {"amount": payment.amount, "currency": payment.currency}
    if available is not None:
        facts["available"] = available
    if code.startswith("limit_exceeded") or code == "tier_not_allowed":
        user = identity_store.get_user(conn, customer.id)
        facts["tier"] = user.kyc_tier.value
        facts["two_factor"] = user.totp_enabled
        facts["windows"] = limits.usage(conn, user, payment.currency, Scope.SPEND, now)
    return facts


def _alert_reason(code: str) -> str:
    if code == "insufficient_funds":
        return "insufficient_funds"
    if code.startswith("limit_exceeded") or code == "tier_not_allowed":
        return "limit_exceeded"
    return "declined"


def _attempt(
    conn: Connection,
    payment_id: uuid.UUID,
    customer_id: uuid.UUID,
    status: str,
    code: str | None,
    detail: dict[str, Any],
    now: Any,
) -> None:
    conn.execute(
        insert(t.payment_attempts).values(
            id=uuid.uuid4(),
            payment_id=payment_id,
            customer_id=customer_id,
            status=status,
            failure_code=code,
            detail=detail,
            created_at=now,
        )
    )


def _row(conn: Connection, payment_id: uuid.UUID) -> Any:
    return conn.execute(select(t.payments).where(t.payments.c.id == payment_id)).one()


def money_json(amount: int, currency: str) -> dict[str, str]:
    return Money(amount, Currency.of(currency)).as_json()


def seen_at(row: Any, now: datetime) -> Any:
    """The payment as a reader should see it at ``now``.

    An unpaid intent past its expiry *is* expired, whether or not the housekeeping
    pass has written that down yet; deriving it here keeps reads free of writes.
    """
    if row.status in _PAYABLE_VALUES and row.expires_at <= now:
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


def _webhook_payload(conn: Connection, payment_id: uuid.UUID) -> dict[str, Any]:
    return payment_public(_row(conn, payment_id), "en")


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

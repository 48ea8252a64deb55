"""Why a payment may not go ahead, and how a refusal is recorded.

A refusal is raised as :class:`PaymentRefused` inside the payment's transaction,
which rolls it back; :func:`record_payment_failure` then stores the failure in a
transaction of its own, where the customer, the diagnosis and the agent find it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, insert, select, update

from walletdesk.identity import store as identity_store
from walletdesk.identity.model import User, UserStatus
from walletdesk.notify.messages import AlertKind
from walletdesk.wallet import limits, webhooks
from walletdesk.wallet import tables as t
from walletdesk.wallet.accounts import wallet_account
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.limits_policy import Scope
from walletdesk.wallet.merchants import Merchant, get_merchant
from walletdesk.wallet.payment_rules import (
    PAYABLE,
    RISK_LARGE_AMOUNT,
    RISK_NEW_ACCOUNT_AGE,
    PaymentStatus,
    can_move,
)
from walletdesk.wallet.payment_views import money_json, webhook_payload
from walletdesk.wallet.step_up import step_up_refusal


class PaymentRefused(Exception):
    """Raised inside a payment's transaction to roll it back with a failure code."""

    def __init__(self, code: str, raw: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.raw = raw


def check_payable(
    deps: WalletDeps,
    conn: Connection,
    payment: Any,
    customer: User,
    verification_token: str | None,
    now: Any,
) -> tuple[Merchant, User]:
    """Raise :class:`PaymentRefused` with the first reason the payment may not go ahead.

    Limit usage is consumed last; the caller's transaction rolls it back if the ledger
    then refuses the debit.
    """
    status = PaymentStatus(payment.status)
    if status is PaymentStatus.SUCCEEDED:
        raise PaymentRefused("duplicate_payment")
    if status not in PAYABLE:
        # A canceled intent: the merchant withdrew the order (raw says so for the diagnosis).
        raise PaymentRefused(
            "payment_expired" if status is PaymentStatus.EXPIRED else "merchant_error",
            raw=None if status is PaymentStatus.EXPIRED else status.value,
        )
    if payment.expires_at <= now:
        raise PaymentRefused("payment_expired")
    merchant = get_merchant(conn, payment.merchant_id)
    if merchant.status != "active":
        raise PaymentRefused("merchant_unavailable")
    user = identity_store.get_user(conn, customer.id)
    if user.status is not UserStatus.ACTIVE:
        raise PaymentRefused("account_frozen")
    if payment.amount >= RISK_LARGE_AMOUNT and now - user.created_at < RISK_NEW_ACCOUNT_AGE:
        raise PaymentRefused("risk_blocked")
    unverified = step_up_refusal(deps, conn, user.id, payment.amount, verification_token, "payment")
    if unverified:
        raise PaymentRefused(unverified)
    blocked = limits.consume(conn, user, payment.currency, Scope.SPEND, payment.amount, now)
    if blocked:
        raise PaymentRefused(blocked)
    return merchant, user


def record_payment_failure(
    deps: WalletDeps,
    customer: User,
    payment_id: uuid.UUID,
    refusal: PaymentRefused,
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
        current = PaymentStatus(payment.status)
        wanted = (
            PaymentStatus.EXPIRED if refusal.code == "payment_expired" else PaymentStatus.FAILED
        )
        # A canceled or expired intent stays so: the refused attempt is recorded and
        # explained, but "failed" would make a withdrawn order payable again.
        moves = can_move(current, wanted)
        status = wanted if moves else current
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
        record_attempt(conn, payment_id, customer.id, "failed", refusal.code, detail, now)
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
        if moves:
            # The merchant already heard of a final state; an attempt on it is no news.
            webhooks.enqueue(
                conn, merchant, "payment.failed", webhook_payload(conn, payment_id), now
            )

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


def record_attempt(
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

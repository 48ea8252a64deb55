"""Refund and payment rows: loading and locking them, reserving refund room on the
payment, and moving a refund between states with its history.

Repositories never commit: every function runs inside the caller's transaction.
The reservation rules are in refunds.py's module docstring.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from walletdesk.core.errors import NotFound
from walletdesk.core.money import Currency, Money
from walletdesk.identity import store as identity_store
from walletdesk.identity import tables as identity_tables
from walletdesk.wallet import tables as t
from walletdesk.wallet.refund_actors import RefundActor
from walletdesk.wallet.refund_rules import (
    MAX_REFUNDS_PER_PAYMENT,
    TRANSITIONS,
    Party,
    RefundCardCoolingOff,
    RefundCardRequired,
    RefundExceedsPayment,
    RefundLimitReached,
    RefundStatus,
)

# -- reservations and rows -------------------------------------------------------------


def reserve_refund(conn: Connection, payment: Any, amount: int, now: datetime) -> None:
    """Count ``amount`` against the locked payment, or refuse (changing nothing)."""
    check_refund_room(payment, amount)
    p = t.payments.c
    # Guarded as well as locked: correct even where FOR UPDATE is a no-op.
    done = conn.execute(
        update(t.payments)
        .where(
            and_(
                p.id == payment.id,
                p.refunded + amount <= p.amount,
                p.refund_count < MAX_REFUNDS_PER_PAYMENT,
            )
        )
        .values(refunded=p.refunded + amount, refund_count=p.refund_count + 1, updated_at=now)
    )
    if done.rowcount != 1:
        raise RefundExceedsPayment(
            "another refund took what was left", remaining="0", currency=payment.currency
        )


def check_refund_room(payment: Any, amount: int) -> None:
    """Refuse an amount the payment has no room for, or a refund past the count limit."""
    remaining = payment.amount - payment.refunded
    if amount <= 0 or amount > remaining:
        shown = Money(max(remaining, 0), Currency.of(payment.currency)).to_decimal_string()
        raise RefundExceedsPayment(
            f"at most {shown} {payment.currency} is left to refund",
            remaining=shown,
            currency=payment.currency,
        )
    if payment.refund_count >= MAX_REFUNDS_PER_PAYMENT:
        raise RefundLimitReached(
            "this payment has the most refunds allowed", limit=MAX_REFUNDS_PER_PAYMENT
        )


def release_refund(conn: Connection, payment: Any, amount: int, now: datetime) -> None:
    p = t.payments.c
    done = conn.execute(
        update(t.payments)
        .where(and_(p.id == payment.id, p.refunded >= amount, p.refund_count >= 1))
        .values(refunded=p.refunded - amount, refund_count=p.refund_count - 1, updated_at=now)
    )
    if done.rowcount != 1:
        raise RuntimeError(f"payment {payment.id} has no reservation of {amount} to release")


def record_decision(
    conn: Connection,
    row: Any,
    decision: RefundStatus,
    by: Party,
    who: RefundActor,
    note: str | None,
    now: datetime,
) -> Any:
    decided_by = None
    if by is Party.MERCHANT:
        decided_by = row.merchant_id
    elif by is Party.AGENT and who.user is not None:
        decided_by = who.user.id
    return change_status(conn, row, decision, by, now, decided_by=decided_by, decision_note=note)


def change_status(
    conn: Connection, row: Any, status: RefundStatus, by: Party, now: datetime, **values: Any
) -> Any:
    """Move the (locked) refund to ``status``, appending to its history."""
    current = RefundStatus(row.status)
    if status not in TRANSITIONS[current]:
        raise RuntimeError(f"refund {row.id}: {current} -> {status} is not a transition")
    conn.execute(
        update(t.refunds)
        .where(t.refunds.c.id == row.id)
        .values(
            status=status.value,
            updated_at=now,
            history=[*row.history, history_entry(status, by, now)],
            **values,
        )
    )
    return refund_row(conn, row.id)


def history_entry(status: RefundStatus, by: Party, now: datetime) -> dict[str, str]:
    return {"status": status.value, "at": now.isoformat(), "by": by.value}


def payment_row(conn: Connection, payment_id: uuid.UUID, *, lock: bool = False) -> Any:
    stmt = select(t.payments).where(t.payments.c.id == payment_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise NotFound("no such payment")
    return row


def refund_row(conn: Connection, refund_id: uuid.UUID, *, lock: bool = False) -> Any:
    stmt = select(t.refunds).where(t.refunds.c.id == refund_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise NotFound("no such refund")
    return row


def refund_card(
    conn: Connection, customer_id: uuid.UUID, card_id: uuid.UUID | None, now: datetime
) -> Any:
    """The customer's chosen card, or their most recently added one past cooling-off.

    A card still in its cooling-off period never receives a refund: after an account
    takeover, the thief's freshly added card is exactly where a refund would go.
    """
    c = identity_tables.cards.c
    stmt = select(identity_tables.cards).where(
        and_(c.user_id == customer_id, c.removed_at.is_(None))
    )
    settled = or_(c.cooling_off_until.is_(None), c.cooling_off_until <= now)
    if card_id is not None:
        row = conn.execute(stmt.where(c.id == card_id)).first()
        if row is None:
            raise NotFound("no such card")
        if row.cooling_off_until is not None and row.cooling_off_until > now:
            raise RefundCardCoolingOff(
                "this card was added recently; refunds to it wait until the cooling-off ends",
                until=row.cooling_off_until.isoformat(),
            )
        return row
    row = conn.execute(stmt.where(settled).order_by(c.added_at.desc()).limit(1)).first()
    if row is None:
        raise RefundCardRequired("there is no card to refund to", field="card_id")
    return row


def customer_country(conn: Connection, user_id: uuid.UUID) -> str:
    return str(identity_store.user_row(conn, user_id).country)

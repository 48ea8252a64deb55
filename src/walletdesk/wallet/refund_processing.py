"""Moving a refund's money through the ledger, and the card route through the bank.

Balance: merchant -> customer's wallet at once. Card: a pending hold merchant ->
refunds clearing, then the bank twin's payout; approved posts the hold and moves
clearing -> funding, declined voids the hold. See refunds.py's module docstring.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from walletdesk.identity import tables as identity_tables
from walletdesk.ledger.model import CreateTransferResult, NewTransfer, TransferFlags
from walletdesk.wallet import tables as t
from walletdesk.wallet.accounts import NAMESPACE, SystemRole, system_account, wallet_account
from walletdesk.wallet.bank import BankOutcome, GatewayTimeout
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.merchants import Merchant, get_merchant
from walletdesk.wallet.refund_dates import CARD_REFUND_BUSINESS_DAYS, expected_by
from walletdesk.wallet.refund_notices import announce_refund
from walletdesk.wallet.refund_rules import Party, RefundRoute, RefundStatus
from walletdesk.wallet.refund_store import (
    change_status,
    customer_country,
    payment_row,
    refund_row,
    release_refund,
)

# -- the money -----------------------------------------------------------------------


def refund_destination(
    deps: WalletDeps, customer_id: uuid.UUID, currency: str, route: RefundRoute
) -> uuid.UUID:
    """Where an approved refund's money goes first: the wallet, or clearing for the card.

    Resolved before the use case's transaction: opening an account runs its own.
    """
    if route is RefundRoute.CARD:
        return system_account(deps, currency, SystemRole.REFUNDS_CLEARING)
    return wallet_account(deps, customer_id, currency)


def move_refund_money(
    deps: WalletDeps,
    conn: Connection,
    row: Any,
    shop: Merchant,
    destination: uuid.UUID,
    by: Party,
    now: datetime,
) -> Any:
    """Start an approved refund's money: to the balance at once, or a hold for the card.

    The merchant's balance too low: stays approved with ``insufficient_funds``.
    """
    card = RefundRoute(row.route) is RefundRoute.CARD
    # A fresh id per attempt: a refused id stays refused in the ledger.
    transfer_id = uuid.uuid4()
    [result] = deps.ledger.create_transfers_in(
        conn,
        [
            NewTransfer(
                id=transfer_id,
                debit_account_id=shop.account_id,
                credit_account_id=destination,
                amount=row.amount,
                currency=row.currency,
                code="refund",
                reference=f"refund:{row.id}",
                flags=TransferFlags.PENDING if card else TransferFlags.NONE,
            )
        ],
    )
    if result is CreateTransferResult.EXCEEDS_CREDITS:
        conn.execute(
            update(t.refunds)
            .where(t.refunds.c.id == row.id)
            .values(failure_code="insufficient_funds", updated_at=now)
        )
        return refund_row(conn, row.id)
    if result is not CreateTransferResult.OK:
        raise RuntimeError(f"ledger refused a refund transfer: {result}")
    if card:
        promise = expected_by(
            now, customer_country(conn, row.customer_id), CARD_REFUND_BUSINESS_DAYS
        )
        status = RefundStatus.PROCESSING
    else:
        promise, status = now, RefundStatus.SUCCEEDED
    return change_status(
        conn,
        row,
        status,
        by,
        now,
        ledger_transfer_id=transfer_id,
        expected_by=promise,
        failure_code=None,
    )


def ask_bank(deps: WalletDeps, refund_id: uuid.UUID) -> Any:
    """Pay a processing card refund out through the bank, then post or void its hold."""
    with deps.engine.connect() as conn:
        row = refund_row(conn, refund_id)
        if row.status != RefundStatus.PROCESSING.value:
            return row
        # The card may have been removed since; the refund still goes to it, as at a bank.
        token = conn.execute(
            select(identity_tables.cards.c.token).where(identity_tables.cards.c.id == row.card_id)
        ).scalar_one()
    failures = sum(1 for h in row.history if h["status"] == RefundStatus.FAILED.value)
    # The first attempt's key is refund:{id}; after a failure the bank must be asked anew.
    key = f"refund:{row.id}" if failures == 0 else f"refund:{row.id}:{failures + 1}"
    try:
        answer = deps.bank.payout(
            token=token, amount=row.amount, currency=row.currency, idempotency_key=key
        )
    except GatewayTimeout:
        return _note_timeout(deps, refund_id)
    # Resolved before the transaction: opening an account runs a transaction of its own.
    clearing = system_account(deps, row.currency, SystemRole.REFUNDS_CLEARING)
    funding = system_account(deps, row.currency, SystemRole.FUNDING)
    return deps.transaction(
        lambda conn: _settle(deps, conn, row, answer.outcome, clearing, funding)
    )


def _note_timeout(deps: WalletDeps, refund_id: uuid.UUID) -> Any:
    """Mark a card refund whose bank did not answer; the first time, tell people."""

    def work(conn: Connection) -> Any:
        payment_row(conn, refund_row(conn, refund_id).payment_id, lock=True)
        row = refund_row(conn, refund_id, lock=True)
        if row.status != RefundStatus.PROCESSING.value or row.failure_code == "gateway_timeout":
            return row
        conn.execute(
            update(t.refunds)
            .where(t.refunds.c.id == refund_id)
            .values(failure_code="gateway_timeout", updated_at=deps.clock.now())
        )
        row = refund_row(conn, refund_id)
        announce_refund(
            deps,
            conn,
            row,
            get_merchant(conn, row.merchant_id),
            created=False,
            now=deps.clock.now(),
        )
        return row

    return deps.transaction(work)


def _settle(
    deps: WalletDeps,
    conn: Connection,
    first: Any,
    outcome: BankOutcome,
    clearing: uuid.UUID,
    funding: uuid.UUID,
) -> Any:
    """Post (and pay out of clearing) or void the hold, as the bank answered."""
    now = deps.clock.now()
    payment = payment_row(conn, first.payment_id, lock=True)
    row = refund_row(conn, first.id, lock=True)
    if (
        row.status != RefundStatus.PROCESSING.value
        or row.ledger_transfer_id != first.ledger_transfer_id
    ):
        return row  # a concurrent retry settled it already
    hold = row.ledger_transfer_id
    shop = get_merchant(conn, row.merchant_id)
    if outcome is BankOutcome.APPROVED:
        chain = [
            NewTransfer(
                id=uuid.uuid5(NAMESPACE, f"refund-post:{hold}"),
                debit_account_id=None,
                credit_account_id=None,
                amount=None,
                currency=row.currency,
                code="refund",
                flags=TransferFlags.POST_PENDING | TransferFlags.LINKED,
                pending_id=hold,
            ),
            NewTransfer(
                id=uuid.uuid5(NAMESPACE, f"refund-payout:{hold}"),
                debit_account_id=clearing,
                credit_account_id=funding,
                amount=row.amount,
                currency=row.currency,
                code="refund",
                reference=f"refund:{row.id}",
            ),
        ]
        status = RefundStatus.SUCCEEDED
        promise = expected_by(
            now, customer_country(conn, row.customer_id), CARD_REFUND_BUSINESS_DAYS
        )
        values: dict[str, Any] = {"failure_code": None, "expected_by": promise}
    else:
        chain = [
            NewTransfer(
                id=uuid.uuid5(NAMESPACE, f"refund-void:{hold}"),
                debit_account_id=None,
                credit_account_id=None,
                amount=None,
                currency=row.currency,
                code="refund",
                flags=TransferFlags.VOID_PENDING,
                pending_id=hold,
            )
        ]
        status = RefundStatus.FAILED
        values = {"failure_code": "bank_declined", "expected_by": None}
        release_refund(conn, payment, row.amount, now)
    results = deps.ledger.create_transfers_in(conn, chain)
    if not all(result.succeeded for result in results):
        raise RuntimeError(f"ledger refused to settle refund {row.id}: {results}")
    row = change_status(conn, row, status, Party.BANK, now, **values)
    announce_refund(deps, conn, row, shop, created=False, now=now)
    return row

"""Top-ups and withdrawals through the bank gateway, as two-phase ledger transfers.

A top-up holds a pending credit (funding -> wallet) and posts it when the bank
confirms; a withdrawal holds a pending debit (wallet -> funding) so the money
cannot be spent twice while the bank works, and posts or voids it. Ids derive
from the client's idempotency key, so a retry finds the same record and asks the
bank again with the same key: a retried timeout never moves money twice.

A funding hold has no timeout: while the bank's outcome is unknown the money may
already have moved there, so the hold stays until the bank answers. It is posted
on an approval and voided only on a definite decline (card refunds do the same).
A withdrawal's limit usage is given back only with a decline, for the same reason.
Holds from before this rule carried a 24 h timeout (migration 0016 lifted it from
the open ones); one that lapsed anyway is booked afresh when the bank approves.

A withdrawal at or above ``settings.sca_threshold_minor`` needs a step-up token
(step_up.py), spent with the hold: once the hold is made the money has left the
wallet's available balance, so a later decline does not give the token back. A retry
with the same key finds the record and needs no new token. Top-ups bring money in
and need none.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from walletdesk.core.errors import Conflict, NotFound, ValidationError
from walletdesk.identity import store as identity_store
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.model import User, UserStatus
from walletdesk.ledger.model import CreateTransferResult, NewTransfer, TransferFlags
from walletdesk.notify.messages import AlertKind
from walletdesk.wallet import limits
from walletdesk.wallet import tables as t
from walletdesk.wallet.accounts import (
    NAMESPACE,
    SystemRole,
    check_currency,
    system_account,
    wallet_account,
)
from walletdesk.wallet.bank import BankOutcome, GatewayTimeout
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.failures import failure
from walletdesk.wallet.limits_policy import Scope
from walletdesk.wallet.payment_views import money_json
from walletdesk.wallet.step_up import step_up_refusal


class FundingStatus(StrEnum):
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class IdempotencyKeyReused(ValidationError):
    code = "idempotency_key_reused"


# Refusals about who is asking rather than what is asked: 403, as the API answers a
# missing or spent step-up token elsewhere (verification_required).
_FORBIDDEN = frozenset({"account_frozen", "authentication_required", "authentication_failed"})


class FundingRefused(ValidationError):
    """A withdrawal or transfer refused before any money moved; ``code`` is from the
    failure taxonomy."""

    def __init__(self, code: str, locale: str, **params: object) -> None:
        info = failure(code)
        super().__init__(info.message["en"], **params)
        # The refusal's code is the taxonomy's, per instance (one class, many reasons).
        self.code = code  # type: ignore[misc]
        self.http_status = 403 if code in _FORBIDDEN else 422  # type: ignore[misc]
        self.failure = info.public(locale)


class FundingInProgress(Conflict):
    code = "request_in_progress"


_ALREADY_MADE = frozenset(
    {CreateTransferResult.EXISTS, CreateTransferResult.EXISTS_WITH_DIFFERENT_FIELDS}
)


class _AlreadyStarted(Exception):
    """The funding's hold exists: raised to roll the second request's transaction back."""


def funding_id(user_id: uuid.UUID, kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"funding:{user_id}:{kind}:{key}")


def _card(conn: Connection, user_id: uuid.UUID, card_id: uuid.UUID) -> Any:
    row = conn.execute(
        select(identity_tables.cards).where(
            and_(
                identity_tables.cards.c.id == card_id,
                identity_tables.cards.c.user_id == user_id,
                identity_tables.cards.c.removed_at.is_(None),
            )
        )
    ).first()
    if row is None:
        raise NotFound("no such card")
    return row


def do_fund(
    deps: WalletDeps,
    user: User,
    *,
    kind: str,
    amount: int,
    currency: str,
    card_id: uuid.UUID,
    idempotency_key: str,
    locale: str,
    verification_token: str | None = None,
) -> dict[str, Any]:
    """Top up (``kind="topup"``) or withdraw (``"withdrawal"``); safe to call again.

    A new withdrawal at or above ``settings.sca_threshold_minor`` needs
    ``verification_token`` (FundingRefused ``authentication_required`` /
    ``authentication_failed`` otherwise, nothing changed and the token unspent). A
    call whose key already has a record answers from it and needs no token.
    """
    currency = check_currency(currency)
    if amount <= 0:
        raise ValidationError("the amount must be above zero", field="amount")
    record_id = funding_id(user.id, kind, idempotency_key)
    with deps.engine.connect() as conn:
        existing = conn.execute(select(t.fundings).where(t.fundings.c.id == record_id)).first()
        card = _card(conn, user.id, card_id)

    def replay(existing: Any) -> dict[str, Any]:
        """Answer a request whose key is taken, as the first request would be answered."""
        if (existing.amount, existing.currency, existing.card_id) != (amount, currency, card_id):
            raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
        if existing.status != FundingStatus.PROCESSING.value:
            return funding_public(existing, locale)
        return _settle(deps, user, existing, card.token, locale)

    if existing is not None:
        return replay(existing)
    wallet = wallet_account(deps, user.id, currency)
    bank_account = system_account(deps, currency, SystemRole.FUNDING)
    now = deps.clock.now()
    hold_id = uuid.uuid5(NAMESPACE, f"hold:{record_id}")
    topup = kind == "topup"

    def start(conn: Connection) -> Any:
        fresh = identity_store.get_user(conn, user.id)
        if not topup:
            if fresh.status is not UserStatus.ACTIVE:
                raise FundingRefused("account_frozen", locale)
            if card.cooling_off_until is not None and card.cooling_off_until > now:
                raise FundingRefused(
                    "card_cooling_off", locale, until=card.cooling_off_until.isoformat()
                )
            # After the cooling-off check (a fresh step-up would not help there) and
            # before the limits, in the order a payment takes them, so the two lock the
            # token's row and the limit rows the same way round.
            unverified = step_up_refusal(
                deps, conn, user.id, amount, verification_token, "withdrawal"
            )
            if unverified:
                raise FundingRefused(unverified, locale)
            blocked = limits.consume(conn, fresh, currency, Scope.WITHDRAW, amount, now)
            if blocked:
                raise FundingRefused(blocked, locale)
        [result] = deps.ledger.create_transfers_in(
            conn,
            [
                NewTransfer(
                    id=hold_id,
                    debit_account_id=bank_account if topup else wallet,
                    credit_account_id=wallet if topup else bank_account,
                    amount=amount,
                    currency=currency,
                    code=kind,
                    reference=f"funding:{record_id}",
                    # No timeout: see the module's docstring.
                    flags=TransferFlags.PENDING,
                )
            ],
        )
        if result in _ALREADY_MADE:
            # An overlapping request with the same key got there first: roll back
            # (this one's limit usage included) and answer with that one below.
            raise _AlreadyStarted
        if result is CreateTransferResult.EXCEEDS_CREDITS:
            # Rolls the token back unspent too, as a payment refused for its balance
            # does: nothing moved, so a top-up and a retry within the token's few
            # minutes should not need another password.
            raise FundingRefused("insufficient_funds", locale)
        if result is not CreateTransferResult.OK:
            raise RuntimeError(f"ledger refused a funding hold: {result}")
        conn.execute(
            insert(t.fundings).values(
                id=record_id,
                user_id=user.id,
                kind=kind,
                card_id=card_id,
                amount=amount,
                currency=currency,
                status=FundingStatus.PROCESSING.value,
                hold_transfer_id=hold_id,
                created_at=now,
                updated_at=now,
            )
        )
        return conn.execute(select(t.fundings).where(t.fundings.c.id == record_id)).one()

    try:
        row = deps.transaction(start)
    except (_AlreadyStarted, FundingRefused) as refused:
        # A refusal may come from an overlapping twin that committed first and used
        # up the limit or the balance: its record is then the answer.
        with deps.engine.connect() as conn:
            twin = conn.execute(select(t.fundings).where(t.fundings.c.id == record_id)).first()
        if twin is None:
            if isinstance(refused, _AlreadyStarted):  # a hold without its record
                raise RuntimeError(f"funding hold {hold_id} exists without its record") from None
            raise
        return replay(twin)
    return _settle(deps, user, row, card.token, locale)


def _settle(deps: WalletDeps, user: User, row: Any, token: str, locale: str) -> dict[str, Any]:
    """Ask the bank (again, with the same key) and post or void the hold accordingly."""
    key = f"{row.kind}:{row.id}"
    try:
        if row.kind == "topup":
            answer = deps.bank.charge(
                token=token, amount=row.amount, currency=row.currency, idempotency_key=key
            )
        else:
            answer = deps.bank.payout(
                token=token, amount=row.amount, currency=row.currency, idempotency_key=key
            )
    except GatewayTimeout:
        body = funding_public(row, locale)
        body["failure"] = failure("gateway_timeout").public(locale)
        return body
    approved = answer.outcome is BankOutcome.APPROVED
    now = deps.clock.now()
    # Resolved before the transaction: opening an account is a transaction of its own.
    accounts = (
        wallet_account(deps, row.user_id, row.currency),
        system_account(deps, row.currency, SystemRole.FUNDING),
    )

    def finish(conn: Connection) -> Any:
        current = conn.execute(
            select(t.fundings).where(t.fundings.c.id == row.id).with_for_update()
        ).one()
        if current.status != FundingStatus.PROCESSING.value:
            return current
        if approved:
            _book_approval(deps, conn, current, *accounts)
        else:
            _void_hold(deps, conn, current)
        status = FundingStatus.SUCCEEDED if approved else FundingStatus.FAILED
        fresh = identity_store.get_user(conn, user.id)
        if status is FundingStatus.FAILED and row.kind == "withdrawal":
            limits.release(conn, fresh, row.currency, Scope.WITHDRAW, row.amount, row.created_at)
        conn.execute(
            update(t.fundings)
            .where(t.fundings.c.id == row.id)
            .values(
                status=status.value,
                bank_reference=answer.reference,
                failure_code=None if status is FundingStatus.SUCCEEDED else "bank_declined",
                updated_at=now,
            )
        )
        deps.identity.alert(
            conn,
            AlertKind.TRANSACTION,
            fresh,
            {
                "direction": "in" if row.kind == "topup" else "out",
                **money_json(row.amount, row.currency),
                "counterparty": "bank card"
                if status is FundingStatus.SUCCEEDED
                else "bank card (declined)",
            },
        )
        return conn.execute(select(t.fundings).where(t.fundings.c.id == row.id)).one()

    try:
        settled = deps.transaction(finish)
    except _LapsedWithdrawalUnbookable:
        # Rolled back whole: the funding stays processing, its limit usage counted (the
        # bank did pay out), for an operator or a later retry once the money is back.
        return funding_public(row, locale)
    body = funding_public(settled, locale)
    if settled.status == FundingStatus.FAILED.value:
        body["failure"] = failure("bank_declined").public(locale, answer.raw_code)
    return body


class _LapsedWithdrawalUnbookable(Exception):
    """A lapsed withdrawal hold's money was spent since: booking the payout would take
    the wallet below zero. Raised to roll the settling transaction back."""


def _book_approval(
    deps: WalletDeps, conn: Connection, row: Any, wallet: uuid.UUID, bank_account: uuid.UUID
) -> None:
    """Post the hold of a funding the bank approved.

    A hold that lapsed under the old 24 h timeout was already released, while the bank
    did move the money: the same movement is then posted afresh as one transfer.
    """
    result = _resolve_hold(deps, conn, row, TransferFlags.POST_PENDING)
    if result.succeeded:
        return
    if result is not CreateTransferResult.PENDING_TRANSFER_EXPIRED:
        raise RuntimeError(f"ledger refused to post a funding hold: {result}")
    topup = row.kind == "topup"
    [result] = deps.ledger.create_transfers_in(
        conn,
        [
            NewTransfer(
                id=uuid.uuid5(NAMESPACE, f"settle-lapsed:{row.id}"),
                debit_account_id=bank_account if topup else wallet,
                credit_account_id=wallet if topup else bank_account,
                amount=row.amount,
                currency=row.currency,
                code=row.kind,
                reference=f"funding:{row.id}",
            )
        ],
    )
    if result is CreateTransferResult.EXCEEDS_CREDITS:
        raise _LapsedWithdrawalUnbookable(row.id)
    if not result.succeeded:
        raise RuntimeError(f"ledger refused to book a lapsed funding: {result}")


def _resolve_hold(
    deps: WalletDeps, conn: Connection, row: Any, flags: TransferFlags
) -> CreateTransferResult:
    """Post or void a funding's hold. One id for either (settle:<funding>): the ledger
    takes only the first, so a funding's hold is resolved once, one way."""
    [result] = deps.ledger.create_transfers_in(
        conn,
        [
            NewTransfer(
                id=uuid.uuid5(NAMESPACE, f"settle:{row.id}"),
                debit_account_id=None,
                credit_account_id=None,
                amount=None,
                currency=row.currency,
                code=row.kind,
                flags=flags,
                pending_id=row.hold_transfer_id,
            )
        ],
    )
    return result


def _void_hold(deps: WalletDeps, conn: Connection, row: Any) -> None:
    """Give the held money back after a definite decline (a lapsed hold already was)."""
    result = _resolve_hold(deps, conn, row, TransferFlags.VOID_PENDING)
    if not result.succeeded and result is not CreateTransferResult.PENDING_TRANSFER_EXPIRED:
        raise RuntimeError(f"ledger refused to void a funding hold: {result}")


def funding_public(row: Any, locale: str) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "kind": row.kind,
        **money_json(row.amount, row.currency),
        "card_id": str(row.card_id),
        "status": row.status,
        "failure": failure(row.failure_code).public(locale) if row.failure_code else None,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }

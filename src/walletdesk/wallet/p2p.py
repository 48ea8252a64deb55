"""Person-to-person transfers to a phone number, an email address or a user id."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from walletdesk.core.errors import NotFound, ValidationError
from walletdesk.identity import store as identity_store
from walletdesk.identity.contacts import normalise_login
from walletdesk.identity.model import User, UserStatus
from walletdesk.ledger.model import CreateTransferResult, NewTransfer, Transfer
from walletdesk.notify.messages import AlertKind
from walletdesk.wallet import limits
from walletdesk.wallet import tables as t
from walletdesk.wallet.accounts import NAMESPACE, check_currency, wallet_account
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.funding import FundingRefused, IdempotencyKeyReused
from walletdesk.wallet.limits_policy import Scope
from walletdesk.wallet.payment_views import money_json
from walletdesk.wallet.step_up import step_up_refusal


class RecipientNotFound(NotFound):
    code = "recipient_not_found"


def _recipient(conn: Connection, to: str) -> User:
    try:
        return identity_store.get_user(conn, uuid.UUID(to))
    except ValueError:
        pass
    except NotFound:
        raise RecipientNotFound("nobody with that phone, email or id uses walletdesk") from None
    try:
        kind, value = normalise_login(to)
    except ValidationError:
        raise RecipientNotFound("nobody with that phone, email or id uses walletdesk") from None
    row = identity_store.user_row_by_login(conn, kind, value)
    if row is None:
        raise RecipientNotFound("nobody with that phone, email or id uses walletdesk")
    return User.from_row(row)


_ALREADY_MADE = frozenset(
    {CreateTransferResult.EXISTS, CreateTransferResult.EXISTS_WITH_DIFFERENT_FIELDS}
)


class _AlreadyMade(Exception):
    """The transfer's id is taken: raised to roll the second request's transaction back."""


def do_transfer(
    deps: WalletDeps,
    sender: User,
    *,
    to: str,
    amount: int,
    currency: str,
    note: str | None,
    idempotency_key: str,
    locale: str,
    verification_token: str | None = None,
) -> dict[str, Any]:
    """Send ``amount`` (minor units) to ``to``; the same key answers the same transfer.

    A new transfer at or above ``settings.sca_threshold_minor`` needs
    ``verification_token`` (FundingRefused ``authentication_required`` /
    ``authentication_failed`` otherwise, nothing changed and the token unspent). A call
    whose key already moved money answers with that transfer and needs no token.
    """
    currency = check_currency(currency)
    if amount <= 0:
        raise ValidationError("the amount must be above zero", field="amount")
    if note is not None and len(note) > 140:
        raise ValidationError("a note has at most 140 characters", field="note")
    with deps.engine.connect() as conn:
        receiver = _recipient(conn, to)
    if receiver.id == sender.id:
        raise ValidationError("you cannot send money to yourself", field="to")
    if receiver.status is UserStatus.CLOSED:
        raise RecipientNotFound("nobody with that phone, email or id uses walletdesk")
    transfer_id = uuid.uuid5(NAMESPACE, f"p2p:{sender.id}:{idempotency_key}")
    existing = deps.ledger.lookup_transfers([transfer_id])
    source = wallet_account(deps, sender.id, currency)
    target = wallet_account(deps, receiver.id, currency)

    def replay(stored: Transfer) -> dict[str, Any]:
        """The answer already given for this key, or the refusal of a different request."""
        if (stored.amount, stored.credit_account_id) != (amount, target):
            raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
        created_at = stored.created_at.isoformat()
        return _public(transfer_id, sender, receiver, amount, currency, note, created_at)

    if existing:
        return replay(existing[0])
    now = deps.clock.now()

    def work(conn: Connection) -> None:
        fresh = _check_sendable(
            deps, conn, sender, amount, currency, verification_token, now, locale
        )
        [result] = deps.ledger.create_transfers_in(
            conn,
            [
                NewTransfer(
                    id=transfer_id,
                    debit_account_id=source,
                    credit_account_id=target,
                    amount=amount,
                    currency=currency,
                    code="p2p",
                    reference=f"p2p:{transfer_id}",
                )
            ],
        )
        if result is CreateTransferResult.EXCEEDS_CREDITS:
            # Rolls the token back unspent too, as a payment refused for its balance
            # does: nothing moved, so a top-up and a retry within the token's few
            # minutes should not need another password.
            raise FundingRefused("insufficient_funds", locale)
        if result in _ALREADY_MADE:
            # An overlapping request with the same key got there first. Roll back, or
            # this request's limit usage would be committed for money it never moved.
            raise _AlreadyMade
        if result is not CreateTransferResult.OK:
            raise RuntimeError(f"ledger refused a P2P transfer: {result}")
        conn.execute(
            insert(t.p2p_transfers).values(
                id=transfer_id,
                sender_id=sender.id,
                receiver_id=receiver.id,
                amount=amount,
                currency=currency,
                note=note,
                created_at=now,
            )
        )
        deps.identity.alert(
            conn,
            AlertKind.TRANSACTION,
            fresh,
            {
                "direction": "out",
                **money_json(amount, currency),
                "counterparty": receiver.display_name,
            },
        )
        deps.identity.alert(
            conn,
            AlertKind.TRANSACTION,
            receiver,
            {"direction": "in", **money_json(amount, currency), "counterparty": fresh.display_name},
        )

    try:
        deps.transaction(work)
    except _AlreadyMade:
        [stored] = deps.ledger.lookup_transfers([transfer_id])
        return replay(stored)
    except FundingRefused:
        # An overlapping twin that committed first may have used up the limit or the
        # balance this request was checked against: its transfer is the answer then.
        made = deps.ledger.lookup_transfers([transfer_id])
        if made:
            return replay(made[0])
        raise
    return _public(transfer_id, sender, receiver, amount, currency, note, now.isoformat())


def _check_sendable(
    deps: WalletDeps,
    conn: Connection,
    sender: User,
    amount: int,
    currency: str,
    verification_token: str | None,
    now: datetime,
    locale: str,
) -> User:
    """Raise FundingRefused with the first reason the sender may not send ``amount``
    (minor units); return the sender as stored now.

    The step-up token is spent and the limit usage consumed in ``conn``'s transaction:
    both roll back if the ledger then refuses the debit.
    """
    fresh = identity_store.get_user(conn, sender.id)
    if fresh.status is not UserStatus.ACTIVE:
        raise FundingRefused("account_frozen", locale)
    # Before the limits, in the order a payment takes them (the same rows locked the
    # same way round).
    unverified = step_up_refusal(deps, conn, sender.id, amount, verification_token, "transfer")
    if unverified:
        raise FundingRefused(unverified, locale)
    blocked = limits.consume(conn, fresh, currency, Scope.SPEND, amount, now)
    if blocked:
        raise FundingRefused(blocked, locale)
    return fresh


def _public(
    transfer_id: uuid.UUID,
    sender: User,
    receiver: User,
    amount: int,
    currency: str,
    note: str | None,
    created_at: str,
) -> dict[str, Any]:
    return {
        "id": str(transfer_id),
        "status": "succeeded",
        **money_json(amount, currency),
        "to": {"id": str(receiver.id), "display_name": receiver.display_name},
        "from": {"id": str(sender.id), "display_name": sender.display_name},
        "note": note,
        "created_at": created_at,
    }

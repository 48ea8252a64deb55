"""Person-to-person transfers to a verified phone number or email address, or a user id."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from walletdesk.core.errors import NotFound, ValidationError
from walletdesk.identity import store as identity_store
from walletdesk.identity.contacts import normalise_login
from walletdesk.identity.model import ContactKind, User, UserStatus
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


_NOBODY = "nobody with that phone, email or id uses walletdesk"


def _recipient(conn: Connection, sender: User, to: str) -> User:
    """Whom ``to`` (a user id, phone number or email address) names for ``sender``.

    A phone number or email address names only an account that has *verified* it:
    sign-up takes a contact on trust, so an unverified one may be someone else's number
    typed by a squatter, who must not receive the money its owner's friends send. Such
    an account is answered as nobody (RecipientNotFound, the same code and words), so a
    sender cannot learn that an unverified account holds the number. A user id was
    shown by walletdesk itself and is taken as it is.

    Raises RecipientNotFound, or ValidationError when ``to`` is the sender (their own
    contact, verified or not: that reveals nothing).
    """
    try:
        user_id = uuid.UUID(to)
    except ValueError:
        user_id = None
    if user_id is not None:
        try:
            receiver = identity_store.get_user(conn, user_id)
        except NotFound:
            raise RecipientNotFound(_NOBODY) from None
        return _not_yourself(sender, receiver)
    try:
        kind, value = normalise_login(to)
    except ValidationError:
        raise RecipientNotFound(_NOBODY) from None
    row = identity_store.user_row_by_login(conn, kind, value)
    if row is None:
        raise RecipientNotFound(_NOBODY)
    receiver = _not_yourself(sender, User.from_row(row))
    kind_verified_at = (
        receiver.email_verified_at if kind == ContactKind.EMAIL else receiver.phone_verified_at
    )
    if kind_verified_at is None:
        raise RecipientNotFound(_NOBODY)
    return receiver


def _not_yourself(sender: User, receiver: User) -> User:
    if receiver.id == sender.id:
        raise ValidationError("you cannot send money to yourself", field="to")
    return receiver


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
    # Looked up outside the money's transaction: a recipient whose contact changes in the
    # instant before the commit still gets the money sent to the contact they had proven
    # when it was looked up (a changed contact only ever becomes unverified).
    with deps.engine.connect() as conn:
        receiver = _recipient(conn, sender, to)
    if receiver.status is UserStatus.CLOSED:
        raise RecipientNotFound(_NOBODY)
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

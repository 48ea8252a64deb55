"""Refunds: the customer asks, the merchant (or its policy) decides, the money goes back.

States (DOMAIN.md §4)::

    requested -> approved | rejected
    approved  -> processing (card) | succeeded (balance, in the same transaction)
    processing -> succeeded | failed
    failed    -> approved (a retry; the amount is reserved again)

A balance refund never rests in ``processing``: the ledger moves the money in the
transaction that approves it. ``approved`` with ``failure_code =
insufficient_funds`` means the merchant's balance could not cover it yet; a retry
moves it on.

Reservations: ``payments.refunded`` and ``payments.refund_count`` are the sum and
the count of the payment's *live* refunds (requested, approved, processing,
succeeded). They change only with the payment row locked (``FOR UPDATE``; SQLite
serialises writers with ``BEGIN IMMEDIATE``) and by guarded ``UPDATE``\\ s, in the
transaction that creates or ends the refund, so concurrent requests can never
refund more than was paid nor more than :data:`MAX_REFUNDS_PER_PAYMENT` times.
Every use case locks the payment row before the refund row.

Money moves only through the ledger, inside the same transaction:

* balance: merchant -> customer's wallet, at once;
* card: a pending hold merchant -> refunds clearing, then the bank twin's payout
  with the key ``refund:{id}``; approved: post the hold and move clearing ->
  funding (one linked chain); declined: void the hold (the money is back in the
  merchant's balance). A timeout leaves the refund ``processing``; a retry asks
  the bank again with the same key, so it can never pay twice. The hold has no
  timeout: releasing it while the bank might have paid would pay twice.

Every transaction that changes a refund queues one alert to the customer, for the
state it ends in (automatic approval to the balance is one "completed" message,
not three in the same second), and the merchant's webhook.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from walletdesk.core.errors import NotFound, ValidationError
from walletdesk.core.money import Currency, CurrencyMismatch, Money
from walletdesk.identity import store as identity_store
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.errors import Forbidden
from walletdesk.identity.model import RequestContext, User
from walletdesk.identity.roles import Permission, can
from walletdesk.ledger.model import CreateTransferResult, NewTransfer, TransferFlags
from walletdesk.notify.messages import AlertKind, variants
from walletdesk.wallet import tables as t
from walletdesk.wallet import webhooks
from walletdesk.wallet.accounts import NAMESPACE, SystemRole, system_account, wallet_account
from walletdesk.wallet.bank import BankOutcome, GatewayTimeout
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.merchants import REFUND_REASONS, Merchant, RefundPolicy, get_merchant
from walletdesk.wallet.refund_dates import CARD_REFUND_BUSINESS_DAYS, expected_by
from walletdesk.wallet.refund_rules import (
    ALERT_VARIANTS,
    FAILURES,
    HARD_WINDOW,
    MAX_REFUNDS_PER_PAYMENT,
    TRANSITIONS,
    EvidenceRequired,
    OverrideNotAllowed,
    Party,
    PaymentNotRefundable,
    RefundCardCoolingOff,
    RefundCardRequired,
    RefundExceedsPayment,
    RefundLimitReached,
    RefundNotPending,
    RefundNotRetryable,
    RefundRoute,
    RefundStatus,
    RefundWindowClosed,
    clean_evidence,
    clean_text,
    decode_cursor,
    parse_route,
)


@dataclass(frozen=True, slots=True)
class _Actor:
    party: Party
    user: User | None  # the customer or agent acting; None for a merchant


# -- requesting ----------------------------------------------------------------------


def do_request_refund(
    deps: WalletDeps,
    actor: User | None,
    merchant: Merchant | None,
    payment_id: uuid.UUID,
    *,
    amount: Money | None = None,
    reason: str,
    note: str | None = None,
    evidence: Sequence[str] = (),
    route: str = RefundRoute.BALANCE.value,
    card_id: uuid.UUID | None = None,
    locale: str = "en",
    agent_override_reason: str | None = None,
    ctx: RequestContext | None = None,
) -> dict[str, Any]:
    """Ask for a refund of ``amount`` (None: all that is left) of a succeeded payment.

    Callers: the payment's payer (``actor``), its merchant (``merchant``), or an
    agent (``actor`` with a staff role); anyone else gets :class:`NotFound`.
    Customers ask within the merchant's window and with evidence where its policy
    wants it; the merchant may refund up to 365 days; an agent may go beyond both
    with ``agent_override_reason`` (audited). Approved at once when the merchant
    asks, when an agent overrides, or when the policy is automatic; the money then
    moves before this returns (a card refund may still be ``processing``).
    Any refusal raises before anything is written.
    """
    ctx = ctx or RequestContext(locale=locale)
    now = deps.clock.now()
    if reason not in REFUND_REASONS:
        raise ValidationError(f"reason is one of {', '.join(REFUND_REASONS)}", field="reason")
    chosen_route = parse_route(route)
    note = clean_text(note, "note")
    override = clean_text(agent_override_reason, "agent_override_reason")
    proof = clean_evidence(evidence)
    with deps.engine.connect() as conn:
        payment = _payment(conn, payment_id)
        who = _actor_on(payment, actor, merchant, Permission.ACT_ON_CUSTOMERS)
        if override and who.party is not Party.AGENT:
            raise OverrideNotAllowed("only agents can refund outside the merchant's policy")
        if payment.status != "succeeded":
            raise PaymentNotRefundable("this payment was not completed", status=payment.status)
        shop = get_merchant(conn, payment.merchant_id)
        card = (
            _card(conn, payment.customer_id, card_id, deps.clock.now())
            if chosen_route is RefundRoute.CARD
            else None
        )
    if amount is not None:
        if amount.currency.code != payment.currency:
            raise CurrencyMismatch("refund in the payment's currency", field="currency")
        if amount.minor <= 0:
            raise ValidationError("the amount must be above zero", field="amount")
    approver = check_refund_policy(
        shop.refund_policy, who.party, payment.paid_at, reason, proof, override, now
    )
    # Checked again under the payment's lock below; this one spares a doomed request
    # from opening accounts.
    _check_room(payment, amount.minor if amount is not None else payment.amount - payment.refunded)
    destination = _destination(deps, payment.customer_id, payment.currency, chosen_route)
    refund_id = uuid.uuid4()

    def work(conn: Connection) -> Any:
        locked = _payment(conn, payment_id, lock=True)
        wanted = amount.minor if amount is not None else locked.amount - locked.refunded
        _reserve(conn, locked, wanted, now)
        conn.execute(
            insert(t.refunds).values(
                id=refund_id,
                payment_id=payment_id,
                customer_id=locked.customer_id,
                merchant_id=locked.merchant_id,
                amount=wanted,
                currency=locked.currency,
                reason=reason,
                note=note,
                evidence=proof,
                route=chosen_route.value,
                card_id=card.id if card is not None else None,
                status=RefundStatus.REQUESTED.value,
                requested_by=who.party.value,
                created_at=now,
                updated_at=now,
                history=[_entry(RefundStatus.REQUESTED, who.party, now)],
            )
        )
        row = _refund(conn, refund_id)
        if approver is not None:
            row = _decide(conn, row, RefundStatus.APPROVED, approver, who, override, now)
            row = _move_money(deps, conn, row, shop, destination, approver, now)
        _announce(deps, conn, row, shop, created=True, now=now)
        if who.party is Party.AGENT:
            _audit(deps, conn, "agent.refund.requested", who, row, ctx, reason=override or note)
        return row

    row = deps.transaction(work)
    if row.status == RefundStatus.PROCESSING.value:
        row = _ask_bank(deps, row.id)
    return refund_public(row, locale)


def check_refund_policy(
    policy: RefundPolicy,
    party: Party,
    paid_at: datetime,
    reason: str,
    evidence: Sequence[str],
    override: str | None,
    now: datetime,
) -> Party | None:
    """Who approves a new request at once (None: the merchant decides later), or refuse it.

    Customers (and agents acting for them) ask within the policy's window, with
    evidence for the reasons that need it; the merchant may refund its own
    payment for up to 365 days; an agent's written override passes both.
    """
    if not override:
        window = HARD_WINDOW
        if party is not Party.MERCHANT:
            window = min(window, timedelta(days=policy.window_days))
        if now > paid_at + window:
            raise RefundWindowClosed("the refund period is over", window_days=window.days)
        if party is not Party.MERCHANT and reason in policy.evidence_required_for and not evidence:
            raise EvidenceRequired("this reason needs evidence", field="evidence")
    if party is Party.MERCHANT or override:
        return party
    if policy.approval == "automatic":
        return Party.POLICY
    return None


# -- deciding ------------------------------------------------------------------------


def do_approve_refund(
    deps: WalletDeps,
    actor: User | None,
    merchant: Merchant | None,
    refund_id: uuid.UUID,
    *,
    note: str | None = None,
    locale: str = "en",
    ctx: RequestContext | None = None,
) -> dict[str, Any]:
    """The payment's merchant (or an agent) approves a requested refund; the money moves.

    Raises :class:`RefundNotPending` when it was already decided, :class:`Forbidden`
    for the payer, :class:`NotFound` for anyone else.
    """
    return _decide_request(
        deps, actor, merchant, refund_id, RefundStatus.APPROVED, note, locale, ctx
    )


def do_reject_refund(
    deps: WalletDeps,
    actor: User | None,
    merchant: Merchant | None,
    refund_id: uuid.UUID,
    *,
    note: str | None = None,
    locale: str = "en",
    ctx: RequestContext | None = None,
) -> dict[str, Any]:
    """The payment's merchant (or an agent) rejects a requested refund; the reservation ends."""
    return _decide_request(
        deps, actor, merchant, refund_id, RefundStatus.REJECTED, note, locale, ctx
    )


def _decide_request(
    deps: WalletDeps,
    actor: User | None,
    merchant: Merchant | None,
    refund_id: uuid.UUID,
    decision: RefundStatus,
    note: str | None,
    locale: str,
    ctx: RequestContext | None,
) -> dict[str, Any]:
    ctx = ctx or RequestContext(locale=locale)
    note = clean_text(note, "note")
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        first = _refund(conn, refund_id)
        who = _decider(_payment(conn, first.payment_id), actor, merchant)
        shop = get_merchant(conn, first.merchant_id)
    approving = decision is RefundStatus.APPROVED
    destination = None
    if approving:
        destination = _destination(
            deps, first.customer_id, first.currency, RefundRoute(first.route)
        )

    def work(conn: Connection) -> Any:
        payment = _payment(conn, first.payment_id, lock=True)
        row = _refund(conn, refund_id, lock=True)
        if row.status != RefundStatus.REQUESTED.value:
            raise RefundNotPending("this refund was already decided", status=row.status)
        if not approving:
            _release(conn, payment, row.amount, now)
        row = _decide(conn, row, decision, who.party, who, note, now)
        if destination is not None:
            row = _move_money(deps, conn, row, shop, destination, who.party, now)
        _announce(deps, conn, row, shop, created=False, now=now)
        if who.party is Party.AGENT:
            _audit(deps, conn, f"agent.refund.{decision.value}", who, row, ctx, reason=note)
        return row

    row = deps.transaction(work)
    if row.status == RefundStatus.PROCESSING.value:
        row = _ask_bank(deps, row.id)
    return refund_public(row, locale)


# -- retrying ------------------------------------------------------------------------


def do_retry_refund(
    deps: WalletDeps,
    actor: User | None,
    merchant: Merchant | None,
    refund_id: uuid.UUID,
    *,
    route: str | None = None,
    card_id: uuid.UUID | None = None,
    locale: str = "en",
    ctx: RequestContext | None = None,
) -> dict[str, Any]:
    """Try again a refund whose money has not arrived; the payer, merchant or an agent may.

    ``processing``: asks the bank again with the same key (never pays twice).
    ``approved`` (the merchant's balance was short): moves the money now.
    ``failed``: reserves the amount again (the payment's limits apply) and starts
    over, optionally on another ``route`` / ``card_id`` (e.g. to the balance
    after the bank declined the card). Anything else: :class:`RefundNotRetryable`.
    """
    ctx = ctx or RequestContext(locale=locale)
    now = deps.clock.now()
    new_route = parse_route(route) if route is not None else None
    with deps.engine.connect() as conn:
        first = _refund(conn, refund_id)
        who = _actor_on(
            _payment(conn, first.payment_id), actor, merchant, Permission.ACT_ON_CUSTOMERS
        )
        shop = get_merchant(conn, first.merchant_id)
        target = new_route or RefundRoute(first.route)
        wants_card = target is RefundRoute.CARD and (card_id is not None or first.card_id is None)
        card = _card(conn, first.customer_id, card_id, now) if wants_card else None
    if first.status == RefundStatus.PROCESSING.value:
        if new_route is not None or card_id is not None:
            raise RefundNotRetryable(
                "a refund at the bank cannot change route", status=first.status
            )
        return refund_public(_ask_bank(deps, refund_id), locale)
    destination = _destination(deps, first.customer_id, first.currency, target)

    def work(conn: Connection) -> Any:
        payment = _payment(conn, first.payment_id, lock=True)
        row = _refund(conn, refund_id, lock=True)
        status = RefundStatus(row.status)
        before = row.status
        if status not in {RefundStatus.APPROVED, RefundStatus.FAILED}:
            raise RefundNotRetryable("there is nothing to retry", status=row.status)
        changes: dict[str, Any] = {"route": target.value}
        if target is RefundRoute.BALANCE:
            changes["card_id"] = None
        elif card is not None:
            changes["card_id"] = card.id
        if status is RefundStatus.FAILED:
            _reserve(conn, payment, row.amount, now)
            row = _change(conn, row, RefundStatus.APPROVED, who.party, now, **changes)
        else:
            conn.execute(update(t.refunds).where(t.refunds.c.id == row.id).values(**changes))
            row = _refund(conn, row.id)
        row = _move_money(deps, conn, row, shop, destination, who.party, now)
        if row.status != before:  # still short of money: nothing new to tell
            _announce(deps, conn, row, shop, created=False, now=now)
        if who.party is Party.AGENT:
            _audit(deps, conn, "agent.refund.retried", who, row, ctx, reason=None)
        return row

    row = deps.transaction(work)
    if row.status == RefundStatus.PROCESSING.value:
        row = _ask_bank(deps, row.id)
    return refund_public(row, locale)


# -- reading -------------------------------------------------------------------------


def get_refund(
    deps: WalletDeps,
    refund_id: uuid.UUID,
    *,
    actor: User | None,
    merchant: Merchant | None,
    locale: str = "en",
) -> dict[str, Any]:
    """A refund as its payer, its merchant or staff see it; anyone else gets 404."""
    with deps.engine.connect() as conn:
        row = _refund(conn, refund_id)
        _actor_on(_payment(conn, row.payment_id), actor, merchant, Permission.READ_CUSTOMERS)
    return refund_public(row, locale)


def list_refunds_for_payment(
    deps: WalletDeps,
    payment_id: uuid.UUID,
    *,
    actor: User | None,
    merchant: Merchant | None,
    locale: str = "en",
    limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The payment's refunds, oldest first, cursor-paginated (``{items, next_cursor}``)."""
    if not 1 <= limit <= 100:
        raise ValidationError("limit must be between 1 and 100", field="limit")
    after = decode_cursor(cursor)
    with deps.engine.connect() as conn:
        _actor_on(_payment(conn, payment_id), actor, merchant, Permission.READ_CUSTOMERS)
        rows = conn.execute(
            select(t.refunds)
            .where(and_(t.refunds.c.payment_id == payment_id, t.refunds.c.seq > after))
            .order_by(t.refunds.c.seq)
            .limit(limit + 1)
        ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [refund_public(r, locale) for r in rows],
        "next_cursor": format(rows[-1].seq, "x") if more else None,
    }


def refund_public(row: Any, locale: str) -> dict[str, Any]:
    lang = "zh-CN" if locale == "zh-CN" else "en"
    failure = None
    if row.failure_code in FAILURES:
        info = FAILURES[row.failure_code]
        message, next_step = info[lang]
        failure = {
            "code": row.failure_code,
            "retryable": info["retryable"],
            "message": message,
            "next_step": next_step,
        }
    decision = next(
        (h for h in reversed(row.history) if h["status"] in {"approved", "rejected"}), None
    )
    return {
        "id": str(row.id),
        "payment_id": str(row.payment_id),
        "merchant_id": str(row.merchant_id),
        **Money(row.amount, Currency.of(row.currency)).as_json(),
        "status": row.status,
        "route": row.route,
        "card_id": str(row.card_id) if row.card_id else None,
        "reason": row.reason,
        "note": row.note,
        "evidence": list(row.evidence),
        "requested_by": row.requested_by,
        "decision": None
        if decision is None
        else {"status": decision["status"], "by": decision["by"], "note": row.decision_note},
        "failure": failure,
        "expected_by": row.expected_by.isoformat() if row.expected_by else None,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "history": list(row.history),
    }


# -- the money -----------------------------------------------------------------------


def _destination(
    deps: WalletDeps, customer_id: uuid.UUID, currency: str, route: RefundRoute
) -> uuid.UUID:
    """Where an approved refund's money goes first: the wallet, or clearing for the card.

    Resolved before the use case's transaction: opening an account runs its own.
    """
    if route is RefundRoute.CARD:
        return system_account(deps, currency, SystemRole.REFUNDS_CLEARING)
    return wallet_account(deps, customer_id, currency)


def _move_money(
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
        return _refund(conn, row.id)
    if result is not CreateTransferResult.OK:
        raise RuntimeError(f"ledger refused a refund transfer: {result}")
    if card:
        promise = expected_by(now, _country(conn, row.customer_id), CARD_REFUND_BUSINESS_DAYS)
        status = RefundStatus.PROCESSING
    else:
        promise, status = now, RefundStatus.SUCCEEDED
    return _change(
        conn,
        row,
        status,
        by,
        now,
        ledger_transfer_id=transfer_id,
        expected_by=promise,
        failure_code=None,
    )


def _ask_bank(deps: WalletDeps, refund_id: uuid.UUID) -> Any:
    """Pay a processing card refund out through the bank, then post or void its hold."""
    with deps.engine.connect() as conn:
        row = _refund(conn, refund_id)
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
        _payment(conn, _refund(conn, refund_id).payment_id, lock=True)
        row = _refund(conn, refund_id, lock=True)
        if row.status != RefundStatus.PROCESSING.value or row.failure_code == "gateway_timeout":
            return row
        conn.execute(
            update(t.refunds)
            .where(t.refunds.c.id == refund_id)
            .values(failure_code="gateway_timeout", updated_at=deps.clock.now())
        )
        row = _refund(conn, refund_id)
        _announce(
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
    payment = _payment(conn, first.payment_id, lock=True)
    row = _refund(conn, first.id, lock=True)
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
        promise = expected_by(now, _country(conn, row.customer_id), CARD_REFUND_BUSINESS_DAYS)
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
        _release(conn, payment, row.amount, now)
    results = deps.ledger.create_transfers_in(conn, chain)
    if not all(result.succeeded for result in results):
        raise RuntimeError(f"ledger refused to settle refund {row.id}: {results}")
    row = _change(conn, row, status, Party.BANK, now, **values)
    _announce(deps, conn, row, shop, created=False, now=now)
    return row


# -- reservations and rows -------------------------------------------------------------


def _reserve(conn: Connection, payment: Any, amount: int, now: datetime) -> None:
    """Count ``amount`` against the locked payment, or refuse (changing nothing)."""
    _check_room(payment, amount)
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


def _check_room(payment: Any, amount: int) -> None:
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


def _release(conn: Connection, payment: Any, amount: int, now: datetime) -> None:
    p = t.payments.c
    done = conn.execute(
        update(t.payments)
        .where(and_(p.id == payment.id, p.refunded >= amount, p.refund_count >= 1))
        .values(refunded=p.refunded - amount, refund_count=p.refund_count - 1, updated_at=now)
    )
    if done.rowcount != 1:
        raise RuntimeError(f"payment {payment.id} has no reservation of {amount} to release")


def _decide(
    conn: Connection,
    row: Any,
    decision: RefundStatus,
    by: Party,
    who: _Actor,
    note: str | None,
    now: datetime,
) -> Any:
    decided_by = None
    if by is Party.MERCHANT:
        decided_by = row.merchant_id
    elif by is Party.AGENT and who.user is not None:
        decided_by = who.user.id
    return _change(conn, row, decision, by, now, decided_by=decided_by, decision_note=note)


def _change(
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
            history=[*row.history, _entry(status, by, now)],
            **values,
        )
    )
    return _refund(conn, row.id)


def _entry(status: RefundStatus, by: Party, now: datetime) -> dict[str, str]:
    return {"status": status.value, "at": now.isoformat(), "by": by.value}


def _payment(conn: Connection, payment_id: uuid.UUID, *, lock: bool = False) -> Any:
    stmt = select(t.payments).where(t.payments.c.id == payment_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise NotFound("no such payment")
    return row


def _refund(conn: Connection, refund_id: uuid.UUID, *, lock: bool = False) -> Any:
    stmt = select(t.refunds).where(t.refunds.c.id == refund_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise NotFound("no such refund")
    return row


def _card(
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


def _country(conn: Connection, user_id: uuid.UUID) -> str:
    return str(identity_store.user_row(conn, user_id).country)


# -- who may act -----------------------------------------------------------------------


def _actor_on(
    payment: Any, actor: User | None, merchant: Merchant | None, staff: Permission
) -> _Actor:
    """The payer, the payment's merchant, or staff holding ``staff``; else 404 (no leaks)."""
    if merchant is not None and payment.merchant_id == merchant.id:
        return _Actor(Party.MERCHANT, None)
    if actor is not None and merchant is None:
        if payment.customer_id == actor.id:
            return _Actor(Party.CUSTOMER, actor)
        if can(actor.role, staff):
            return _Actor(Party.AGENT, actor)
    raise NotFound("no such payment")


def _decider(payment: Any, actor: User | None, merchant: Merchant | None) -> _Actor:
    who = _actor_on(payment, actor, merchant, Permission.ACT_ON_CUSTOMERS)
    if who.party is Party.CUSTOMER:
        raise Forbidden("the merchant decides on refunds")
    return who


# -- telling people ----------------------------------------------------------------------


def _announce(
    deps: WalletDeps, conn: Connection, row: Any, shop: Merchant, *, created: bool, now: datetime
) -> None:
    """One alert to the customer for the state the refund is now in, and the webhooks.

    A card refund that has just reached ``processing`` is about to hear from the
    bank, so only its outcome is told (or, if the bank is slow, ``processing``).
    """
    status, route = RefundStatus(row.status), RefundRoute(row.route)
    asking_bank = status is RefundStatus.PROCESSING and row.failure_code is None
    variant = None if asking_bank else ALERT_VARIANTS.get((status, route))
    if variant is not None and variant in variants(AlertKind.REFUND_STATUS):
        customer = identity_store.get_user(conn, row.customer_id)
        last4 = ""
        if row.card_id is not None:
            last4 = conn.execute(
                select(identity_tables.cards.c.last4).where(
                    identity_tables.cards.c.id == row.card_id
                )
            ).scalar_one()
        params = {
            "status": variant,
            **Money(row.amount, Currency.of(row.currency)).as_json(),
            "merchant": shop.name,
            "refund_id": str(row.id),
            "route": route.value,
            "last4": last4,
            "expected_by": row.expected_by.date().isoformat() if row.expected_by else "",
        }
        deps.identity.alert(conn, AlertKind.REFUND_STATUS, customer, params)
    events = ["refund.created"] if created else []
    if status is RefundStatus.SUCCEEDED:
        events.append("refund.succeeded")
    elif status is RefundStatus.FAILED:
        events.append("refund.failed")
    elif not created and not asking_bank:
        events.append("refund.updated")
    payload = refund_public(row, "en")
    for event in events:
        webhooks.enqueue(conn, shop, event, payload, now)


def _audit(
    deps: WalletDeps,
    conn: Connection,
    action: str,
    who: _Actor,
    row: Any,
    ctx: RequestContext,
    *,
    reason: str | None,
) -> None:
    customer = identity_store.get_user(conn, row.customer_id)
    deps.identity.audit(
        conn,
        action,
        actor=who.user,
        subject=customer,
        ctx=ctx,
        after={
            "refund_id": str(row.id),
            "payment_id": str(row.payment_id),
            "amount": row.amount,
            "currency": row.currency,
            "status": row.status,
            "route": row.route,
        },
        reason=reason,
    )

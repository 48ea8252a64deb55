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

This module holds the use cases that change a refund (request, approve, reject,
retry). Beside it: refund_processing.py (the ledger moves and the card route
through the bank), refund_store.py (rows, locks, reservations, state changes),
refund_actors.py (who may act), refund_notices.py (alerts, webhooks, audit) and
refund_views.py (reading refunds).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, update

from walletdesk.core.errors import ValidationError
from walletdesk.core.money import CurrencyMismatch, Money
from walletdesk.identity.changes import find_card
from walletdesk.identity.model import RequestContext, User
from walletdesk.identity.roles import Permission
from walletdesk.wallet import tables as t
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.merchants import REFUND_REASONS, Merchant, RefundPolicy, get_merchant
from walletdesk.wallet.refund_actors import actor_on_payment, refund_decider
from walletdesk.wallet.refund_notices import announce_refund, audit_refund
from walletdesk.wallet.refund_processing import ask_bank, move_refund_money, refund_destination
from walletdesk.wallet.refund_rules import (
    HARD_WINDOW,
    EvidenceRequired,
    OverrideNotAllowed,
    Party,
    PaymentNotRefundable,
    RefundCardRemoved,
    RefundNotPending,
    RefundNotRetryable,
    RefundRoute,
    RefundStatus,
    RefundWindowClosed,
    clean_evidence,
    clean_text,
    parse_route,
)
from walletdesk.wallet.refund_store import (
    change_status,
    check_refund_room,
    history_entry,
    payment_row,
    record_decision,
    refund_card,
    refund_row,
    release_refund,
    reserve_refund,
)
from walletdesk.wallet.refund_views import refund_public

__all__ = [
    "check_refund_policy",
    "do_approve_refund",
    "do_reject_refund",
    "do_request_refund",
    "do_retry_refund",
]

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
    with ``agent_override_reason`` (audited). Only the agent action ``refund`` passes
    one, once approved by a second person (support/actions_runners.py); the HTTP
    route refuses it. Approved at once when the merchant
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
        payment = payment_row(conn, payment_id)
        who = actor_on_payment(payment, actor, merchant, Permission.ACT_ON_CUSTOMERS)
        if override and who.party is not Party.AGENT:
            raise OverrideNotAllowed("only agents can refund outside the merchant's policy")
        if payment.status != "succeeded":
            raise PaymentNotRefundable("this payment was not completed", status=payment.status)
        shop = get_merchant(conn, payment.merchant_id)
        card = (
            refund_card(conn, payment.customer_id, card_id, deps.clock.now())
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
    check_refund_room(
        payment, amount.minor if amount is not None else payment.amount - payment.refunded
    )
    destination = refund_destination(deps, payment.customer_id, payment.currency, chosen_route)
    refund_id = uuid.uuid4()

    def work(conn: Connection) -> Any:
        locked = payment_row(conn, payment_id, lock=True)
        wanted = amount.minor if amount is not None else locked.amount - locked.refunded
        reserve_refund(conn, locked, wanted, now)
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
                history=[history_entry(RefundStatus.REQUESTED, who.party, now)],
            )
        )
        row = refund_row(conn, refund_id)
        if approver is not None:
            row = record_decision(conn, row, RefundStatus.APPROVED, approver, who, override, now)
            row = move_refund_money(deps, conn, row, shop, destination, approver, now)
        announce_refund(deps, conn, row, shop, created=True, now=now)
        if who.party is Party.AGENT:
            audit_refund(
                deps, conn, "agent.refund.requested", who, row, ctx, reason=override or note
            )
        return row

    row = deps.transaction(work)
    if row.status == RefundStatus.PROCESSING.value:
        row = ask_bank(deps, row.id)
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
        first = refund_row(conn, refund_id)
        who = refund_decider(payment_row(conn, first.payment_id), actor, merchant)
        shop = get_merchant(conn, first.merchant_id)
    approving = decision is RefundStatus.APPROVED
    route = RefundRoute(first.route)
    if approving and route is RefundRoute.CARD:
        with deps.engine.connect() as conn:
            if find_card(conn, first.customer_id, first.card_id) is None:
                # The customer removed the card they chose while the refund waited: it
                # goes to their balance, which is theirs, not to a card they let go.
                route = RefundRoute.BALANCE
    destination = None
    if approving:
        destination = refund_destination(deps, first.customer_id, first.currency, route)

    def work(conn: Connection) -> Any:
        payment = payment_row(conn, first.payment_id, lock=True)
        row = refund_row(conn, refund_id, lock=True)
        if row.status != RefundStatus.REQUESTED.value:
            raise RefundNotPending("this refund was already decided", status=row.status)
        if not approving:
            release_refund(conn, payment, row.amount, now)
        if route.value != row.route:
            conn.execute(
                update(t.refunds)
                .where(t.refunds.c.id == row.id)
                .values(route=route.value, card_id=None)
            )
        row = record_decision(conn, row, decision, who.party, who, note, now)
        if destination is not None:
            row = move_refund_money(deps, conn, row, shop, destination, who.party, now)
        announce_refund(deps, conn, row, shop, created=False, now=now)
        if who.party is Party.AGENT:
            audit_refund(deps, conn, f"agent.refund.{decision.value}", who, row, ctx, reason=note)
        elif who.user is not None:
            # A person at the shop decided in the portal: the audit trail names them.
            audit_refund(
                deps, conn, f"merchant.refund.{decision.value}", who, row, ctx, reason=note
            )
        return row

    row = deps.transaction(work)
    if row.status == RefundStatus.PROCESSING.value:
        row = ask_bank(deps, row.id)
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
        first = refund_row(conn, refund_id)
        who = actor_on_payment(
            payment_row(conn, first.payment_id), actor, merchant, Permission.ACT_ON_CUSTOMERS
        )
        shop = get_merchant(conn, first.merchant_id)
        target = new_route or RefundRoute(first.route)
        wants_card = target is RefundRoute.CARD and (card_id is not None or first.card_id is None)
        card = refund_card(conn, first.customer_id, card_id, now) if wants_card else None
        if (
            target is RefundRoute.CARD
            and card is None
            and first.status != RefundStatus.PROCESSING.value
            and find_card(conn, first.customer_id, first.card_id) is None
        ):
            # Money not yet with the bank goes nowhere near a removed card. (A refund the
            # bank holds is asked again for the same card: it may already be paid.)
            raise RefundCardRemoved(
                "the card this refund was going to was removed", field="card_id"
            )
    if first.status == RefundStatus.PROCESSING.value:
        if new_route is not None or card_id is not None:
            raise RefundNotRetryable(
                "a refund at the bank cannot change route", status=first.status
            )
        return refund_public(ask_bank(deps, refund_id), locale)
    destination = refund_destination(deps, first.customer_id, first.currency, target)

    def work(conn: Connection) -> Any:
        payment = payment_row(conn, first.payment_id, lock=True)
        row = refund_row(conn, refund_id, lock=True)
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
            reserve_refund(conn, payment, row.amount, now)
            row = change_status(conn, row, RefundStatus.APPROVED, who.party, now, **changes)
        else:
            conn.execute(update(t.refunds).where(t.refunds.c.id == row.id).values(**changes))
            row = refund_row(conn, row.id)
        row = move_refund_money(deps, conn, row, shop, destination, who.party, now)
        if row.status != before:  # still short of money: nothing new to tell
            announce_refund(deps, conn, row, shop, created=False, now=now)
        if who.party is Party.AGENT:
            audit_refund(deps, conn, "agent.refund.retried", who, row, ctx, reason=None)
        return row

    row = deps.transaction(work)
    if row.status == RefundStatus.PROCESSING.value:
        row = ask_bank(deps, row.id)
    return refund_public(row, locale)

"""Checking an agent action's parameters before anything is stored.

A typo, another customer's payment, card or limit request, a request already
decided, or a refund the payment has no room for is refused when the action is
proposed, so nobody is asked to approve something that cannot run. The services
re-check everything when the action runs.

Two steps: :func:`requested_params` puts what the agent asked for in its stored
form (typos refused, ids and amounts canonical), looking up only what never changes
(a payment's owner and currency); :func:`clean_params` adds the checks of what can
change (is the request still waiting, is there room left) and what the approver is
shown besides. A retry under the same idempotency key is compared on the first
alone: the action it repeats may have run since, so the second would refuse it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select

from walletdesk.core.errors import NotFound
from walletdesk.core.money import Money
from walletdesk.core.text import drop_control_characters
from walletdesk.identity import store as identity_store
from walletdesk.identity.changes import find_card
from walletdesk.identity.contacts import normalise_email, normalise_phone
from walletdesk.identity.model import User
from walletdesk.notify import tables as notify_tables
from walletdesk.notify.messages import CODE_KINDS
from walletdesk.support.actions_rules import MAX_TEXT, ActionKind, InvalidActionParams
from walletdesk.wallet import limit_requests
from walletdesk.wallet import tables as wallet_tables
from walletdesk.wallet.accounts import check_currency
from walletdesk.wallet.limits_policy import Window
from walletdesk.wallet.merchants import REFUND_REASONS
from walletdesk.wallet.payment_views import money_json
from walletdesk.wallet.refund_rules import PaymentNotRefundable, RefundRoute
from walletdesk.wallet.refund_store import check_refund_room


def param_text(params: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise InvalidActionParams(f"{name} is required", field=name)
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise InvalidActionParams(f"{name} must be a short text", field=name)
    # A refund's note reaches a text column when the action runs: a NUL there would fail
    # the approval on PostgreSQL instead of refusing the proposal (core/text.py).
    cleaned = drop_control_characters(value).strip()
    if not cleaned:
        if required:
            raise InvalidActionParams(f"{name} is required", field=name)
        return None
    return cleaned


def param_uuid(params: dict[str, Any], name: str) -> uuid.UUID:
    text = param_text(params, name)
    try:
        return uuid.UUID(str(text))
    except ValueError:
        raise InvalidActionParams(f"{name} must be an id", field=name) from None


def requested_params(
    conn: Connection, kind: ActionKind, customer_id: uuid.UUID, params: dict[str, Any]
) -> dict[str, Any]:
    """What the agent asks for, in its stored form; refuses typos (InvalidActionParams) and
    another customer's payment (NotFound). Nothing here depends on state that changes."""
    if kind is ActionKind.ADD_NOTE:
        return {"body": param_text(params, "body")}
    if kind is ActionKind.RESEND_ALERT:
        return {"alert_id": str(param_uuid(params, "alert_id"))}
    if kind is ActionKind.REFUND:
        return _refund_requested(conn, customer_id, params)
    if kind is ActionKind.RAISE_LIMIT:
        return _raise_limit(params)
    if kind in {ActionKind.APPROVE_LIMIT_REQUEST, ActionKind.REJECT_LIMIT_REQUEST}:
        return {"request_id": str(param_uuid(params, "request_id"))}
    if kind in {ActionKind.CHANGE_PHONE, ActionKind.CHANGE_EMAIL}:
        return _contact_requested(kind, params)
    if kind is ActionKind.REMOVE_BANK_CARD:
        return {"card_id": str(param_uuid(params, "card_id"))}
    return {}  # reset_2fa, freeze, unfreeze take none


def clean_params(
    conn: Connection,
    kind: ActionKind,
    customer: User,
    ticket_id: uuid.UUID | None,
    params: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Check an action's parameters and whether it can run now; return their stored form
    (shown to the approver): :func:`requested_params` and what the approver needs besides."""
    requested = requested_params(conn, kind, customer.id, params)
    if kind is ActionKind.ADD_NOTE and ticket_id is None:
        raise InvalidActionParams("a note belongs to a ticket", field="ticket_id")
    if kind is ActionKind.RESEND_ALERT:
        _check_alert(conn, customer, uuid.UUID(requested["alert_id"]))
    if kind is ActionKind.REFUND:
        _check_refund(conn, requested)
    if kind is ActionKind.RAISE_LIMIT:
        # An agent grants nothing the customer could not be granted themselves.
        limit_requests.check_increase_allowed(customer)
        until = datetime.fromisoformat(requested["until"])
        if not now < until <= now + limit_requests.MAX_TEMPORARY:
            raise InvalidActionParams(
                "a raise is temporary: until must be within 30 days", field="until"
            )
    if kind in {ActionKind.APPROVE_LIMIT_REQUEST, ActionKind.REJECT_LIMIT_REQUEST}:
        terms = _limit_request(conn, customer, uuid.UUID(requested["request_id"]), now, kind=kind)
        return {**requested, **terms}
    if kind in {ActionKind.CHANGE_PHONE, ActionKind.CHANGE_EMAIL}:
        _check_contact_free(conn, requested)
    if kind is ActionKind.REMOVE_BANK_CARD:
        card = find_card(conn, customer.id, uuid.UUID(requested["card_id"]))
        if card is None:
            raise NotFound("no such card for this customer")
        return {**requested, "last4": card.last4, "bank_name": card.bank_name}
    return requested


def _check_alert(conn: Connection, customer: User, alert_id: uuid.UUID) -> None:
    o = notify_tables.outbox
    row = conn.execute(
        select(o.c.kind).where(and_(o.c.id == alert_id, o.c.user_id == customer.id))
    ).first()
    if row is None:
        raise NotFound("no such alert for this customer")
    if row.kind in {kind.value for kind in CODE_KINDS}:
        # A one-time code is only ever sent because the customer asked for it.
        raise InvalidActionParams("verification codes are not resent", field="alert_id")


def _payment(conn: Connection, customer_id: uuid.UUID, payment_id: uuid.UUID) -> Any:
    payment = conn.execute(
        select(wallet_tables.payments).where(wallet_tables.payments.c.id == payment_id)
    ).first()
    if payment is None or payment.customer_id != customer_id:
        raise NotFound("no such payment for this customer")
    return payment


def _refund_requested(
    conn: Connection, customer_id: uuid.UUID, params: dict[str, Any]
) -> dict[str, Any]:
    payment_id = param_uuid(params, "payment_id")
    payment = _payment(conn, customer_id, payment_id)
    amount = param_text(params, "amount", required=False)
    if amount is not None:
        parsed = Money.parse(amount, payment.currency)
        if parsed.minor <= 0:
            raise InvalidActionParams("the amount must be above zero", field="amount")
        # "5" and "5.00" are one request: a retry compares equal, and the approver reads
        # the amount as every other amount is written.
        amount = parsed.to_decimal_string()
    reason = param_text(params, "reason")
    if reason not in REFUND_REASONS:
        raise InvalidActionParams(f"reason is one of {', '.join(REFUND_REASONS)}", field="reason")
    route = param_text(params, "route", required=False) or RefundRoute.BALANCE.value
    if route not in {r.value for r in RefundRoute}:
        raise InvalidActionParams("route is balance or card", field="route")
    return {
        "payment_id": str(payment_id),
        "amount": amount,
        "reason": reason,
        "route": route,
        "note": param_text(params, "note", required=False),
    }


def _check_refund(conn: Connection, requested: dict[str, Any]) -> None:
    """Refuse a refund the wallet would refuse when it runs: of a payment that did not
    succeed (PaymentNotRefundable), or beyond what is left of it or past the count limit
    (the wallet's own :func:`check_refund_room`). Policy (window, evidence) is not checked:
    an approved action is the agent's override of it (actions_runners._run_refund)."""
    payment = conn.execute(
        select(wallet_tables.payments).where(
            wallet_tables.payments.c.id == uuid.UUID(requested["payment_id"])
        )
    ).one()
    if payment.status != "succeeded":
        raise PaymentNotRefundable("this payment was not completed", status=payment.status)
    amount = requested["amount"]
    wanted = (
        Money.parse(amount, payment.currency).minor
        if amount is not None
        else payment.amount - payment.refunded
    )
    check_refund_room(payment, wanted)


def _raise_limit(params: dict[str, Any]) -> dict[str, Any]:
    currency = check_currency(param_text(params, "currency", required=False) or "CNY")
    window = param_text(params, "window")
    if window not in {w.value for w in Window}:
        raise InvalidActionParams("unknown limit window", field="window")
    amount_text = param_text(params, "amount")
    limit = Money.parse(str(amount_text), currency)
    if limit.minor <= 0:
        raise InvalidActionParams("the amount must be above zero", field="amount")
    until_text = param_text(params, "until")
    try:
        until = datetime.fromisoformat(str(until_text))
    except ValueError:
        raise InvalidActionParams("until is an ISO 8601 time", field="until") from None
    if until.tzinfo is None:
        raise InvalidActionParams(
            "a raise is temporary: until must be within 30 days", field="until"
        )
    return {
        "currency": currency,
        "window": window,
        "amount": limit.to_decimal_string(),
        "until": until.isoformat(),
    }


def _limit_request(
    conn: Connection, customer: User, request_id: uuid.UUID, now: datetime, *, kind: ActionKind
) -> dict[str, Any]:
    """The request must be this customer's and still need review; the approver sees its terms."""
    row = limit_requests.check_reviewable(conn, customer.id, request_id, lock=False)
    if kind is ActionKind.APPROVE_LIMIT_REQUEST:
        limit_requests.check_grantable(row, now)
        limit_requests.check_increase_allowed(customer)
    terms = money_json(row.amount, row.currency)
    return {
        "window": row.window,
        "amount": terms["amount"],
        "currency": terms["currency"],
        "until": row.until.isoformat() if row.until else None,
    }


def _contact_requested(kind: ActionKind, params: dict[str, Any]) -> dict[str, Any]:
    field = "phone" if kind is ActionKind.CHANGE_PHONE else "email"
    raw = param_text(params, field)
    # Normalised now, so a typo is refused before anyone is asked to approve it.
    value = normalise_phone(str(raw)) if field == "phone" else normalise_email(str(raw))
    return {field: value}


def _check_contact_free(conn: Connection, requested: dict[str, Any]) -> None:
    phone, email = requested.get("phone"), requested.get("email")
    if identity_store.login_taken(conn, phone=phone, email=email):
        raise InvalidActionParams(
            "this contact already belongs to an account", field="phone" if phone else "email"
        )

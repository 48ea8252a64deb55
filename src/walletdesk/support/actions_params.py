"""Checking an agent action's parameters before anything is stored.

A typo, another customer's payment, card or limit request, or a request already
decided is refused when the action is proposed, so nobody is asked to approve
something that cannot run. The services re-check everything when the action runs.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select

from walletdesk.core.errors import NotFound
from walletdesk.core.money import Money
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
from walletdesk.wallet.refund_rules import RefundRoute


def param_text(params: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise InvalidActionParams(f"{name} is required", field=name)
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise InvalidActionParams(f"{name} must be a short text", field=name)
    return value.strip()


def param_uuid(params: dict[str, Any], name: str) -> uuid.UUID:
    text = param_text(params, name)
    try:
        return uuid.UUID(str(text))
    except ValueError:
        raise InvalidActionParams(f"{name} must be an id", field=name) from None


def clean_params(
    conn: Connection,
    kind: ActionKind,
    customer: User,
    ticket_id: uuid.UUID | None,
    params: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Check an action's parameters; return their stored form (shown to the approver)."""
    if kind is ActionKind.ADD_NOTE:
        if ticket_id is None:
            raise InvalidActionParams("a note belongs to a ticket", field="ticket_id")
        return {"body": param_text(params, "body")}
    if kind is ActionKind.RESEND_ALERT:
        return _resend_alert(conn, customer, params)
    if kind is ActionKind.REFUND:
        return _refund(conn, customer, params)
    if kind is ActionKind.RAISE_LIMIT:
        # An agent grants nothing the customer could not be granted themselves.
        limit_requests.check_increase_allowed(identity_store.get_user(conn, customer.id))
        return _raise_limit(params, now)
    if kind in {ActionKind.APPROVE_LIMIT_REQUEST, ActionKind.REJECT_LIMIT_REQUEST}:
        return _limit_request(conn, customer, params, now, kind=kind)
    if kind in {ActionKind.CHANGE_PHONE, ActionKind.CHANGE_EMAIL}:
        return _contact(conn, kind, params)
    if kind is ActionKind.REMOVE_BANK_CARD:
        card_id = param_uuid(params, "card_id")
        card = find_card(conn, customer.id, card_id)
        if card is None:
            raise NotFound("no such card for this customer")
        return {"card_id": str(card_id), "last4": card.last4, "bank_name": card.bank_name}
    return {}  # reset_2fa, freeze, unfreeze take none


def _resend_alert(conn: Connection, customer: User, params: dict[str, Any]) -> dict[str, Any]:
    alert_id = param_uuid(params, "alert_id")
    o = notify_tables.outbox
    row = conn.execute(
        select(o.c.kind).where(and_(o.c.id == alert_id, o.c.user_id == customer.id))
    ).first()
    if row is None:
        raise NotFound("no such alert for this customer")
    if row.kind in {kind.value for kind in CODE_KINDS}:
        # A one-time code is only ever sent because the customer asked for it.
        raise InvalidActionParams("verification codes are not resent", field="alert_id")
    return {"alert_id": str(alert_id)}


def _refund(conn: Connection, customer: User, params: dict[str, Any]) -> dict[str, Any]:
    payment_id = param_uuid(params, "payment_id")
    payment = conn.execute(
        select(wallet_tables.payments).where(wallet_tables.payments.c.id == payment_id)
    ).first()
    if payment is None or payment.customer_id != customer.id:
        raise NotFound("no such payment for this customer")
    amount = param_text(params, "amount", required=False)
    if amount is not None:
        Money.parse(amount, payment.currency)
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


def _raise_limit(params: dict[str, Any], now: datetime) -> dict[str, Any]:
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
    if until.tzinfo is None or not now < until <= now + limit_requests.MAX_TEMPORARY:
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
    conn: Connection, customer: User, params: dict[str, Any], now: datetime, *, kind: ActionKind
) -> dict[str, Any]:
    """The request must be this customer's and still need review; the approver sees its terms."""
    request_id = param_uuid(params, "request_id")
    row = limit_requests.check_reviewable(conn, customer.id, request_id, lock=False)
    if kind is ActionKind.APPROVE_LIMIT_REQUEST:
        limit_requests.check_grantable(row, now)
        limit_requests.check_increase_allowed(identity_store.get_user(conn, customer.id))
    terms = money_json(row.amount, row.currency)
    return {
        "request_id": str(request_id),
        "window": row.window,
        "amount": terms["amount"],
        "currency": terms["currency"],
        "until": row.until.isoformat() if row.until else None,
    }


def _contact(conn: Connection, kind: ActionKind, params: dict[str, Any]) -> dict[str, Any]:
    field = "phone" if kind is ActionKind.CHANGE_PHONE else "email"
    raw = param_text(params, field)
    # Normalised now, so a typo is refused before anyone is asked to approve it.
    value = normalise_phone(str(raw)) if field == "phone" else normalise_email(str(raw))
    taken = identity_store.login_taken(
        conn,
        phone=value if field == "phone" else None,
        email=value if field == "email" else None,
    )
    if taken:
        raise InvalidActionParams("this contact already belongs to an account", field=field)
    return {field: value}

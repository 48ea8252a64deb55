"""Running an approved (or low-risk) agent action through the wallet and identity services.

Each runner takes the stored action row and returns ``(before, after, result)``;
it calls the same service function the customer's own action uses, so every
rule (limits, alerts, audit, cooling-off, refund policy) holds for agents too.
A :class:`~walletdesk.core.errors.WalletdeskError` from the service marks the
action ``failed`` with that code (``actions._execute``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from walletdesk.core.money import Money
from walletdesk.identity import store as identity_store
from walletdesk.identity.accounts import do_set_status
from walletdesk.identity.authentication import sign_out_for_recovery
from walletdesk.identity.changes import do_change_contact_for_customer, do_remove_card_for_customer
from walletdesk.identity.model import RequestContext, User, UserStatus
from walletdesk.identity.verification import switch_totp_off
from walletdesk.notify import tables as notify_tables
from walletdesk.notify.messages import AlertKind
from walletdesk.support.actions_rules import ActionKind, TwoFactorNotOn
from walletdesk.support.tickets.service import TicketDeps, do_agent_reply
from walletdesk.wallet import limit_requests
from walletdesk.wallet import tables as wallet_tables
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.limits_policy import Window
from walletdesk.wallet.refund_rules import EvidenceRequired, RefundRoute, RefundWindowClosed
from walletdesk.wallet.refunds import do_request_refund

Outcome = tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any]]
Runner = Callable[[WalletDeps, User, Any, RequestContext], Outcome]


def _run_add_note(deps: WalletDeps, executor: User, row: Any, ctx: RequestContext) -> Outcome:
    note = do_agent_reply(
        TicketDeps.of(deps.engine, deps.clock),
        executor,
        row.ticket_id,
        str(row.params["body"]),
        internal=True,
    )
    return None, {"note_added": True}, {"note": note}


def _run_resend_alert(deps: WalletDeps, executor: User, row: Any, ctx: RequestContext) -> Outcome:
    o = notify_tables.outbox

    def work(conn: Connection) -> dict[str, Any]:
        original = conn.execute(select(o).where(o.c.id == uuid.UUID(row.params["alert_id"]))).one()
        customer = identity_store.get_user(conn, row.customer_id)
        # Re-sent to the contacts on file now, never to where the original went.
        new_id = deps.identity.alert(conn, AlertKind(original.kind), customer, original.payload)
        return {"alert_id": str(new_id), "kind": original.kind}

    sent = deps.transaction(work)
    return None, sent, sent


def _run_refund(deps: WalletDeps, executor: User, row: Any, ctx: RequestContext) -> Outcome:
    params = row.params
    payment_id = uuid.UUID(params["payment_id"])
    with deps.engine.connect() as conn:
        payment = conn.execute(
            select(wallet_tables.payments).where(wallet_tables.payments.c.id == payment_id)
        ).one()
    before = {"payment_id": str(payment_id), "refunded": payment.refunded}
    amount = Money.parse(params["amount"], payment.currency) if params.get("amount") else None

    def ask(override: str | None) -> dict[str, Any]:
        return do_request_refund(
            deps,
            executor,
            None,
            payment_id,
            amount=amount,
            reason=params["reason"],
            note=params.get("note"),
            route=params.get("route") or RefundRoute.BALANCE.value,
            locale=ctx.locale,
            agent_override_reason=override,
            ctx=ctx,
        )

    try:
        refund = ask(None)
    except (RefundWindowClosed, EvidenceRequired):
        # Outside the merchant's policy: the approved action is the written override.
        refund = ask(str(row.reason))
    with deps.engine.connect() as conn:
        refunded = conn.execute(
            select(wallet_tables.payments.c.refunded).where(
                wallet_tables.payments.c.id == payment_id
            )
        ).scalar_one()
    after = {"payment_id": str(payment_id), "refunded": refunded, "refund_id": refund["id"]}
    return before, after, {"refund": refund}


def _run_raise_limit(deps: WalletDeps, executor: User, row: Any, ctx: RequestContext) -> Outcome:
    params = row.params
    currency = str(params["currency"])
    granted = limit_requests.do_set_temporary_limit(
        deps,
        executor,
        row.customer_id,
        currency=currency,
        window=Window(params["window"]),
        amount=Money.parse(params["amount"], currency).minor,
        until=datetime.fromisoformat(params["until"]),
        reason=str(row.reason),
        ctx=ctx,
    )
    result = {"limit_request_id": granted["request_id"], "until": params["until"]}
    return granted["before"], granted["after"], result


def _run_limit_decision(decide: Callable[..., dict[str, Any]]) -> Runner:
    """Approving and declining a request under review: the wallet service decides."""

    def run(deps: WalletDeps, executor: User, row: Any, ctx: RequestContext) -> Outcome:
        decided = decide(
            deps,
            executor,
            row.customer_id,
            uuid.UUID(row.params["request_id"]),
            reason=str(row.reason),
            ctx=ctx,
        )
        return decided["before"], decided["after"], {"limit_request": decided["request"]}

    return run


def _run_reset_2fa(deps: WalletDeps, executor: User, row: Any, ctx: RequestContext) -> Outcome:
    now = deps.clock.now()

    def work(conn: Connection) -> Outcome:
        current = identity_store.user_row(conn, row.customer_id, lock=True)
        if not current.totp_enabled:
            raise TwoFactorNotOn("two-factor authentication is already off")
        left = switch_totp_off(conn, row.customer_id)
        # The customer lost their authenticator, usually with the phone it was on, which
        # may still be signed in: every session ends (they sign in again with the password).
        ended = sign_out_for_recovery(conn, row.customer_id, now, "totp_reset")
        fresh = identity_store.get_user(conn, row.customer_id)
        deps.identity.alert(conn, AlertKind.TOTP_DISABLED, fresh, {"signed_out": "everywhere"})
        identity_store.add_security_event(
            conn,
            fresh.id,
            "totp_reset_by_agent",
            {"action_id": str(row.id), **ended},
            ctx.source_ip,
            now,
        )
        before = {"totp_enabled": True, "recovery_codes": int(left)}
        after = {"totp_enabled": False, "recovery_codes": 0, **ended}
        deps.identity.audit(
            conn,
            "totp.reset",
            actor=executor,
            subject=fresh,
            ctx=ctx,
            before=before,
            after=after,
            reason=str(row.reason),
        )
        return before, after, {"totp_enabled": False}

    return deps.transaction(work)


def _run_set_status(status: UserStatus) -> Runner:
    def run(deps: WalletDeps, executor: User, row: Any, ctx: RequestContext) -> Outcome:
        with deps.engine.connect() as conn:
            old = identity_store.get_user(conn, row.customer_id).status
        user = do_set_status(
            deps.identity,
            actor=executor,
            user_id=row.customer_id,
            status=status,
            reason=str(row.reason),
            ctx=ctx,
        )
        return {"status": old.value}, {"status": user.status.value}, {"status": user.status.value}

    return run


def _run_change_contact(field: str) -> Runner:
    def run(deps: WalletDeps, executor: User, row: Any, ctx: RequestContext) -> Outcome:
        with deps.engine.connect() as conn:
            before = identity_store.get_user(conn, row.customer_id)
        old = before.phone if field == "phone" else before.email
        after = do_change_contact_for_customer(
            deps.identity,
            actor=executor,
            user_id=row.customer_id,
            field=field,
            value=str(row.params[field]),
            reason=str(row.reason),
            ctx=ctx,
        )
        new = after.phone if field == "phone" else after.email
        return {field: old}, {field: new}, {field: new}

    return run


def _run_remove_bank_card(
    deps: WalletDeps, executor: User, row: Any, ctx: RequestContext
) -> Outcome:
    removed = do_remove_card_for_customer(
        deps.identity,
        actor=executor,
        user_id=row.customer_id,
        card_id=uuid.UUID(row.params["card_id"]),
        reason=str(row.reason),
        ctx=ctx,
    )
    card = {"card_id": removed["id"], "last4": removed["last4"], "bank_name": removed["bank_name"]}
    return {**card, "linked": True}, {**card, "linked": False}, {"card": removed}


RUNNERS: dict[ActionKind, Runner] = {
    ActionKind.ADD_NOTE: _run_add_note,
    ActionKind.RESEND_ALERT: _run_resend_alert,
    ActionKind.REFUND: _run_refund,
    ActionKind.RAISE_LIMIT: _run_raise_limit,
    ActionKind.APPROVE_LIMIT_REQUEST: _run_limit_decision(limit_requests.do_approve_limit_request),
    ActionKind.REJECT_LIMIT_REQUEST: _run_limit_decision(limit_requests.do_reject_limit_request),
    ActionKind.RESET_2FA: _run_reset_2fa,
    ActionKind.FREEZE: _run_set_status(UserStatus.FROZEN),
    ActionKind.UNFREEZE: _run_set_status(UserStatus.ACTIVE),
    ActionKind.CHANGE_PHONE: _run_change_contact("phone"),
    ActionKind.CHANGE_EMAIL: _run_change_contact("email"),
    ActionKind.REMOVE_BANK_CARD: _run_remove_bank_card,
}

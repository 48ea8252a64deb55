"""Agent actions on a customer's account: typed tools with a risk class (DOMAIN.md §5).

Risk classes:

* ``read``: the customer 360 (``support/customer360.py``), audited, no approval;
* ``low``: ``resend_alert``, ``add_note``: done at once by the agent, audited;
* ``approval_required``: ``refund``, ``raise_limit``, ``reset_2fa``, ``freeze``,
  ``unfreeze``: an agent proposes it on a ticket whose customer's identity was
  verified within the last :data:`VERIFICATION_FRESHNESS`; a *different* user
  holding ``approve_actions`` approves it, and it then runs through the same
  services the customer's own actions use, with before/after recorded.

Identity verification on a ticket: an SMS one-time code sent to the customer's
phone on file (the customer reads it back to the agent), or a document check the
agent records with a note.

Approving claims the action with a guarded ``UPDATE ... WHERE status = 'pending'``
in its own transaction, so two approvals can never both execute it; the action
then runs (its service opens its own transactions) and the outcome is stored.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from walletdesk.core.errors import Conflict, NotFound, ValidationError, WalletdeskError
from walletdesk.core.money import Money
from walletdesk.identity import store as identity_store
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.accounts import do_set_status
from walletdesk.identity.changes import do_change_contact_for_customer
from walletdesk.identity.contacts import normalise_email, normalise_phone
from walletdesk.identity.errors import Forbidden
from walletdesk.identity.model import (
    Principal,
    RequestContext,
    User,
    UserStatus,
    VerificationMethod,
)
from walletdesk.identity.roles import Permission, authorize
from walletdesk.identity.verification import do_send_sms_code, do_verify
from walletdesk.notify import tables as notify_tables
from walletdesk.notify.messages import AlertKind
from walletdesk.support import actions_tables as at
from walletdesk.support.tickets import tables as ticket_tables
from walletdesk.support.tickets.service import TicketDeps, do_agent_reply
from walletdesk.wallet import limit_requests, limits
from walletdesk.wallet import tables as wallet_tables
from walletdesk.wallet.accounts import check_currency
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.limits_policy import Scope, Window
from walletdesk.wallet.merchants import REFUND_REASONS
from walletdesk.wallet.refund_rules import EvidenceRequired, RefundRoute, RefundWindowClosed
from walletdesk.wallet.refunds import do_request_refund

log = logging.getLogger(__name__)

VERIFICATION_FRESHNESS = timedelta(minutes=15)
MAX_TEXT = 500
MAX_KEY = 80
LIST_LIMIT = 50


class Risk(StrEnum):
    READ = "read"
    LOW = "low"
    APPROVAL_REQUIRED = "approval_required"


class ActionKind(StrEnum):
    RESEND_ALERT = "resend_alert"
    ADD_NOTE = "add_note"
    REFUND = "refund"
    RAISE_LIMIT = "raise_limit"
    RESET_2FA = "reset_2fa"
    FREEZE = "freeze"
    UNFREEZE = "unfreeze"
    # The customer lost the phone or email on the account and cannot step up themselves.
    CHANGE_PHONE = "change_phone"
    CHANGE_EMAIL = "change_email"


RISK: dict[ActionKind, Risk] = {
    ActionKind.RESEND_ALERT: Risk.LOW,
    ActionKind.ADD_NOTE: Risk.LOW,
    ActionKind.REFUND: Risk.APPROVAL_REQUIRED,
    ActionKind.RAISE_LIMIT: Risk.APPROVAL_REQUIRED,
    ActionKind.RESET_2FA: Risk.APPROVAL_REQUIRED,
    ActionKind.FREEZE: Risk.APPROVAL_REQUIRED,
    ActionKind.UNFREEZE: Risk.APPROVAL_REQUIRED,
    ActionKind.CHANGE_PHONE: Risk.APPROVAL_REQUIRED,
    ActionKind.CHANGE_EMAIL: Risk.APPROVAL_REQUIRED,
}


class VerificationMethodKind(StrEnum):
    SMS = "sms"
    DOCUMENT = "document"


class ActionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"  # claimed by an approver, running
    REJECTED = "rejected"
    EXECUTED = "executed"
    FAILED = "failed"


# -- errors (messages in ERRORS below) ---------------------------------------------------


class IdentityVerificationRequired(Forbidden):
    """The customer's identity was not verified on this ticket in the last 15 minutes."""

    code = "identity_verification_required"


class FourEyesRequired(Forbidden):
    """The proposer of an action cannot approve it."""

    code = "four_eyes_required"


class ActionAlreadyDecided(Conflict):
    code = "action_already_decided"


class UnknownAction(ValidationError):
    code = "unknown_action"


class InvalidActionParams(ValidationError):
    code = "invalid_action_params"


class IdempotencyKeyReused(Conflict):
    code = "action_idempotency_key_reused"


class NoPendingVerification(Conflict):
    code = "no_pending_verification"


class TwoFactorNotOn(Conflict):
    code = "two_factor_not_on"


ERRORS: dict[str, dict[str, str]] = {
    "identity_verification_required": {
        "en": "Verify the customer's identity on this ticket first (SMS code or document "
        "check); a verification counts for 15 minutes.",
        "zh-CN": "请先在本工单中核验客户身份（短信验证码或证件核验），核验结果 15 分钟内有效。",
    },
    "title.identity_verification_required": {
        "en": "Identity verification required",
        "zh-CN": "需要核验身份",
    },
    "four_eyes_required": {
        "en": "Another person must approve this action; you proposed it.",
        "zh-CN": "该操作由您发起，须由另一位人员审批。",
    },
    "title.four_eyes_required": {"en": "Second approval required", "zh-CN": "需要他人审批"},
    "action_already_decided": {
        "en": "This action was already decided.",
        "zh-CN": "该操作已处理过。",
    },
    "title.action_already_decided": {"en": "Already decided", "zh-CN": "已处理"},
    "unknown_action": {
        "en": "There is no such action.",
        "zh-CN": "没有这种操作。",
    },
    "title.unknown_action": {"en": "Unknown action", "zh-CN": "未知操作"},
    "invalid_action_params": {
        "en": "The action's parameters are not valid: {field}.",
        "zh-CN": "操作参数无效：{field}。",
    },
    "title.invalid_action_params": {"en": "Invalid parameters", "zh-CN": "参数无效"},
    "action_idempotency_key_reused": {
        "en": "This idempotency key was already used for a different action.",
        "zh-CN": "该幂等键已用于另一个操作。",
    },
    "title.action_idempotency_key_reused": {"en": "Key reused", "zh-CN": "幂等键重复"},
    "no_pending_verification": {
        "en": "There is no SMS verification waiting for a code on this ticket.",
        "zh-CN": "本工单没有等待验证码的短信核验。",
    },
    "title.no_pending_verification": {"en": "Nothing to confirm", "zh-CN": "无待确认核验"},
    "two_factor_not_on": {
        "en": "Two-factor authentication is not on for this customer.",
        "zh-CN": "该客户未开启双重验证。",
    },
    "title.two_factor_not_on": {"en": "2FA is off", "zh-CN": "未开启双重验证"},
}


# -- helpers -------------------------------------------------------------------------------


def _ticket(conn: Connection, ticket_id: uuid.UUID) -> Any:
    row = conn.execute(
        select(ticket_tables.tickets).where(ticket_tables.tickets.c.id == ticket_id)
    ).first()
    if row is None:
        raise NotFound("no such ticket")
    return row


def _text(value: str | None, field: str, *, required: bool = False) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise ValidationError(f"{field} is required", field=field)
        return None
    if len(cleaned) > MAX_TEXT:
        raise ValidationError(f"{field} is longer than {MAX_TEXT} characters", field=field)
    return cleaned


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def verification_public(row: Any, now: datetime) -> dict[str, Any]:
    fresh = row.verified_at is not None and now - row.verified_at <= VERIFICATION_FRESHNESS
    return {
        "id": str(row.id),
        "ticket_id": str(row.ticket_id),
        "customer_id": str(row.customer_id),
        "agent_id": str(row.agent_id),
        "method": row.method,
        "note": row.note,
        "created_at": row.created_at.isoformat(),
        "verified_at": _iso(row.verified_at),
        "valid_until": _iso(row.verified_at + VERIFICATION_FRESHNESS if row.verified_at else None),
        "fresh": fresh,
    }


def action_public(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "customer_id": str(row.customer_id),
        "ticket_id": str(row.ticket_id) if row.ticket_id else None,
        "action": row.action,
        "risk": row.risk,
        "params": row.params,
        "reason": row.reason,
        "idempotency_key": row.idempotency_key,
        "status": row.status,
        "proposed_by": str(row.proposed_by),
        "decided_by": str(row.decided_by) if row.decided_by else None,
        "decision_note": row.decision_note,
        "before": row.before,
        "after": row.after,
        "result": row.result,
        "error_code": row.error_code,
        "created_at": row.created_at.isoformat(),
        "decided_at": _iso(row.decided_at),
        "executed_at": _iso(row.executed_at),
    }


def _action_row(conn: Connection, action_id: uuid.UUID, *, lock: bool = False) -> Any:
    stmt = select(at.agent_actions).where(at.agent_actions.c.id == action_id)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound("no such action")
    return row


def latest_verification(
    conn: Connection, ticket_id: uuid.UUID, customer_id: uuid.UUID
) -> Any | None:
    """The most recent completed identity verification of ``customer_id`` on a ticket."""
    v = at.ticket_verifications
    return conn.execute(
        select(v)
        .where(
            and_(
                v.c.ticket_id == ticket_id,
                v.c.customer_id == customer_id,
                v.c.verified_at.is_not(None),
            )
        )
        .order_by(v.c.verified_at.desc())
        .limit(1)
    ).first()


# -- identity verification on a ticket -------------------------------------------------------


def do_start_verification(
    deps: WalletDeps,
    agent: User,
    ticket_id: uuid.UUID,
    *,
    method: str,
    note: str | None,
    ctx: RequestContext,
) -> dict[str, Any]:
    """Start (sms) or record (document) a check that the ticket's customer is who they say."""
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    try:
        chosen = VerificationMethodKind(method)
    except ValueError:
        raise ValidationError("method is sms or document", field="method") from None
    cleaned = _text(note, "note", required=chosen is VerificationMethodKind.DOCUMENT)
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        ticket = _ticket(conn, ticket_id)
        customer = identity_store.get_user(conn, ticket.customer_id)
    if chosen is VerificationMethodKind.SMS:
        # identity's own SMS path: the same code, text and expiry as a customer's step-up.
        do_send_sms_code(deps.identity, Principal(customer, None), ctx)
    verification_id = uuid.uuid4()

    def work(conn: Connection) -> dict[str, Any]:
        conn.execute(
            insert(at.ticket_verifications).values(
                id=verification_id,
                ticket_id=ticket_id,
                customer_id=customer.id,
                agent_id=agent.id,
                method=chosen.value,
                note=cleaned,
                created_at=now,
                verified_at=now if chosen is VerificationMethodKind.DOCUMENT else None,
            )
        )
        done = chosen is VerificationMethodKind.DOCUMENT
        deps.identity.audit(
            conn,
            "agent.identity.verified" if done else "agent.identity.code_sent",
            actor=agent,
            subject=customer,
            ctx=ctx,
            after={"ticket_id": str(ticket_id), "method": chosen.value},
            reason=cleaned,
        )
        row = conn.execute(
            select(at.ticket_verifications).where(at.ticket_verifications.c.id == verification_id)
        ).one()
        return verification_public(row, now)

    return deps.transaction(work)


def do_confirm_verification(
    deps: WalletDeps, agent: User, ticket_id: uuid.UUID, *, code: str, ctx: RequestContext
) -> dict[str, Any]:
    """The agent enters the code the customer read out; a wrong code raises ``code_invalid``."""
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    v = at.ticket_verifications
    with deps.engine.connect() as conn:
        ticket = _ticket(conn, ticket_id)
        customer = identity_store.get_user(conn, ticket.customer_id)
        pending = conn.execute(
            select(v)
            .where(
                and_(
                    v.c.ticket_id == ticket_id,
                    v.c.customer_id == customer.id,
                    v.c.method == VerificationMethodKind.SMS.value,
                    v.c.verified_at.is_(None),
                )
            )
            .order_by(v.c.created_at.desc())
            .limit(1)
        ).first()
    if pending is None:
        raise NoPendingVerification("send a code first")
    # Spends the customer's SMS challenge (attempt counting, expiry, single use).
    do_verify(
        deps.identity,
        Principal(customer, None),
        method=VerificationMethod.SMS,
        password=None,
        code=code,
        ctx=ctx,
    )
    now = deps.clock.now()

    def work(conn: Connection) -> dict[str, Any]:
        conn.execute(
            update(v)
            .where(and_(v.c.id == pending.id, v.c.verified_at.is_(None)))
            .values(verified_at=now)
        )
        deps.identity.audit(
            conn,
            "agent.identity.verified",
            actor=agent,
            subject=customer,
            ctx=ctx,
            after={"ticket_id": str(ticket_id), "method": VerificationMethodKind.SMS.value},
        )
        return verification_public(conn.execute(select(v).where(v.c.id == pending.id)).one(), now)

    return deps.transaction(work)


# -- parameters ------------------------------------------------------------------------------


def _param_text(params: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise InvalidActionParams(f"{name} is required", field=name)
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise InvalidActionParams(f"{name} must be a short text", field=name)
    return value.strip()


def _param_uuid(params: dict[str, Any], name: str) -> uuid.UUID:
    text = _param_text(params, name)
    try:
        return uuid.UUID(str(text))
    except ValueError:
        raise InvalidActionParams(f"{name} must be an id", field=name) from None


def _clean_params(
    conn: Connection,
    kind: ActionKind,
    customer: User,
    ticket_id: uuid.UUID | None,
    params: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Check an action's parameters before anything is stored; return their stored form."""
    if kind is ActionKind.ADD_NOTE:
        if ticket_id is None:
            raise InvalidActionParams("a note belongs to a ticket", field="ticket_id")
        return {"body": _param_text(params, "body")}
    if kind is ActionKind.RESEND_ALERT:
        alert_id = _param_uuid(params, "alert_id")
        o = notify_tables.outbox
        row = conn.execute(
            select(o.c.kind).where(and_(o.c.id == alert_id, o.c.user_id == customer.id))
        ).first()
        if row is None:
            raise NotFound("no such alert for this customer")
        if row.kind == AlertKind.VERIFICATION_CODE.value:
            # A one-time code is only ever sent because the customer asked for it.
            raise InvalidActionParams("verification codes are not resent", field="alert_id")
        return {"alert_id": str(alert_id)}
    if kind is ActionKind.REFUND:
        payment_id = _param_uuid(params, "payment_id")
        payment = conn.execute(
            select(wallet_tables.payments).where(wallet_tables.payments.c.id == payment_id)
        ).first()
        if payment is None or payment.customer_id != customer.id:
            raise NotFound("no such payment for this customer")
        amount = _param_text(params, "amount", required=False)
        if amount is not None:
            Money.parse(amount, payment.currency)
        reason = _param_text(params, "reason")
        if reason not in REFUND_REASONS:
            raise InvalidActionParams(
                f"reason is one of {', '.join(REFUND_REASONS)}", field="reason"
            )
        route = _param_text(params, "route", required=False) or RefundRoute.BALANCE.value
        if route not in {r.value for r in RefundRoute}:
            raise InvalidActionParams("route is balance or card", field="route")
        return {
            "payment_id": str(payment_id),
            "amount": amount,
            "reason": reason,
            "route": route,
            "note": _param_text(params, "note", required=False),
        }
    if kind is ActionKind.RAISE_LIMIT:
        currency = check_currency(_param_text(params, "currency", required=False) or "CNY")
        window = _param_text(params, "window")
        if window not in {w.value for w in Window}:
            raise InvalidActionParams("unknown limit window", field="window")
        amount_text = _param_text(params, "amount")
        limit = Money.parse(str(amount_text), currency)
        if limit.minor <= 0:
            raise InvalidActionParams("the amount must be above zero", field="amount")
        until_text = _param_text(params, "until")
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
    if kind in {ActionKind.CHANGE_PHONE, ActionKind.CHANGE_EMAIL}:
        field = "phone" if kind is ActionKind.CHANGE_PHONE else "email"
        raw = _param_text(params, field)
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
    return {}  # reset_2fa, freeze, unfreeze take none


# -- proposing -------------------------------------------------------------------------------


def do_propose_action(
    deps: WalletDeps,
    agent: User,
    customer_id: uuid.UUID,
    action: str,
    *,
    ticket_id: uuid.UUID | None,
    params: dict[str, Any],
    reason: str,
    idempotency_key: str,
    ctx: RequestContext,
) -> tuple[dict[str, Any], bool]:
    """Propose (approval_required) or do (low) an action; returns (action, created).

    The same ``idempotency_key`` from the same agent returns the first action.
    """
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    try:
        kind = ActionKind(action)
    except ValueError:
        raise UnknownAction(f"no action {action!r}", action=action) from None
    risk = RISK[kind]
    cleaned_reason = _text(reason, "reason", required=True)
    key = idempotency_key.strip()
    if not 1 <= len(key) <= MAX_KEY:
        raise ValidationError(
            f"idempotency_key is 1 to {MAX_KEY} characters", field="idempotency_key"
        )
    now = deps.clock.now()
    a = at.agent_actions
    with deps.engine.connect() as conn:
        existing = conn.execute(
            select(a).where(and_(a.c.proposed_by == agent.id, a.c.idempotency_key == key))
        ).first()
        if existing is not None:
            if existing.action != kind.value or existing.customer_id != customer_id:
                raise IdempotencyKeyReused("use a new idempotency key for a new action")
            return action_public(existing), False
        customer = identity_store.get_user(conn, customer_id)
        if ticket_id is not None and _ticket(conn, ticket_id).customer_id != customer_id:
            raise NotFound("no such ticket for this customer")
        if risk is Risk.APPROVAL_REQUIRED:
            verified = latest_verification(conn, ticket_id, customer_id) if ticket_id else None
            if verified is None or now - verified.verified_at > VERIFICATION_FRESHNESS:
                raise IdentityVerificationRequired(
                    "verify the customer's identity on this ticket first",
                    minutes=int(VERIFICATION_FRESHNESS.total_seconds() // 60),
                )
        clean = _clean_params(conn, kind, customer, ticket_id, params, now)
    action_id = uuid.uuid4()
    status = ActionStatus.PENDING if risk is Risk.APPROVAL_REQUIRED else ActionStatus.APPROVED

    def work(conn: Connection) -> None:
        conn.execute(
            insert(a).values(
                id=action_id,
                customer_id=customer_id,
                ticket_id=ticket_id,
                action=kind.value,
                risk=risk.value,
                params=clean,
                reason=cleaned_reason,
                idempotency_key=key,
                status=status.value,
                proposed_by=agent.id,
                created_at=now,
                decided_at=now if status is ActionStatus.APPROVED else None,
            )
        )
        deps.identity.audit(
            conn,
            "agent.action.proposed",
            actor=agent,
            subject=customer,
            ctx=ctx,
            after={
                "action_id": str(action_id),
                "action": kind.value,
                "risk": risk.value,
                "params": clean,
                "ticket_id": str(ticket_id) if ticket_id else None,
            },
            reason=cleaned_reason,
        )

    deps.transaction(work)
    if status is ActionStatus.APPROVED:  # a low-risk action: the agent does it now
        return _execute(deps, agent, action_id, ctx), True
    return get_action(deps, agent, action_id), True


# -- deciding ----------------------------------------------------------------------------------


def get_action(deps: WalletDeps, staff: User, action_id: uuid.UUID) -> dict[str, Any]:
    authorize(staff.role, Permission.READ_CUSTOMERS)
    with deps.engine.connect() as conn:
        return action_public(_action_row(conn, action_id))


def list_actions(deps: WalletDeps, staff: User, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    authorize(staff.role, Permission.READ_CUSTOMERS)
    a = at.agent_actions
    with deps.engine.connect() as conn:
        rows = conn.execute(
            select(a)
            .where(a.c.customer_id == customer_id)
            .order_by(a.c.created_at.desc())
            .limit(LIST_LIMIT)
        ).all()
    return [action_public(r) for r in rows]


def _claim(
    deps: WalletDeps,
    approver: User,
    action_id: uuid.UUID,
    target: ActionStatus,
    note: str | None,
    ctx: RequestContext,
) -> None:
    """Move a pending action to ``target`` (approved or rejected), once, by a second person."""
    authorize(approver.role, Permission.APPROVE_ACTIONS)
    now = deps.clock.now()
    a = at.agent_actions

    def work(conn: Connection) -> None:
        row = _action_row(conn, action_id, lock=True)
        if row.proposed_by == approver.id:
            raise FourEyesRequired("someone other than the proposer must decide")
        if row.status != ActionStatus.PENDING.value:
            raise ActionAlreadyDecided("this action was already decided", status=row.status)
        changed = conn.execute(
            update(a)
            .where(and_(a.c.id == action_id, a.c.status == ActionStatus.PENDING.value))
            .values(status=target.value, decided_by=approver.id, decided_at=now, decision_note=note)
        ).rowcount
        if changed != 1:
            raise ActionAlreadyDecided("this action was already decided")
        customer = identity_store.get_user(conn, row.customer_id)
        deps.identity.audit(
            conn,
            f"agent.action.{target.value}",
            actor=approver,
            subject=customer,
            ctx=ctx,
            before={"status": ActionStatus.PENDING.value},
            after={"status": target.value, "action_id": str(action_id), "action": row.action},
            reason=note,
        )

    deps.transaction(work)


def do_approve_action(
    deps: WalletDeps, approver: User, action_id: uuid.UUID, *, note: str | None, ctx: RequestContext
) -> dict[str, Any]:
    """Approve a pending action (four eyes) and run it; its outcome is stored and returned."""
    _claim(deps, approver, action_id, ActionStatus.APPROVED, _text(note, "note"), ctx)
    return _execute(deps, approver, action_id, ctx)


def do_reject_action(
    deps: WalletDeps, approver: User, action_id: uuid.UUID, *, note: str | None, ctx: RequestContext
) -> dict[str, Any]:
    _claim(deps, approver, action_id, ActionStatus.REJECTED, _text(note, "note"), ctx)
    return get_action(deps, approver, action_id)


# -- executing -----------------------------------------------------------------------------------


def _execute(
    deps: WalletDeps, executor: User, action_id: uuid.UUID, ctx: RequestContext
) -> dict[str, Any]:
    with deps.engine.connect() as conn:
        row = _action_row(conn, action_id)
    kind = ActionKind(row.action)
    try:
        before, after, result = _RUN[kind](deps, executor, row, ctx)
        status, error_code = ActionStatus.EXECUTED, None
    except WalletdeskError as error:
        log.info("agent action %s (%s) failed: %s", action_id, kind.value, error.code)
        before, after = None, None
        result = {"code": error.code, "detail": error.detail}
        status, error_code = ActionStatus.FAILED, error.code
    now = deps.clock.now()
    a = at.agent_actions

    def work(conn: Connection) -> dict[str, Any]:
        conn.execute(
            update(a)
            .where(a.c.id == action_id)
            .values(
                status=status.value,
                before=before,
                after=after,
                result=result,
                error_code=error_code,
                executed_at=now,
            )
        )
        customer = identity_store.get_user(conn, row.customer_id)
        deps.identity.audit(
            conn,
            f"agent.action.{status.value}",
            actor=executor,
            subject=customer,
            ctx=ctx,
            before=before,
            after={**(after or {}), "action_id": str(action_id), "action": kind.value},
            reason=row.reason if error_code is None else f"{row.reason} [{error_code}]",
        )
        return action_public(_action_row(conn, action_id))

    return deps.transaction(work)


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
    window = Window(params["window"])
    amount = Money.parse(params["amount"], currency).minor
    until = datetime.fromisoformat(params["until"])
    now = deps.clock.now()
    if until <= now:
        raise InvalidActionParams("the raise would already have ended", field="until")
    r = wallet_tables.limit_requests

    def work(conn: Connection) -> Outcome:
        customer = identity_store.get_user(conn, row.customer_id, lock=True)
        old = limits.effective_limits(conn, customer, currency, Scope.SPEND, now).get(window)
        request_id = uuid.uuid4()
        conn.execute(
            insert(r).values(
                id=request_id,
                user_id=customer.id,
                kind="temporary",
                currency=currency,
                scope=Scope.SPEND.value,
                window=window.value,
                amount=amount,
                until=until,
                reason=str(row.reason),
                status="approved",
                reasons=["agent_approved"],
                decided_by=executor.id,
                created_at=now,
                decided_at=now,
            )
        )
        # The same grant (override row and the customer's alert) as an approved request.
        limit_requests._grant(
            deps, conn, customer, request_id, currency, window, amount, until, now
        )
        new = limits.effective_limits(conn, customer, currency, Scope.SPEND, now).get(window)
        deps.identity.audit(
            conn,
            "limit.approved",
            actor=executor,
            subject=customer,
            ctx=ctx,
            before={"window": window.value, "limit": old},
            after={"window": window.value, "limit": new, "until": until.isoformat()},
            reason=str(row.reason),
        )
        return (
            {"window": window.value, "currency": currency, "limit": old},
            {"window": window.value, "currency": currency, "limit": new},
            {"limit_request_id": str(request_id), "until": until.isoformat()},
        )

    return deps.transaction(work)


def _run_reset_2fa(deps: WalletDeps, executor: User, row: Any, ctx: RequestContext) -> Outcome:
    now = deps.clock.now()
    codes = identity_tables.recovery_codes

    def work(conn: Connection) -> Outcome:
        current = identity_store.user_row(conn, row.customer_id, lock=True)
        if not current.totp_enabled:
            raise TwoFactorNotOn("two-factor authentication is already off")
        left = conn.execute(
            select(func.count()).select_from(codes).where(codes.c.user_id == row.customer_id)
        ).scalar_one()
        identity_store.update_user(
            conn, row.customer_id, totp_enabled=False, totp_secret=None, totp_last_step=None
        )
        conn.execute(delete(codes).where(codes.c.user_id == row.customer_id))
        fresh = identity_store.get_user(conn, row.customer_id)
        deps.identity.alert(conn, AlertKind.TOTP_DISABLED, fresh)
        identity_store.add_security_event(
            conn,
            fresh.id,
            "totp_reset_by_agent",
            {"action_id": str(row.id)},
            ctx.source_ip,
            now,
        )
        before = {"totp_enabled": True, "recovery_codes": int(left)}
        after = {"totp_enabled": False, "recovery_codes": 0}
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


_RUN: dict[ActionKind, Runner] = {
    ActionKind.ADD_NOTE: _run_add_note,
    ActionKind.RESEND_ALERT: _run_resend_alert,
    ActionKind.REFUND: _run_refund,
    ActionKind.RAISE_LIMIT: _run_raise_limit,
    ActionKind.RESET_2FA: _run_reset_2fa,
    ActionKind.FREEZE: _run_set_status(UserStatus.FROZEN),
    ActionKind.UNFREEZE: _run_set_status(UserStatus.ACTIVE),
    ActionKind.CHANGE_PHONE: _run_change_contact("phone"),
    ActionKind.CHANGE_EMAIL: _run_change_contact("email"),
}

"""Limit increase requests: decided automatically when the evidence is clear, else reviewed.

Rules (the decision and its reasons are stored and shown to the user and the agent):
- a frozen account cannot ask (``account_frozen``, nothing recorded);
- tier I accounts cannot raise limits: they must verify their identity first;
- two-factor authentication must be on (DOMAIN.md §2: stricter security once raised);
- a request up to twice the tier's limit, from an account older than 30 days with
  no security event in the last 7 days, is approved at once;
- anything larger, younger or riskier goes to an agent (``needs_review``);
- more than ten times the tier's limit is rejected.

A request in ``needs_review`` is decided by a person through the agent actions
(``approve_limit_request``: identity verified on the ticket and a second person's
approval; ``reject_limit_request``), which call :func:`do_approve_limit_request` and
:func:`do_reject_limit_request` here.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from walletdesk.core.errors import Conflict, NotFound, ValidationError
from walletdesk.identity import store as identity_store
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.accounts import refuse_if_frozen
from walletdesk.identity.model import RequestContext, User
from walletdesk.identity.roles import Permission, authorize
from walletdesk.identity.verification import consume_verification
from walletdesk.notify.messages import AlertKind
from walletdesk.wallet import limits
from walletdesk.wallet import tables as t
from walletdesk.wallet.accounts import check_currency
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.limits_policy import Scope, Window, base_limits, increase_refusal
from walletdesk.wallet.payment_views import money_json

MIN_ACCOUNT_AGE = timedelta(days=30)
QUIET_PERIOD = timedelta(days=7)
MAX_TEMPORARY = timedelta(days=30)
# The one state a person still has to decide; every other state is final.
NEEDS_REVIEW = "needs_review"

REASONS: dict[str, dict[str, str]] = {
    "tier_too_low": {
        "en": "Verify your identity (tier II or III) before raising limits.",
        "zh-CN": "请先完成实名认证（II 类或 III 类账户）再申请提额。",
    },
    "two_factor_required": {
        "en": "Turn on two-factor authentication first: higher limits need stronger protection.",
        "zh-CN": "请先开启双重验证：更高的限额需要更强的账户保护。",
    },
    "within_auto_range": {
        "en": "Within twice your tier's limit: approved automatically.",
        "zh-CN": "未超过账户等级限额的两倍：已自动通过。",
    },
    "account_too_new": {
        "en": "Your account is less than 30 days old: an agent will review the request.",
        "zh-CN": "账户开立不足 30 天：将由客服人员审核。",
    },
    "recent_security_event": {
        "en": "There was a recent security event on your account: an agent will review the request.",
        "zh-CN": "您的账户近期有安全事件：将由客服人员审核。",
    },
    "large_increase": {
        "en": "More than twice your tier's limit: an agent will review the request.",
        "zh-CN": "超过账户等级限额的两倍：将由客服人员审核。",
    },
    "too_large": {
        "en": "More than ten times your tier's limit cannot be granted; upgrade your tier instead.",
        "zh-CN": "超过账户等级限额十倍的申请无法通过，请升级账户等级。",
    },
    "window_without_limit": {
        "en": "This window has no limit at your tier.",
        "zh-CN": "您的账户等级在该周期内没有限额。",
    },
    "agent_approved": {"en": "Approved by customer service.", "zh-CN": "客服已审核通过。"},
    "agent_rejected": {
        "en": "Declined by customer service after review; your limits stay as they were.",
        "zh-CN": "客服审核未通过，您的限额保持不变。",
    },
}


def explain(codes: list[str], locale: str) -> list[dict[str, str]]:
    lang = "zh-CN" if locale == "zh-CN" else "en"
    return [{"code": code, "message": REASONS[code][lang]} for code in codes]


def decide(
    user: User, base: int | None, amount: int, recent_security_event: bool, now: datetime
) -> tuple[str, list[str]]:
    """The automatic decision: (approved | needs_review | rejected, reason codes)."""
    refusal = increase_refusal(user.kyc_tier, user.totp_enabled)
    if refusal is not None:
        return "rejected", [refusal]
    if base is None:
        return "rejected", ["window_without_limit"]
    if amount > base * 10:
        return "rejected", ["too_large"]
    review = []
    if amount > base * 2:
        review.append("large_increase")
    if now - user.created_at < MIN_ACCOUNT_AGE:
        review.append("account_too_new")
    if recent_security_event:
        review.append("recent_security_event")
    if review:
        return "needs_review", review
    return "approved", ["within_auto_range"]


def do_request_limit(
    deps: WalletDeps,
    user: User,
    *,
    kind: str,
    window: str,
    amount: int,
    currency: str,
    until: datetime | None,
    reason: str,
    verification_token: str | None,
    ctx: RequestContext,
) -> dict[str, Any]:
    currency = check_currency(currency)
    if kind not in {"temporary", "permanent"}:
        raise ValidationError("kind is temporary or permanent", field="kind")
    try:
        chosen = Window(window)
    except ValueError:
        raise ValidationError("unknown limit window", field="window") from None
    now = deps.clock.now()
    if kind == "temporary" and (until is None or not now < until <= now + MAX_TEMPORARY):
        raise ValidationError(
            "a temporary increase needs an end time within 30 days", field="until"
        )
    if kind == "permanent":
        until = None
    if amount <= 0:
        raise ValidationError("the amount must be above zero", field="amount")
    if not 1 <= len(reason.strip()) <= 500:
        raise ValidationError("tell us why you need the increase", field="reason")

    def work(conn: Connection) -> dict[str, Any]:
        # A frozen account may not raise what it can spend (nor hold a step-up to do it
        # with): said plainly, before the token, so the answer is not "confirm it's you".
        refuse_if_frozen(identity_store.user_row(conn, user.id, lock=True).status)
        consume_verification(conn, deps.identity, user.id, verification_token, "limit.raise")
        fresh = identity_store.get_user(conn, user.id)
        base = base_limits(currency, fresh.kyc_tier, Scope.SPEND, limits.strength_of(fresh)).get(
            chosen
        )
        recent = conn.execute(
            select(identity_tables.security_events.c.id)
            .where(
                and_(
                    identity_tables.security_events.c.user_id == user.id,
                    identity_tables.security_events.c.created_at > now - QUIET_PERIOD,
                    identity_tables.security_events.c.kind.in_(
                        [
                            "login_new_device",
                            "login_new_country",
                            "account_locked",
                            "phone_changed",
                            "email_changed",
                        ]
                    ),
                )
            )
            .limit(1)
        ).first()
        status, reasons = decide(fresh, base, amount, recent is not None, now)
        request_id = uuid.uuid4()
        conn.execute(
            insert(t.limit_requests).values(
                id=request_id,
                user_id=user.id,
                kind=kind,
                currency=currency,
                scope=Scope.SPEND.value,
                window=chosen.value,
                amount=amount,
                until=until,
                reason=reason.strip(),
                status=status,
                reasons=reasons,
                created_at=now,
                decided_at=now if status != NEEDS_REVIEW else None,
            )
        )
        if status == "approved":
            grant_limit(deps, conn, fresh, request_id, currency, chosen, amount, until, now)
        deps.identity.audit(
            conn,
            "limit.requested",
            actor=fresh,
            subject=fresh,
            ctx=ctx,
            after={"window": chosen.value, "amount": amount, "status": status, "kind": kind},
        )
        return _public(conn, request_id, ctx.locale)

    return deps.transaction(work)


# The limit_changed alert's wording for each window.
_PERIOD = {
    Window.TRANSACTION: "per_payment",
    Window.DAY: "daily",
    Window.MONTH: "monthly",
    Window.YEAR: "yearly",
    Window.LIFETIME: "lifetime",
}


def grant_limit(
    deps: WalletDeps,
    conn: Connection,
    user: User,
    request_id: uuid.UUID,
    currency: str,
    window: Window,
    amount: int,
    until: datetime | None,
    now: datetime,
) -> None:
    """Raise ``window`` to ``amount`` (until ``until``; for good when None) and alert the user.

    The one grant path: an auto-approved request, an agent-approved one and an agent's
    temporary raise all write the same override row and send the same alert.
    """
    conn.execute(
        insert(t.limit_overrides).values(
            id=uuid.uuid4(),
            user_id=user.id,
            currency=currency,
            scope=Scope.SPEND.value,
            window=window.value,
            amount=amount,
            until=until,
            request_id=request_id,
            created_at=now,
        )
    )
    deps.identity.alert(
        conn,
        AlertKind.LIMIT_CHANGED,
        user,
        {"period": _PERIOD[window], **money_json(amount, currency)},
    )


# -- an agent's decisions ------------------------------------------------------------
#
# Only the agent-actions service (support/actions) calls these, after the customer's
# identity was verified on the ticket and, for approvals and raises, a second person
# approved. The request's state is re-checked under a row lock here, so two decisions
# can never both apply.


class LimitRequestAlreadyDecided(Conflict):
    """The request is no longer waiting for review (``status`` says what became of it)."""

    code = "limit_request_already_decided"


def check_reviewable(
    conn: Connection, customer_id: uuid.UUID, request_id: uuid.UUID, *, lock: bool = True
) -> Any:
    """The request row (locked unless ``lock`` is false) if it is ``customer_id``'s and
    waits for review.

    Raises NotFound for another customer's (or no) request, and
    :class:`LimitRequestAlreadyDecided` once it was decided.
    """
    stmt = select(t.limit_requests).where(t.limit_requests.c.id == request_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None or row.user_id != customer_id:
        raise NotFound("no such limit request for this customer")
    if row.status != NEEDS_REVIEW:
        raise LimitRequestAlreadyDecided(
            "this limit request was already decided", status=row.status
        )
    return row


class LimitIncreaseNotAllowed(Conflict):
    """The customer's account does not qualify for raised limits now (tier, 2FA): the
    same refusal a customer's own request gets, with the same code. Nothing changed."""

    def __init__(self, code: str) -> None:
        super().__init__(REASONS[code]["en"])
        # The code is the customer path's reason code, per instance.
        self.code = code  # type: ignore[misc]


def check_increase_allowed(customer: User) -> None:
    """Raise :class:`LimitIncreaseNotAllowed` unless ``customer`` (freshly read) may have
    limits above the tier's grid: an agent grants nothing a customer could not get."""
    refusal = increase_refusal(customer.kyc_tier, customer.totp_enabled)
    if refusal is not None:
        raise LimitIncreaseNotAllowed(refusal)


class LimitRequestEnded(Conflict):
    """A temporary request whose end time passed while it waited: granting it means nothing."""

    code = "limit_request_ended"


def check_grantable(row: Any, now: datetime) -> None:
    """Raise :class:`LimitRequestEnded` for a temporary request already past its end."""
    if row.until is not None and row.until <= now:
        raise LimitRequestEnded(
            "this temporary request ended while it waited; ask the customer to request again"
        )


def _decide(conn: Connection, row: Any, status: str, code: str, agent: User, now: datetime) -> None:
    changed = conn.execute(
        update(t.limit_requests)
        .where(and_(t.limit_requests.c.id == row.id, t.limit_requests.c.status == NEEDS_REVIEW))
        .values(status=status, reasons=[*row.reasons, code], decided_by=agent.id, decided_at=now)
    ).rowcount
    if changed != 1:
        raise LimitRequestAlreadyDecided("this limit request was already decided")


def do_approve_limit_request(
    deps: WalletDeps,
    agent: User,
    customer_id: uuid.UUID,
    request_id: uuid.UUID,
    *,
    reason: str,
    ctx: RequestContext,
) -> dict[str, Any]:
    """Grant a request that needs review exactly as an automatic approval would.

    Returns ``{"request", "before", "after"}``: the decided request and the window's
    limit (minor units) before and after.
    """
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    now = deps.clock.now()

    def work(conn: Connection) -> dict[str, Any]:
        row = check_reviewable(conn, customer_id, request_id)
        check_grantable(row, now)
        customer = identity_store.get_user(conn, customer_id, lock=True)
        check_increase_allowed(customer)
        window = Window(row.window)
        old = limits.effective_limits(conn, customer, row.currency, Scope.SPEND, now).get(window)
        _decide(conn, row, "approved", "agent_approved", agent, now)
        grant_limit(deps, conn, customer, row.id, row.currency, window, row.amount, row.until, now)
        new = limits.effective_limits(conn, customer, row.currency, Scope.SPEND, now).get(window)
        before = {"request_status": NEEDS_REVIEW, "window": window.value, "limit": old}
        after = {"request_status": "approved", "window": window.value, "limit": new}
        deps.identity.audit(
            conn,
            "limit.approved",
            actor=agent,
            subject=customer,
            ctx=ctx,
            before=before,
            after={**after, "request_id": str(row.id), "until": _iso(row.until)},
            reason=reason,
        )
        return {"request": _public(conn, row.id, ctx.locale), "before": before, "after": after}

    return deps.transaction(work)


def do_reject_limit_request(
    deps: WalletDeps,
    agent: User,
    customer_id: uuid.UUID,
    request_id: uuid.UUID,
    *,
    reason: str,
    ctx: RequestContext,
) -> dict[str, Any]:
    """Decline a request that needs review; the customer is told, limits stay as they are.

    ``reason`` (the agent's words) is kept in the audit log; the customer's alert
    and the request's reasons use the fixed ``agent_rejected`` wording in their language.
    """
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    if not reason.strip():
        raise ValidationError("say why the request is declined", field="reason")
    now = deps.clock.now()

    def work(conn: Connection) -> dict[str, Any]:
        row = check_reviewable(conn, customer_id, request_id)
        customer = identity_store.get_user(conn, customer_id)
        _decide(conn, row, "rejected", "agent_rejected", agent, now)
        deps.identity.alert(
            conn,
            AlertKind.LIMIT_REQUEST_DECLINED,
            customer,
            money_json(row.amount, row.currency),
        )
        before = {"request_status": NEEDS_REVIEW}
        after = {"request_status": "rejected"}
        deps.identity.audit(
            conn,
            "limit.rejected",
            actor=agent,
            subject=customer,
            ctx=ctx,
            before=before,
            after={**after, "request_id": str(row.id), "amount": row.amount},
            reason=reason,
        )
        return {"request": _public(conn, row.id, ctx.locale), "before": before, "after": after}

    return deps.transaction(work)


def do_set_temporary_limit(
    deps: WalletDeps,
    agent: User,
    customer_id: uuid.UUID,
    *,
    currency: str,
    window: Window,
    amount: int,
    until: datetime,
    reason: str,
    ctx: RequestContext,
) -> dict[str, Any]:
    """An agent raises a window until ``until``: recorded as an approved request, then granted.

    Returns ``{"request_id", "before", "after"}`` (limits in minor units).
    """
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    now = deps.clock.now()
    if until <= now:
        raise ValidationError("the raise would already have ended", field="until")

    def work(conn: Connection) -> dict[str, Any]:
        customer = identity_store.get_user(conn, customer_id, lock=True)
        check_increase_allowed(customer)
        old = limits.effective_limits(conn, customer, currency, Scope.SPEND, now).get(window)
        request_id = uuid.uuid4()
        conn.execute(
            insert(t.limit_requests).values(
                id=request_id,
                user_id=customer.id,
                kind="temporary",
                currency=currency,
                scope=Scope.SPEND.value,
                window=window.value,
                amount=amount,
                until=until,
                reason=reason,
                status="approved",
                reasons=["agent_approved"],
                decided_by=agent.id,
                created_at=now,
                decided_at=now,
            )
        )
        grant_limit(deps, conn, customer, request_id, currency, window, amount, until, now)
        new = limits.effective_limits(conn, customer, currency, Scope.SPEND, now).get(window)
        before = {"window": window.value, "currency": currency, "limit": old}
        after = {"window": window.value, "currency": currency, "limit": new}
        deps.identity.audit(
            conn,
            "limit.approved",
            actor=agent,
            subject=customer,
            ctx=ctx,
            before={"window": window.value, "limit": old},
            after={"window": window.value, "limit": new, "until": until.isoformat()},
            reason=reason,
        )
        return {"request_id": str(request_id), "before": before, "after": after}

    return deps.transaction(work)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _public(conn: Connection, request_id: uuid.UUID, locale: str) -> dict[str, Any]:
    row = conn.execute(select(t.limit_requests).where(t.limit_requests.c.id == request_id)).one()
    return {
        "id": str(row.id),
        "kind": row.kind,
        "window": row.window,
        **money_json(row.amount, row.currency),
        "until": row.until.isoformat() if row.until else None,
        "status": row.status,
        "reasons": explain(list(row.reasons), locale),
        "created_at": row.created_at.isoformat(),
    }


def get_limits(deps: WalletDeps, user: User, currency: str) -> dict[str, Any]:
    """Tier, and each window's limit, used and remaining, for spending and withdrawing."""
    currency = check_currency(currency)
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        fresh = identity_store.get_user(conn, user.id)
        scopes = {scope.value: limits.usage(conn, fresh, currency, scope, now) for scope in Scope}

    def shown(value: int | None) -> str | None:
        return None if value is None else money_json(value, currency)["amount"]

    return {
        "tier": fresh.kyc_tier.value,
        "currency": currency,
        "two_factor": fresh.totp_enabled,
        "scopes": {
            scope: [
                {
                    **w,
                    "limit": shown(w["limit"]),
                    "used": shown(w["used"]),
                    "remaining": shown(w["remaining"]),
                }
                for w in windows
            ]
            for scope, windows in scopes.items()
        },
    }

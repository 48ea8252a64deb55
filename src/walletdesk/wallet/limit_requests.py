"""Limit increase requests: decided automatically when the evidence is clear, else reviewed.

Rules (the decision and its reasons are stored and shown to the user and the agent):
- tier I accounts cannot raise limits: they must verify their identity first;
- two-factor authentication must be on (DOMAIN.md §2: stricter security once raised);
- a request up to twice the tier's limit, from an account older than 30 days with
  no security event in the last 7 days, is approved at once;
- anything larger, younger or riskier goes to an agent (``needs_review``);
- more than ten times the tier's limit is rejected.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from walletdesk.core.errors import NotFound, ValidationError
from walletdesk.identity import store as identity_store
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.model import KycTier, RequestContext, User
from walletdesk.identity.roles import Permission, authorize
from walletdesk.identity.verification import consume_verification
from walletdesk.notify.messages import AlertKind
from walletdesk.wallet import limits
from walletdesk.wallet import tables as t
from walletdesk.wallet.accounts import check_currency
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.limits_policy import Scope, Window, base_limits
from walletdesk.wallet.payments import money_json

MIN_ACCOUNT_AGE = timedelta(days=30)
QUIET_PERIOD = timedelta(days=7)
MAX_TEMPORARY = timedelta(days=30)

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
    "agent_rejected": {"en": "Declined by customer service.", "zh-CN": "客服审核未通过。"},
}


def explain(codes: list[str], locale: str) -> list[dict[str, str]]:
    lang = "zh-CN" if locale == "zh-CN" else "en"
    return [{"code": code, "message": REASONS[code][lang]} for code in codes]


def decide(
    user: User, base: int | None, amount: int, recent_security_event: bool, now: datetime
) -> tuple[str, list[str]]:
    """The automatic decision: (approved | needs_review | rejected, reason codes)."""
    if user.kyc_tier is KycTier.I:
        return "rejected", ["tier_too_low"]
    if not user.totp_enabled:
        return "rejected", ["two_factor_required"]
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
                decided_at=now if status != "needs_review" else None,
            )
        )
        if status == "approved":
            _grant(deps, conn, fresh, request_id, currency, chosen, amount, until, now)
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


def _grant(
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
    period = {"day": "daily", "month": "monthly", "transaction": "transaction"}.get(
        window.value, "monthly"
    )
    deps.identity.alert(
        conn, AlertKind.LIMIT_CHANGED, user, {"period": period, **money_json(amount, currency)}
    )


def do_decide_limit_request(
    deps: WalletDeps,
    agent: User,
    request_id: uuid.UUID,
    *,
    approve: bool,
    note: str,
    ctx: RequestContext,
) -> dict[str, Any]:
    """An agent approves or rejects a request that needs review (audited)."""
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    now = deps.clock.now()

    def work(conn: Connection) -> dict[str, Any]:
        row = conn.execute(
            select(t.limit_requests).where(t.limit_requests.c.id == request_id).with_for_update()
        ).first()
        if row is None:
            raise NotFound("no such limit request")
        if row.status != "needs_review":
            raise ValidationError("this request was already decided", field="status")
        customer = identity_store.get_user(conn, row.user_id)
        status = "approved" if approve else "rejected"
        conn.execute(
            update(t.limit_requests)
            .where(t.limit_requests.c.id == request_id)
            .values(
                status=status,
                reasons=[*row.reasons, "agent_approved" if approve else "agent_rejected"],
                decided_by=agent.id,
                decided_at=now,
            )
        )
        if approve:
            _grant(
                deps,
                conn,
                customer,
                request_id,
                row.currency,
                Window(row.window),
                row.amount,
                row.until,
                now,
            )
        deps.identity.audit(
            conn,
            f"limit.{status}",
            actor=agent,
            subject=customer,
            ctx=ctx,
            reason=note,
            before={"status": "needs_review"},
            after={"status": status, "amount": row.amount},
        )
        return _public(conn, request_id, ctx.locale)

    return deps.transaction(work)


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

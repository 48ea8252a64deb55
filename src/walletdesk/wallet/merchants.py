"""Merchants: onboarding by an admin, API keys (shown once, stored hashed), refund policy."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from walletdesk.core.errors import NotFound, ValidationError
from walletdesk.identity.errors import Unauthenticated
from walletdesk.identity.model import RequestContext, User
from walletdesk.identity.roles import Permission, authorize
from walletdesk.identity.tokens import hash_token
from walletdesk.ledger.model import AccountFlags, AccountKind, NewAccount
from walletdesk.wallet import tables as t
from walletdesk.wallet.accounts import _open, check_currency, merchant_account_id
from walletdesk.wallet.deps import WalletDeps

API_KEY_PREFIX = "wdk_live_"
REFUND_REASONS = (
    "not_received",
    "damaged",
    "not_as_described",
    "duplicate",
    "changed_mind",
    "other",
)


@dataclass(frozen=True, slots=True)
class RefundPolicy:
    window_days: int = 30
    # "automatic": refunds within policy are approved at once; "merchant": the merchant decides.
    approval: str = "merchant"
    evidence_required_for: tuple[str, ...] = ("damaged", "not_as_described")

    @classmethod
    def parse(cls, raw: dict[str, Any] | None) -> RefundPolicy:
        raw = raw or {}
        window = raw.get("window_days", 30)
        approval = raw.get("approval", "merchant")
        evidence = tuple(raw.get("evidence_required_for", ("damaged", "not_as_described")))
        if not isinstance(window, int) or isinstance(window, bool) or not 0 <= window <= 365:
            raise ValidationError(
                "refund window must be 0 to 365 days", field="refund_policy.window_days"
            )
        if approval not in {"automatic", "merchant"}:
            raise ValidationError(
                "approval is automatic or merchant", field="refund_policy.approval"
            )
        if any(reason not in REFUND_REASONS for reason in evidence):
            raise ValidationError(
                "unknown refund reason", field="refund_policy.evidence_required_for"
            )
        return cls(window, approval, evidence)

    def public(self) -> dict[str, Any]:
        return {
            "window_days": self.window_days,
            "approval": self.approval,
            "evidence_required_for": list(self.evidence_required_for),
        }


@dataclass(frozen=True, slots=True)
class Merchant:
    id: uuid.UUID
    name: str
    status: str
    currency: str
    account_id: uuid.UUID
    refund_policy: RefundPolicy
    webhook_url: str | None
    webhook_secret: str

    @classmethod
    def from_row(cls, row: Any) -> Merchant:
        return cls(
            row.id,
            row.name,
            row.status,
            row.currency,
            row.account_id,
            RefundPolicy.parse(row.refund_policy),
            row.webhook_url,
            row.webhook_secret,
        )

    def public(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "status": self.status,
            "currency": self.currency,
            "refund_policy": self.refund_policy.public(),
            "webhook_url": self.webhook_url,
        }


def do_create_merchant(
    deps: WalletDeps,
    *,
    actor: User,
    name: str,
    currency: str,
    refund_policy: dict[str, Any] | None,
    webhook_url: str | None,
    ctx: RequestContext,
) -> tuple[Merchant, str]:
    """Onboard a merchant; returns it with its API key, which is never shown again."""
    authorize(actor.role, Permission.MANAGE_MERCHANTS)
    currency = check_currency(currency)
    policy = RefundPolicy.parse(refund_policy)
    if not 1 <= len(name.strip()) <= 120:
        raise ValidationError("a merchant needs a name", field="name")
    if webhook_url is not None and not webhook_url.startswith(("https://", "http://")):
        raise ValidationError("the webhook URL must be http(s)", field="webhook_url")
    merchant_id = uuid.uuid4()
    account_id = merchant_account_id(merchant_id, currency)
    _open(
        deps,
        NewAccount(
            account_id,
            currency,
            AccountKind.MERCHANT,
            AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
            f"merchant:{merchant_id}",
        ),
    )
    api_key = API_KEY_PREFIX + secrets.token_urlsafe(32)

    def work(conn: Connection) -> Merchant:
        conn.execute(
            insert(t.merchants).values(
                id=merchant_id,
                name=name.strip(),
                status="active",
                api_key_hash=hash_token(api_key),
                api_key_prefix=api_key[:14],
                currency=currency,
                account_id=account_id,
                refund_policy=policy.public(),
                webhook_url=webhook_url,
                webhook_secret=secrets.token_hex(32),
                created_at=deps.clock.now(),
            )
        )
        deps.identity.audit(
            conn,
            "merchant.created",
            actor=actor,
            subject=actor,
            ctx=ctx,
            after={"merchant_id": str(merchant_id), "name": name, "currency": currency},
        )
        return get_merchant(conn, merchant_id)

    return deps.transaction(work), api_key


def get_merchant(conn: Connection, merchant_id: uuid.UUID) -> Merchant:
    row = conn.execute(select(t.merchants).where(t.merchants.c.id == merchant_id)).first()
    if row is None:
        raise NotFound("no such merchant")
    return Merchant.from_row(row)


def authenticate_merchant(deps: WalletDeps, api_key: str | None) -> Merchant:
    if not api_key or not api_key.startswith(API_KEY_PREFIX):
        raise Unauthenticated("a merchant API key is needed")
    with deps.engine.connect() as conn:
        row = conn.execute(
            select(t.merchants).where(t.merchants.c.api_key_hash == hash_token(api_key))
        ).first()
    if row is None:
        raise Unauthenticated("this API key is not valid")
    return Merchant.from_row(row)


def do_set_merchant_status(
    deps: WalletDeps, *, actor: User, merchant_id: uuid.UUID, status: str
) -> None:
    authorize(actor.role, Permission.MANAGE_MERCHANTS)
    if status not in {"active", "suspended"}:
        raise ValidationError("status is active or suspended", field="status")
    deps.transaction(
        lambda conn: conn.execute(
            update(t.merchants).where(t.merchants.c.id == merchant_id).values(status=status)
        )
    )

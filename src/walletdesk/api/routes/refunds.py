"""Refund endpoints (API.md "Refunds").

Customers call with their session token, merchants with their API key
(``Authorization: Bearer wdk_live_...``), agents with their staff session; the
service decides what each may do with a given payment or refund.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from walletdesk.api.deps import App, Ctx, bearer_token
from walletdesk.api.text import FreeText
from walletdesk.core.errors import ValidationError
from walletdesk.core.money import Money
from walletdesk.identity.authentication import authenticate
from walletdesk.identity.model import User
from walletdesk.wallet import refund_views, refunds
from walletdesk.wallet.merchants import API_KEY_PREFIX, Merchant, authenticate_merchant
from walletdesk.wallet.refund_rules import OverrideNeedsApproval

router = APIRouter(prefix="/api/v1", tags=["refunds"])


@dataclass(frozen=True, slots=True)
class Caller:
    """Exactly one of: a signed-in user (customer or staff), or a merchant."""

    user: User | None = None
    merchant: Merchant | None = None


def caller(c: App, token: Annotated[str | None, Depends(bearer_token)]) -> Caller:
    """A merchant API key (``wdk_live_...``) or a user's session token."""
    if token is not None and token.startswith(API_KEY_PREFIX):
        return Caller(merchant=authenticate_merchant(c.wallet, token))
    return Caller(user=authenticate(c.identity, token).user)


Who = Annotated[Caller, Depends(caller)]


class RefundCreate(BaseModel):
    amount: str | None = Field(
        default=None, max_length=32, description="decimal string; omit to refund all that is left"
    )
    currency: str | None = Field(default=None, max_length=3, description="needed with amount")
    reason: str = Field(max_length=40, examples=["not_received"])
    note: FreeText | None = Field(default=None, max_length=500)
    evidence: list[str] = Field(
        default_factory=list, max_length=10, description="upload ids or links"
    )
    route: Literal["balance", "card"] = "balance"
    card_id: uuid.UUID | None = Field(default=None, description="default: the newest card")
    override_reason: str | None = Field(
        default=None,
        max_length=500,
        description=(
            "refused here (refund_override_needs_approval): a refund outside the policy is "
            "the agent action `refund`, with an identity check and a second approver"
        ),
    )


class RefundDecision(BaseModel):
    note: FreeText | None = Field(default=None, max_length=500)


class RefundRetry(BaseModel):
    route: Literal["balance", "card"] | None = None
    card_id: uuid.UUID | None = None


def _amount(body: RefundCreate) -> Money | None:
    if body.amount is None:
        return None
    if body.currency is None:
        raise ValidationError("give the currency with the amount", field="currency")
    return Money.parse(body.amount, body.currency)


@router.post("/payments/{payment_id}/refunds", status_code=status.HTTP_201_CREATED)
def create_refund(
    payment_id: uuid.UUID, body: RefundCreate, c: App, ctx: Ctx, who: Who
) -> dict[str, Any]:
    """Ask for a refund (customer), refund (merchant), or act for a customer (agent).

    Within the merchant's policy only. One agent cannot refund outside it from here: that
    is the agent action ``refund`` (POST /agent/customers/{id}/actions/refund), which the
    service runs with the override only after the four-eyes approval."""
    if body.override_reason is not None:
        raise OverrideNeedsApproval("propose the refund as an agent action on the ticket")
    return refunds.do_request_refund(
        c.wallet,
        who.user,
        who.merchant,
        payment_id,
        amount=_amount(body),
        reason=body.reason,
        note=body.note,
        evidence=body.evidence,
        route=body.route,
        card_id=body.card_id,
        locale=ctx.locale,
        ctx=ctx,
    )


@router.get("/payments/{payment_id}/refunds")
def list_refunds(
    payment_id: uuid.UUID,
    c: App,
    ctx: Ctx,
    who: Who,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    return refund_views.list_refunds_for_payment(
        c.wallet,
        payment_id,
        actor=who.user,
        merchant=who.merchant,
        locale=ctx.locale,
        limit=limit,
        cursor=cursor,
    )


@router.get("/refunds/{refund_id}")
def get_refund(refund_id: uuid.UUID, c: App, ctx: Ctx, who: Who) -> dict[str, Any]:
    return refund_views.get_refund(
        c.wallet, refund_id, actor=who.user, merchant=who.merchant, locale=ctx.locale
    )


@router.post("/merchant/refunds/{refund_id}/approve")
def approve_refund(
    refund_id: uuid.UUID, c: App, ctx: Ctx, who: Who, body: RefundDecision | None = None
) -> dict[str, Any]:
    """The merchant (or an agent) approves; the money moves before this answers."""
    return refunds.do_approve_refund(
        c.wallet,
        who.user,
        who.merchant,
        refund_id,
        note=body.note if body else None,
        locale=ctx.locale,
        ctx=ctx,
    )


@router.post("/merchant/refunds/{refund_id}/reject")
def reject_refund(
    refund_id: uuid.UUID, c: App, ctx: Ctx, who: Who, body: RefundDecision | None = None
) -> dict[str, Any]:
    return refunds.do_reject_refund(
        c.wallet,
        who.user,
        who.merchant,
        refund_id,
        note=body.note if body else None,
        locale=ctx.locale,
        ctx=ctx,
    )


@router.post("/refunds/{refund_id}/retry")
def retry_refund(
    refund_id: uuid.UUID, c: App, ctx: Ctx, who: Who, body: RefundRetry | None = None
) -> dict[str, Any]:
    """Ask the bank again, or start a failed refund over (optionally on another route)."""
    return refunds.do_retry_refund(
        c.wallet,
        who.user,
        who.merchant,
        refund_id,
        route=body.route if body else None,
        card_id=body.card_id if body else None,
        locale=ctx.locale,
        ctx=ctx,
    )

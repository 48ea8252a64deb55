"""Merchant payments (API.md "Payments"): intents, paying, diagnosis, merchants and webhooks."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from walletdesk.api import idempotency
from walletdesk.api.deps import App, Ctx, Me, bearer_token
from walletdesk.api.routes.wallet import minor_units
from walletdesk.api.text import FreeText
from walletdesk.core.errors import NotFound
from walletdesk.identity.roles import STAFF_ROLES
from walletdesk.wallet import payment_rules, payment_views, payments, webhooks
from walletdesk.wallet import tables as t
from walletdesk.wallet.diagnosis import diagnose
from walletdesk.wallet.failures import Retry
from walletdesk.wallet.merchants import Merchant, authenticate_merchant, do_create_merchant

router = APIRouter(prefix="/api/v1", tags=["payments"])


def merchant_principal(
    request: Request, token: Annotated[str | None, Depends(bearer_token)]
) -> Merchant:
    return authenticate_merchant(request.app.state.container.wallet, token)


MerchantAuth = Annotated[Merchant, Depends(merchant_principal)]


class IntentCreate(BaseModel):
    amount: str = Field(max_length=32)
    currency: str = Field(default="CNY", max_length=3)
    order_ref: str = Field(max_length=64)
    description: FreeText | None = Field(default=None, max_length=200)
    expires_in: int | None = Field(default=None, description="seconds, default 900")


class MerchantCreate(BaseModel):
    name: FreeText = Field(max_length=120)
    currency: str = Field(default="CNY", max_length=3)
    refund_policy: dict[str, Any] | None = None
    webhook_url: str | None = Field(default=None, max_length=500)


@router.post("/admin/merchants", status_code=status.HTTP_201_CREATED)
@idempotency.answer_withheld
def create_merchant(body: MerchantCreate, c: App, ctx: Ctx, me: Me) -> dict[str, Any]:
    """Onboard a merchant. The API key in the answer is shown this once."""
    merchant, api_key = do_create_merchant(
        c.wallet,
        actor=me.user,
        name=body.name,
        currency=body.currency,
        refund_policy=body.refund_policy,
        webhook_url=body.webhook_url,
        ctx=ctx,
    )
    return {**merchant.public(), "api_key": api_key, "webhook_secret": merchant.webhook_secret}


@router.post("/merchant/payment-intents", status_code=status.HTTP_201_CREATED)
def create_payment_intent(body: IntentCreate, c: App, merchant: MerchantAuth) -> dict[str, Any]:
    return payments.do_create_intent(
        c.wallet,
        merchant,
        amount=minor_units(body.amount, body.currency),
        currency=body.currency,
        order_ref=body.order_ref,
        description=body.description,
        expires_in=body.expires_in,
    )


@router.post("/merchant/payment-intents/{payment_id}/cancel")
def cancel_payment_intent(payment_id: uuid.UUID, c: App, merchant: MerchantAuth) -> dict[str, Any]:
    """Withdraw an unpaid intent; paying it afterwards fails with ``merchant_error``."""
    return payments.do_cancel_intent(c.wallet, merchant, payment_id)


@router.post("/payment-intents/{payment_id}/pay")
def pay_intent(
    payment_id: uuid.UUID,
    c: App,
    ctx: Ctx,
    me: Me,
    token: Annotated[str | None, Header(alias="X-Verification-Token")] = None,
) -> JSONResponse:
    """Pay from the wallet: succeeded, or failed with a code, a reason and the next step.

    Large payments need a step-up token in ``X-Verification-Token``.
    """
    result = payments.do_pay(c.wallet, me.user, payment_id, ctx.locale, token)
    body = {**result.payment, "duplicate": result.duplicate}
    if body["status"] == "succeeded":
        return JSONResponse(body, status_code=status.HTTP_200_OK)
    if (body["failure"] or {}).get("retry") == Retry.SAME_KEY.value:
        # Worth sending again, so not an answer to keep: a 5xx is never stored under
        # the Idempotency-Key, and the retry with the same key runs the payment again.
        return JSONResponse(
            body,
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(payment_rules.RETRY_AFTER_SECONDS)},
        )
    return JSONResponse(body, status_code=status.HTTP_402_PAYMENT_REQUIRED)


@router.get("/payments/{payment_id}")
def get_payment(payment_id: uuid.UUID, c: App, ctx: Ctx, me: Me) -> dict[str, Any]:
    customer = None if me.role in STAFF_ROLES else me.user.id
    if customer is None:
        return _staff_view(c, payment_id, ctx.locale)
    return payment_views.get_payment_for(
        c.wallet, payment_id, customer_id=customer, locale=ctx.locale
    )


def _staff_view(c: App, payment_id: uuid.UUID, locale: str) -> dict[str, Any]:
    with c.engine.connect() as conn:
        row = conn.execute(select(t.payments).where(t.payments.c.id == payment_id)).first()
    if row is None:
        raise NotFound("no such payment")
    return payment_views.payment_public(payment_views.seen_at(row, c.clock.now()), locale)


@router.get("/merchant/payments/{payment_id}")
def get_payment_as_merchant(
    payment_id: uuid.UUID, c: App, merchant: MerchantAuth
) -> dict[str, Any]:
    return payment_views.get_payment_for(c.wallet, payment_id, merchant_id=merchant.id)


@router.get("/payments/{payment_id}/diagnosis")
def get_diagnosis(payment_id: uuid.UUID, c: App, ctx: Ctx, me: Me) -> dict[str, Any]:
    """What happened, whether a retry can work, and what to do next."""
    with c.engine.connect() as conn:
        row = conn.execute(select(t.payments).where(t.payments.c.id == payment_id)).first()
        if row is None or (me.role not in STAFF_ROLES and row.customer_id != me.user.id):
            raise NotFound("no such payment")
        attempt = conn.execute(
            select(t.payment_attempts.c.detail)
            .where(t.payment_attempts.c.payment_id == payment_id)
            .order_by(t.payment_attempts.c.created_at.desc())
            .limit(1)
        ).first()
    return {
        "payment_id": str(payment_id),
        **diagnose(
            payment_views.seen_at(row, c.clock.now()),
            attempt.detail if attempt else None,
            ctx.locale,
        ),
    }


@router.get("/merchant/webhooks")
def list_webhooks(c: App, merchant: MerchantAuth) -> dict[str, Any]:
    return {"items": webhooks.list_deliveries(c.engine, merchant.id)}


@router.post("/merchant/webhooks/{delivery_id}/replay", status_code=status.HTTP_202_ACCEPTED)
def replay_webhook(delivery_id: uuid.UUID, c: App, merchant: MerchantAuth) -> dict[str, str]:
    webhooks.replay(c.engine, c.clock, merchant.id, delivery_id)
    return {"status": "queued"}

"""Wallet endpoints (API.md "Wallet"): balances, top-ups, withdrawals, P2P, history, limits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from walletdesk.api.deps import App, Ctx, Me
from walletdesk.api.text import FreeText
from walletdesk.core.money import Currency, Money
from walletdesk.wallet import funding, history, limit_requests, p2p
from walletdesk.wallet.accounts import user_wallets
from walletdesk.wallet.payment_views import money_json

router = APIRouter(prefix="/api/v1", tags=["wallet"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]
VerificationHeader = Annotated[str | None, Header(alias="X-Verification-Token")]


def minor_units(amount: str, currency: str) -> int:
    return Money.parse(amount, currency).minor


class FundingCreate(BaseModel):
    amount: str = Field(max_length=32, examples=["100.00"])
    currency: str = Field(default="CNY", max_length=3)
    card_id: uuid.UUID


class TransferCreate(BaseModel):
    to: str = Field(
        max_length=254,
        description="The recipient's user id, or a phone number or email address they have "
        "verified (an unverified one answers 404 recipient_not_found, as for nobody).",
    )
    amount: str = Field(max_length=32)
    currency: str = Field(default="CNY", max_length=3)
    note: FreeText | None = Field(default=None, max_length=140)


class LimitRequestCreate(BaseModel):
    kind: Literal["temporary", "permanent"]
    window: Literal["transaction", "day", "month", "year", "lifetime"]
    amount: str = Field(max_length=32)
    currency: str = Field(default="CNY", max_length=3)
    until: datetime | None = None
    reason: FreeText = Field(max_length=500)


@router.get("/wallets")
def list_wallets(c: App, me: Me) -> dict[str, Any]:
    """Per currency: available (spendable), pending (in and out) and total."""
    with c.engine.connect() as conn:
        owned = user_wallets(conn, me.user.id)
    accounts = {a.id: a for a in c.ledger.lookup_accounts([account for _, account in owned])}
    items = []
    for currency, account_id in owned:
        a = accounts[account_id]
        unit = Currency.of(currency)
        items.append(
            {
                "currency": currency,
                "available": Money(a.available, unit).to_decimal_string(),
                "pending": Money(a.credits_pending + a.debits_pending, unit).to_decimal_string(),
                "pending_in": Money(a.credits_pending, unit).to_decimal_string(),
                "pending_out": Money(a.debits_pending, unit).to_decimal_string(),
                "total": Money(a.balance, unit).to_decimal_string(),
            }
        )
    return {"items": items}


def _fund(
    kind: str,
    body: FundingCreate,
    c: App,
    ctx: Ctx,
    me: Me,
    key: str | None,
    verification_token: str | None = None,
) -> JSONResponse:
    result = funding.do_fund(
        c.wallet,
        me.user,
        kind=kind,
        amount=minor_units(body.amount, body.currency),
        currency=body.currency,
        card_id=body.card_id,
        idempotency_key=key or str(uuid.uuid4()),
        locale=ctx.locale,
        verification_token=verification_token,
    )
    code = {"processing": status.HTTP_202_ACCEPTED, "failed": status.HTTP_402_PAYMENT_REQUIRED}.get(
        result["status"], status.HTTP_201_CREATED
    )
    return JSONResponse(result, status_code=code)


@router.post("/topups", status_code=status.HTTP_201_CREATED)
def create_topup(
    body: FundingCreate, c: App, ctx: Ctx, me: Me, key: IdempotencyKey = None
) -> JSONResponse:
    """Add money from a card. 202 while the bank has not answered: retry with the same key."""
    return _fund("topup", body, c, ctx, me, key)


@router.post("/withdrawals", status_code=status.HTTP_201_CREATED)
def create_withdrawal(
    body: FundingCreate,
    c: App,
    ctx: Ctx,
    me: Me,
    key: IdempotencyKey = None,
    token: VerificationHeader = None,
) -> JSONResponse:
    """Send money to one of your cards (cards added in the last 24 h are held).

    Large withdrawals need a step-up token in ``X-Verification-Token``.
    """
    return _fund("withdrawal", body, c, ctx, me, key, token)


@router.post("/transfers", status_code=status.HTTP_201_CREATED)
def create_transfer(
    body: TransferCreate,
    c: App,
    ctx: Ctx,
    me: Me,
    key: IdempotencyKey = None,
    token: VerificationHeader = None,
) -> dict[str, Any]:
    """Send money to a verified phone number or email, or a user id; the receiver is alerted.

    Large transfers need a step-up token in ``X-Verification-Token``.
    """
    return p2p.do_transfer(
        c.wallet,
        me.user,
        to=body.to,
        amount=minor_units(body.amount, body.currency),
        currency=body.currency,
        note=body.note,
        idempotency_key=key or str(uuid.uuid4()),
        locale=ctx.locale,
        verification_token=token,
    )


@router.get("/transactions")
def list_transactions(
    c: App,
    me: Me,
    kind: str | None = None,
    status_filter: Annotated[str | None, Query(alias="status")] = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> dict[str, Any]:
    with c.engine.connect() as conn:
        return history.page(
            conn,
            me.user.id,
            kind=kind,
            status=status_filter,
            start=start,
            end=end,
            limit=limit,
            cursor=cursor,
        )


@router.get("/transactions/export.csv")
def export_transactions(
    c: App,
    me: Me,
    kind: str | None = None,
    status_filter: Annotated[str | None, Query(alias="status")] = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> Response:
    with c.engine.connect() as conn:
        text = history.export_csv(
            conn, me.user.id, kind=kind, status=status_filter, start=start, end=end
        )
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="walletdesk-transactions.csv"'},
    )


@router.get("/limits")
def get_limits(c: App, me: Me, currency: str = "CNY") -> dict[str, Any]:
    return limit_requests.get_limits(c.wallet, me.user, currency)


@router.post("/limit-requests", status_code=status.HTTP_201_CREATED)
def create_limit_request(
    body: LimitRequestCreate, c: App, ctx: Ctx, me: Me, token: VerificationHeader = None
) -> dict[str, Any]:
    """Decided at once where the rules are clear, otherwise ``needs_review`` by an agent."""
    return limit_requests.do_request_limit(
        c.wallet,
        me.user,
        kind=body.kind,
        window=body.window,
        amount=minor_units(body.amount, body.currency),
        currency=body.currency,
        until=body.until,
        reason=body.reason,
        verification_token=token,
        ctx=ctx,
    )


__all__ = ["money_json", "router"]

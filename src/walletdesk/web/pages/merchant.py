"""The merchant portal: payments received, payment links with their QR code, and the
refund requests the shop approves or rejects.

Its users sign in with role ``merchant`` and are tied to one merchant
(:mod:`walletdesk.wallet.merchant_users`); everything here is that merchant's only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, Response

from walletdesk.api.text import FreeText
from walletdesk.core.errors import NotFound, WalletdeskError
from walletdesk.wallet import merchant_views, payment_views, payments, refund_views, refunds
from walletdesk.wallet.merchant_users import get_merchant_for_user
from walletdesk.wallet.merchants import Merchant
from walletdesk.web.context import Page, UserPage, UserPost
from walletdesk.web.pages.customer_forms import (
    form_error,
    minor_units,
    parse_uuid,
    pay_url,
    qr_svg,
)
from walletdesk.web.rendering import redirect, render

router = APIRouter(include_in_schema=False)
PAYMENTS_SHOWN = 20
REFUNDS_SHOWN = 50
# How long a new payment link can be paid, in minutes (the service allows 30 s to 7 days).
EXPIRIES = (15, 60, 24 * 60, 7 * 24 * 60)
PAYMENT_STATUSES = ("requires_confirmation", "succeeded", "failed", "expired")


@dataclass(frozen=True)
class Shop:
    """A merchant user's request: the page and the merchant they work for."""

    p: Page
    merchant: Merchant


def shop(p: UserPage) -> Shop:
    return Shop(p, get_merchant_for_user(p.container.wallet, p.me.user))


def shop_post(p: UserPost) -> Shop:
    return shop(p)


ShopPage = Annotated[Shop, Depends(shop)]
ShopPost = Annotated[Shop, Depends(shop_post)]


def _portal(
    s: Shop,
    *,
    status_filter: str | None = None,
    cursor: str | None = None,
    status: int = 200,
    **extra: Any,
) -> Response:
    p, merchant = s.p, s.merchant
    try:
        received = merchant_views.list_payments_received(
            p.container.wallet,
            merchant,
            status=status_filter,
            limit=PAYMENTS_SHOWN,
            cursor=cursor,
            locale=p.locale,
        )
    except WalletdeskError:  # a cursor this server did not issue: the first page
        received = merchant_views.list_payments_received(
            p.container.wallet, merchant, status=status_filter, limit=PAYMENTS_SHOWN
        )
        cursor = None
    requests = merchant_views.list_refund_requests(
        p.container.wallet, merchant, limit=REFUNDS_SHOWN, locale=p.locale
    )
    return render(
        p,
        "merchant/portal.html",
        status=status,
        merchant=merchant,
        payments=received["items"],
        next_cursor=received["next_cursor"],
        paged=bool(cursor),
        status_filter=status_filter or "",
        statuses=PAYMENT_STATUSES,
        refunds=requests,
        waiting=sum(1 for r in requests if r["status"] == "requested"),
        expiries=EXPIRIES,
        form={"expires_in": "15", **extra.pop("form", {})},
        **extra,
    )


@router.get("/merchant", response_class=HTMLResponse)
def portal(
    s: ShopPage,
    status: Annotated[str | None, Query(max_length=32)] = None,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    return _portal(s, status_filter=status if status in PAYMENT_STATUSES else None, cursor=cursor)


@router.post("/merchant/payment-links", response_class=HTMLResponse)
def create_payment_link(
    s: ShopPost,
    amount: Annotated[str, Form(max_length=32)],
    description: Annotated[FreeText, Form(max_length=200)] = "",
    order_ref: Annotated[str, Form(max_length=64)] = "",
    expires_in: Annotated[str, Form(max_length=6)] = "15",
) -> Response:
    """A payment intent for the shop's customer to pay at its /pay link (or QR code)."""
    p, merchant = s.p, s.merchant
    form = {
        "amount": amount,
        "description": description,
        "order_ref": order_ref,
        "expires_in": expires_in,
    }
    minutes = int(expires_in) if expires_in.isdigit() and int(expires_in) in EXPIRIES else 15
    try:
        intent = payments.do_create_intent(
            p.container.wallet,
            merchant,
            amount=minor_units(amount, merchant.currency),
            currency=merchant.currency,
            # A link made by hand has no order of the shop's system behind it.
            order_ref=order_ref.strip() or f"link-{uuid.uuid4().hex[:16]}",
            description=description.strip() or None,
            expires_in=minutes * 60,
        )
    except WalletdeskError as exc:
        return _portal(s, status=exc.http_status, error=form_error(p, exc), form=form)
    return redirect(p, f"/merchant/payments/{intent['id']}", notice="notice.link_created")


@router.get("/merchant/payments/{payment_id}", response_class=HTMLResponse)
def payment_link(s: ShopPage, payment_id: str) -> Response:
    """One payment: its status, its /pay link and QR code, and its refunds."""
    p, merchant = s.p, s.merchant
    chosen = parse_uuid(payment_id)
    if chosen is None:
        raise NotFound("no such payment")
    payment = payment_views.get_payment_for(
        p.container.wallet, chosen, merchant_id=merchant.id, locale=p.locale
    )
    found = refund_views.list_refunds_for_payment(
        p.container.wallet, chosen, actor=None, merchant=merchant, locale=p.locale
    )
    url = pay_url(p, chosen)
    return render(
        p,
        "merchant/payment.html",
        merchant=merchant,
        payment=payment,
        refunds=found["items"],
        url=url,
        qr=qr_svg(url, p.t("merchant.qr_title")),
    )


def _decide(s: Shop, refund_id: str, note: str, *, approve: bool) -> Response:
    p, merchant = s.p, s.merchant
    chosen = parse_uuid(refund_id)
    if chosen is None:
        raise NotFound("no such refund")
    decide = refunds.do_approve_refund if approve else refunds.do_reject_refund
    try:
        decide(
            p.container.wallet,
            p.me.user,  # the person deciding, named in the audit trail
            merchant,
            chosen,
            note=note.strip() or None,
            locale=p.locale,
            ctx=p.ctx(),
        )
    except WalletdeskError as exc:
        return _portal(s, status=exc.http_status, error=form_error(p, exc))
    notice = "notice.refund_approved" if approve else "notice.refund_rejected"
    return redirect(p, "/merchant", notice=notice)


@router.post("/merchant/refunds/{refund_id}/approve", response_class=HTMLResponse)
def approve_refund(
    s: ShopPost, refund_id: str, note: Annotated[FreeText, Form(max_length=500)] = ""
) -> Response:
    return _decide(s, refund_id, note, approve=True)


@router.post("/merchant/refunds/{refund_id}/reject", response_class=HTMLResponse)
def reject_refund(
    s: ShopPost, refund_id: str, note: Annotated[FreeText, Form(max_length=500)] = ""
) -> Response:
    return _decide(s, refund_id, note, approve=False)

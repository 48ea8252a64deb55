"""Paying a merchant's payment link, a payment's detail and diagnosis, getting help with
it, and refunds (asking for one, my refunds, one refund)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, Response

from walletdesk.api.text import FreeText
from walletdesk.core.errors import NotFound, WalletdeskError
from walletdesk.core.money import Money
from walletdesk.support.helpcenter.service import get_article
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.rules import Channel
from walletdesk.support.tickets.service import do_create_ticket
from walletdesk.wallet import customer_views, payment_views, payments, refunds
from walletdesk.web.context import Page
from walletdesk.web.pages.customer_forms import (
    CustomerPage,
    CustomerPost,
    form_error,
    parse_uuid,
    pay_url,
    qr_svg,
    step_up_token,
)
from walletdesk.web.rendering import money, redirect, render

router = APIRouter(include_in_schema=False)


def _id(value: str, what: str) -> uuid.UUID:
    found = parse_uuid(value)
    if found is None:
        raise NotFound(f"no such {what}")
    return found


# -- paying a payment link ----------------------------------------------------------


def _pay_page(p: Page, payment_id: uuid.UUID, *, status: int = 200, **extra: Any) -> Response:
    found = customer_views.get_payment_to_pay(
        p.container.wallet, payment_id, p.me.user.id, p.locale
    )
    url = pay_url(p, payment_id)
    return render(
        p,
        "customer/pay.html",
        status=status,
        **found,
        url=url,
        qr=qr_svg(url, p.t("pay.qr_title")),
        **extra,
    )


@router.get("/pay/{payment_id}", response_class=HTMLResponse)
def pay_form(p: CustomerPage, payment_id: str) -> Response:
    return _pay_page(p, _id(payment_id, "payment"))


@router.post("/pay/{payment_id}", response_class=HTMLResponse)
def pay(
    p: CustomerPost,
    payment_id: str,
    password: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Pay from the balance. At or above the SCA threshold the password, typed again on
    the same form, becomes the step-up token; a failure shows why and what to do next."""
    chosen = _id(payment_id, "payment")
    found = customer_views.get_payment_to_pay(p.container.wallet, chosen, p.me.user.id, p.locale)
    token = None
    try:
        if found["needs_step_up"]:
            if not password:
                return _pay_page(p, chosen, status=422, error=p.t("pay.password_needed"))
            token = step_up_token(p, password)
        result = payments.do_pay(p.container.wallet, p.me.user, chosen, p.locale, token)
    except WalletdeskError as exc:
        return _pay_page(p, chosen, status=exc.http_status, error=form_error(p, exc))
    paid = result.payment
    if paid["status"] == "succeeded":
        notice = "notice.already_paid" if result.duplicate else "notice.paid"
        return redirect(p, f"/wallet/payments/{chosen}", notice=notice)
    failure = paid.get("failure") or {}
    return _pay_page(p, chosen, status=402, error=failure.get("message"), failure=failure)


# -- a payment, its diagnosis, help ---------------------------------------------------


@router.get("/wallet/payments/{payment_id}", response_class=HTMLResponse)
def payment_detail(p: CustomerPage, payment_id: str) -> Response:
    return _payment_page(p, _id(payment_id, "payment"))


def _payment_page(p: Page, payment_id: uuid.UUID, *, status: int = 200, **extra: Any) -> Response:
    detail = customer_views.get_payment_detail(p.container.wallet, payment_id, p.me.user, p.locale)
    articles = []
    for slug in detail["diagnosis"].get("related_articles", []):
        try:
            articles.append(get_article(p.container.engine, slug, p.locale).article)
        except NotFound:
            continue
    form = {"reason": "not_received", "route": "balance", "amount": detail["refundable"] or ""}
    return render(
        p,
        "customer/payment.html",
        status=status,
        **detail,
        articles=articles,
        form={**form, **extra.pop("form", {})},
        **extra,
    )


@router.post("/wallet/payments/{payment_id}/help", response_class=HTMLResponse)
def get_help_with_payment(p: CustomerPost, payment_id: str) -> Response:
    """Open a ticket linked to this payment, its diagnosis written in, and show it."""
    chosen = _id(payment_id, "payment")
    detail = customer_views.get_payment_detail(p.container.wallet, chosen, p.me.user, p.locale)
    payment = detail["payment"]
    amount = money(payment["amount"], payment["currency"], p.locale)
    diagnosis = detail["diagnosis"]
    body = p.t(
        "payment_help.body",
        merchant=detail["merchant_name"],
        amount=amount,
        status=p.t(f"status.{payment['status']}"),
        cause=diagnosis["cause"],
        code=diagnosis.get("code") or "-",
    )
    ticket = do_create_ticket(
        TicketDeps.of(p.container.engine, p.container.clock, p.container.settings),
        p.me.user,
        subject=p.t("payment_help.subject", merchant=detail["merchant_name"], amount=amount),
        body=body,
        channel=Channel.WEB,
        payment_id=chosen,
    )
    return redirect(p, f"/me/help/tickets/{ticket['id']}", notice="notice.ticket_created")


# -- refunds ----------------------------------------------------------------------------


@router.post("/wallet/payments/{payment_id}/refunds", response_class=HTMLResponse)
def request_refund(
    p: CustomerPost,
    payment_id: str,
    reason: Annotated[FreeText, Form(max_length=40)],
    amount: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[FreeText, Form(max_length=500)] = "",
    evidence: Annotated[FreeText, Form(max_length=500)] = "",
    route: Annotated[str, Form(max_length=16)] = "balance",
) -> Response:
    """Ask the merchant for a refund of at most what is left of the payment."""
    chosen = _id(payment_id, "payment")
    form = {"reason": reason, "amount": amount, "note": note, "evidence": evidence, "route": route}
    try:
        payment = payment_views.get_payment_for(
            p.container.wallet, chosen, customer_id=p.me.user.id, locale=p.locale
        )
        wanted = Money.parse(amount.strip(), payment["currency"]) if amount.strip() else None
        refund = refunds.do_request_refund(
            p.container.wallet,
            p.me.user,
            None,
            chosen,
            amount=wanted,
            reason=reason,
            note=note,
            evidence=[evidence.strip()] if evidence.strip() else [],
            route=route,
            locale=p.locale,
            ctx=p.ctx(),
        )
    except WalletdeskError as exc:
        return _payment_page(p, chosen, status=exc.http_status, error=form_error(p, exc), form=form)
    return redirect(p, f"/wallet/refunds/{refund['id']}", notice="notice.refund_requested")


@router.get("/wallet/refunds", response_class=HTMLResponse)
def my_refunds(
    p: CustomerPage, cursor: Annotated[str | None, Query(max_length=32)] = None
) -> Response:
    found = customer_views.list_my_refunds(
        p.container.wallet, p.me.user.id, p.locale, cursor=cursor
    )
    return render(p, "customer/refunds.html", **found, paged=bool(cursor))


@router.get("/wallet/refunds/{refund_id}", response_class=HTMLResponse)
def refund_detail(p: CustomerPage, refund_id: str) -> Response:
    refund = customer_views.get_my_refund(
        p.container.wallet, _id(refund_id, "refund"), p.me.user, p.locale
    )
    return render(p, "customer/refund.html", refund=refund)

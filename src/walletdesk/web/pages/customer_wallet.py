"""The wallet: home, top-up (and adding a card), withdrawal, transfer, history, limits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, Response

from walletdesk.api.text import FreeText
from walletdesk.core.errors import WalletdeskError
from walletdesk.core.money import SUPPORTED_CURRENCIES
from walletdesk.identity import changes
from walletdesk.wallet import customer_views, funding, limit_requests, p2p
from walletdesk.wallet.history import KINDS
from walletdesk.wallet.limits_policy import Window
from walletdesk.wallet.step_up import needs_step_up
from walletdesk.web.context import Page
from walletdesk.web.pages.customer_forms import (
    DEFAULT_CURRENCY,
    CustomerPage,
    CustomerPost,
    day_after,
    day_start,
    form_error,
    minor_units,
    new_form_key,
    parse_day,
    parse_uuid,
    step_up_token,
)
from walletdesk.web.rendering import redirect, render

router = APIRouter(include_in_schema=False)
RECENT = 5
HISTORY_PAGE = 20
STATUSES = ("succeeded", "failed", "processing", "expired", "requested", "approved", "rejected")
CURRENCIES = list(SUPPORTED_CURRENCIES)
Amount = Annotated[str, Form(max_length=32)]
Currency = Annotated[str, Form(max_length=3)]
# Large transfers and withdrawals: the password typed again on the same form.
StepUpPassword = Annotated[str, Form(max_length=128)]


@router.get("/wallet", response_class=HTMLResponse)
def wallet_home(p: CustomerPage) -> Response:
    user_id = p.me.user.id
    balances = customer_views.get_balances(p.container.wallet, user_id)
    recent = customer_views.get_history_page(
        p.container.wallet,
        user_id,
        kind=None,
        status=None,
        start=None,
        end=None,
        limit=RECENT,
        cursor=None,
    )
    return render(
        p,
        "customer/wallet.html",
        balances=balances or [_empty_balance(DEFAULT_CURRENCY)],
        recent=recent["items"],
        unread=p.container.notifications.get_unread_count(user_id),
    )


def _empty_balance(currency: str) -> dict[str, str]:
    zero = "0.00"
    return {"currency": currency, "available": zero, "pending": zero, "total": zero}


def _step_up_for(p: Page, amount: int, password: str) -> str | None:
    """The password typed on a transfer or withdrawal form as a step-up token, made
    only for an amount (minor units) that needs one.

    Without a password the service decides: a large new request is refused with
    ``authentication_required`` and nothing moves, while a double submit of one that
    already went through is answered from it. Raises ``code_invalid`` for a wrong
    password (counted towards the lockout), before anything changed.
    """
    if not password or not needs_step_up(p.container.wallet, amount):
        return None
    return step_up_token(p, password)


def _money_form_error(p: Page, exc: WalletdeskError, page: str) -> str:
    if exc.code == "authentication_required":
        return p.t(f"{page}.password_needed")
    return form_error(p, exc)


# -- top-up, cards, withdrawal --------------------------------------------------------


def _funding_form(
    p: Page, kind: str, *, status: int = 200, error: str | None = None, **form: Any
) -> Response:
    cards = changes.list_cards(p.container.identity, p.me.user.id)
    return render(
        p,
        f"customer/{kind}.html",
        status=status,
        cards=cards,
        currencies=CURRENCIES,
        form={"currency": DEFAULT_CURRENCY, **form},
        form_key=new_form_key(),
        step_up_from=p.container.settings.sca_threshold_minor,
        error=error,
    )


@router.get("/wallet/topup", response_class=HTMLResponse)
def topup_form(p: CustomerPage) -> Response:
    return _funding_form(p, "topup")


@router.get("/wallet/withdraw", response_class=HTMLResponse)
def withdraw_form(p: CustomerPage) -> Response:
    return _funding_form(p, "withdraw")


def _fund(
    p: Page,
    kind: str,
    amount: str,
    currency: str,
    card_id: str,
    form_key: str,
    password: str = "",
) -> Response:
    page = "topup" if kind == "topup" else "withdraw"
    form = {"amount": amount, "currency": currency, "card_id": card_id}
    card = parse_uuid(card_id)
    if card is None:
        return _funding_form(p, page, status=422, error=p.t("form.invalid.card_id"), **form)
    try:
        minor = minor_units(amount, currency)
        result = funding.do_fund(
            p.container.wallet,
            p.me.user,
            kind=kind,
            amount=minor,
            currency=currency,
            card_id=card,
            idempotency_key=f"web:{form_key}",
            locale=p.locale,
            # Money coming in needs no step-up; the top-up form has no password field.
            verification_token=_step_up_for(p, minor, password) if kind != "topup" else None,
        )
    except WalletdeskError as exc:
        error = _money_form_error(p, exc, page)
        return _funding_form(p, page, status=exc.http_status, error=error, **form)
    if result["status"] == "failed":
        failure = result.get("failure") or {}
        words = f"{failure.get('message', '')} {failure.get('next_step', '')}".strip()
        return _funding_form(p, page, status=402, error=words, **form)
    notice = f"notice.{page}_{result['status']}"
    return redirect(p, "/wallet", notice=notice)


@router.post("/wallet/topup", response_class=HTMLResponse)
def topup(
    p: CustomerPost,
    amount: Amount,
    form_key: Annotated[str, Form(max_length=64)],
    currency: Currency = DEFAULT_CURRENCY,
    card_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    return _fund(p, "topup", amount, currency, card_id, form_key)


@router.post("/wallet/withdraw", response_class=HTMLResponse)
def withdraw(
    p: CustomerPost,
    amount: Amount,
    form_key: Annotated[str, Form(max_length=64)],
    currency: Currency = DEFAULT_CURRENCY,
    card_id: Annotated[str, Form(max_length=64)] = "",
    password: StepUpPassword = "",
) -> Response:
    """Withdraw to a card; at or above the SCA threshold with the password typed again."""
    return _fund(p, "withdrawal", amount, currency, card_id, form_key, password)


@router.post("/wallet/cards", response_class=HTMLResponse)
def add_card(
    p: CustomerPost,
    number: Annotated[str, Form(max_length=30)],
    expiry: Annotated[str, Form(max_length=7)],
    password: Annotated[str, Form(max_length=128)],
) -> Response:
    """Add a card, confirmed by the password typed again (step-up verification)."""
    month, _, year = expiry.strip().partition("/")
    try:
        expiry_month, expiry_year = int(month), int(year)
        if expiry_year < 100:  # "12/30" as printed on cards
            expiry_year += 2000
    except ValueError:
        return _funding_form(p, "topup", status=422, error=p.t("form.invalid.expiry"))
    try:
        changes.do_add_card(
            p.container.identity,
            p.me,
            number=number,
            expiry_month=expiry_month,
            expiry_year=expiry_year,
            verification_token=step_up_token(p, password),
            ctx=p.ctx(),
        )
    except WalletdeskError as exc:
        return _funding_form(p, "topup", status=exc.http_status, error=form_error(p, exc))
    return redirect(p, "/wallet/topup", notice="notice.card_added")


# -- transfer -------------------------------------------------------------------------


def _transfer_form(
    p: Page, *, status: int = 200, error: str | None = None, **form: str
) -> Response:
    return render(
        p,
        "customer/transfer.html",
        status=status,
        currencies=CURRENCIES,
        form={"currency": DEFAULT_CURRENCY, **form},
        form_key=new_form_key(),
        step_up_from=p.container.settings.sca_threshold_minor,
        error=error,
    )


@router.get("/wallet/transfer", response_class=HTMLResponse)
def transfer_form(p: CustomerPage, to: Annotated[str, Query(max_length=254)] = "") -> Response:
    return _transfer_form(p, to=to)


@router.post("/wallet/transfer", response_class=HTMLResponse)
def transfer(
    p: CustomerPost,
    to: Annotated[str, Form(max_length=254)],
    amount: Amount,
    form_key: Annotated[str, Form(max_length=64)],
    currency: Currency = DEFAULT_CURRENCY,
    note: Annotated[FreeText, Form(max_length=140)] = "",
    password: StepUpPassword = "",
) -> Response:
    """Send money; at or above the SCA threshold with the password typed again."""
    form = {"to": to, "amount": amount, "currency": currency, "note": note}
    try:
        minor = minor_units(amount, currency)
        p2p.do_transfer(
            p.container.wallet,
            p.me.user,
            to=to.strip(),
            amount=minor,
            currency=currency,
            note=note.strip() or None,
            idempotency_key=f"web:{form_key}",
            locale=p.locale,
            verification_token=_step_up_for(p, minor, password),
        )
    except WalletdeskError as exc:
        error = _money_form_error(p, exc, "transfer")
        return _transfer_form(p, status=exc.http_status, error=error, **form)
    return redirect(p, "/wallet", notice="notice.transfer_sent")


# -- history --------------------------------------------------------------------------


def _filters(
    kind: str | None, status: str | None, start: str | None, end: str | None
) -> dict[str, Any]:
    return {
        "kind": kind if kind in KINDS else None,
        "status": status if status in STATUSES else None,
        "start": day_start(parse_day(start)),
        "end": day_after(parse_day(end)),
    }


@router.get("/wallet/history", response_class=HTMLResponse)
def history(
    p: CustomerPage,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=24)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    filters = _filters(kind, status, start, end)
    error: str | None = None
    try:
        found = customer_views.get_history_page(
            p.container.wallet,
            p.me.user.id,
            limit=HISTORY_PAGE,
            cursor=cursor or None,
            **filters,
        )
    except WalletdeskError as exc:  # a cursor this server did not issue: start over
        found = {"items": [], "next_cursor": None}
        cursor = None
        error = form_error(p, exc)
    chosen = {
        "kind": filters["kind"] or "",
        "status": filters["status"] or "",
        "from": start if parse_day(start) else "",
        "to": end if parse_day(end) else "",
    }
    query = "&".join(f"{k}={v}" for k, v in chosen.items() if v)
    return render(
        p,
        "customer/history.html",
        items=found["items"],
        next_cursor=found["next_cursor"],
        paged=bool(cursor),
        chosen=chosen,
        query=query,
        kinds=KINDS,
        statuses=STATUSES,
        error=error,
    )


@router.get("/wallet/history/export.csv")
def export_history(
    p: CustomerPage,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=24)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
) -> Response:
    text = customer_views.get_history_csv(
        p.container.wallet, p.me.user.id, **_filters(kind, status, start, end)
    )
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="walletdesk-transactions.csv"'},
    )


# -- limits ---------------------------------------------------------------------------


def _limits_page(
    p: Page,
    *,
    status: int = 200,
    error: str | None = None,
    decision: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    return render(
        p,
        "customer/limits.html",
        status=status,
        limits=limit_requests.get_limits(p.container.wallet, p.me.user, DEFAULT_CURRENCY),
        requests=customer_views.list_my_limit_requests(p.container.wallet, p.me.user.id, p.locale),
        windows=[w.value for w in Window],
        form={"kind": "temporary", "window": "day", **(form or {})},
        decision=decision,
        error=error,
    )


@router.get("/wallet/limits", response_class=HTMLResponse)
def limits(p: CustomerPage) -> Response:
    return _limits_page(p)


@router.post("/wallet/limits/requests", response_class=HTMLResponse)
def request_limit(
    p: CustomerPost,
    kind: Annotated[str, Form(max_length=16)],
    window: Annotated[str, Form(max_length=16)],
    amount: Amount,
    reason: Annotated[FreeText, Form(max_length=500)],
    password: Annotated[str, Form(max_length=128)],
    until: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Ask for a temporary or permanent increase; the decision and its reasons show at once."""
    form = {"kind": kind, "window": window, "amount": amount, "reason": reason, "until": until}
    try:
        decision = limit_requests.do_request_limit(
            p.container.wallet,
            p.me.user,
            kind=kind,
            window=window,
            amount=minor_units(amount, DEFAULT_CURRENCY),
            currency=DEFAULT_CURRENCY,
            until=day_after(parse_day(until)) if kind == "temporary" else None,
            reason=reason,
            verification_token=step_up_token(p, password),
            ctx=p.ctx(),
        )
    except WalletdeskError as exc:
        return _limits_page(p, status=exc.http_status, error=form_error(p, exc), form=form)
    return _limits_page(p, decision=decision)

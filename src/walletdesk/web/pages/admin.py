"""Admin pages: the contact directory's review, help articles, merchants, SLA policies.

Each page reads or writes through its context's service (the directory, the help
centre, wallet merchants, the ticket rules); the services authorise. The merchant's
API key is shown once, on the page that answers the creating form, and never again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from walletdesk.api.text import FreeText
from walletdesk.core.errors import WalletdeskError
from walletdesk.core.money import SUPPORTED_CURRENCIES
from walletdesk.support import reports
from walletdesk.support.contacts.admin import list_changes
from walletdesk.support.contacts.directory import ContactDirectory
from walletdesk.support.contacts.model import (
    Channel,
    ChannelKind,
    ChannelStatus,
    Provider,
    SourceTier,
)
from walletdesk.support.helpcenter.articles import LOCALES, MAX_BODY, MAX_TITLE
from walletdesk.support.helpcenter.service import (
    do_update_article,
    get_article,
    list_articles,
)
from walletdesk.support.tickets.calendar import china_calendar
from walletdesk.support.tickets.rules import (
    NEXT_REPLY_TARGETS,
    SLA_TARGETS,
    Priority,
    SlaTarget,
)
from walletdesk.wallet.merchants import REFUND_REASONS, do_create_merchant
from walletdesk.web.context import AdminPage, AdminPost, Page
from walletdesk.web.pages.auth import error_text
from walletdesk.web.rendering import redirect, render

router = APIRouter(include_in_schema=False)

# DOMAIN.md §6: a directory entry not re-checked for half a year is due for review.
STALE_AFTER = timedelta(days=180)
APPROVALS = ("merchant", "automatic")


# -- the contact directory ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReviewRow:
    provider: Provider
    channel: Channel
    age_days: int
    stale: bool


def directory_review(directory: ContactDirectory, today: date) -> list[ReviewRow]:
    """Every channel of every provider, with how long ago it was last verified."""
    return [
        ReviewRow(
            provider,
            channel,
            (today - channel.last_verified).days,
            today - channel.last_verified > STALE_AFTER,
        )
        for provider in directory.providers
        for channel in provider.channels
    ]


@router.get("/admin", response_class=HTMLResponse)
def overview(p: AdminPage) -> Response:
    today = p.container.clock.now().date()
    directory = p.directory()
    rows = directory_review(directory, today)
    return render(
        p,
        "admin/overview.html",
        stale=sum(1 for r in rows if r.stale),
        channels=len(rows),
        providers=len(directory.providers),
    )


@router.get("/admin/contacts", response_class=HTMLResponse)
def contacts(p: AdminPage, stale: bool = False) -> Response:
    return contacts_page(p, stale=stale)


def contacts_page(
    p: Page, *, stale: bool = False, error: str | None = None, status: int = 200
) -> Response:
    """The directory as served (shipped + approved changes) and the changes awaiting review."""
    today = p.container.clock.now().date()
    directory = p.directory()
    rows = directory_review(directory, today)
    return render(
        p,
        "admin/contacts.html",
        status=status,
        error=error,
        rows=[r for r in rows if r.stale] if stale else rows,
        stale_only=stale,
        stale_count=sum(1 for r in rows if r.stale),
        stale_days=STALE_AFTER.days,
        providers=directory.providers,
        changes=list_changes(p.container.engine, p.me),
        kinds=list(ChannelKind),
        statuses=list(ChannelStatus),
        tiers=list(SourceTier),
    )


# -- help articles -------------------------------------------------------------------------


@router.get("/admin/articles", response_class=HTMLResponse)
def articles(p: AdminPage) -> Response:
    engine = p.container.engine
    by_slug: dict[str, dict[str, Any]] = {}
    for locale in LOCALES:
        for summary in list_articles(engine, locale):
            entry = by_slug.setdefault(summary.slug, {"category": summary.category})
            entry[locale] = summary.title
    return render(p, "admin/articles.html", articles=sorted(by_slug.items()), locales=LOCALES)


def _article_form(
    p: Page,
    slug: str,
    locale: str,
    *,
    error: str | None = None,
    status: int = 200,
    title: str | None = None,
    body: str | None = None,
) -> Response:
    stored = get_article(p.container.engine, slug, locale)
    return render(
        p,
        "admin/article_edit.html",
        status=status,
        error=error,
        slug=slug,
        article_locale=locale,
        stored=stored,
        title=stored.article.title if title is None else title,
        body=stored.article.body_markdown if body is None else body,
        max_title=MAX_TITLE,
        max_body=MAX_BODY,
        locales=LOCALES,
    )


@router.get("/admin/articles/{slug}/{locale}", response_class=HTMLResponse)
def edit_article(p: AdminPage, slug: str, locale: str) -> Response:
    if locale not in LOCALES:
        return redirect(p, f"/admin/articles/{slug}/{LOCALES[0]}")
    return _article_form(p, slug, locale)


@router.post("/admin/articles/{slug}/{locale}", response_class=HTMLResponse)
def save_article(
    p: AdminPost,
    slug: str,
    locale: str,
    title: Annotated[FreeText, Form(max_length=MAX_TITLE * 2)],
    body: Annotated[FreeText, Form(max_length=MAX_BODY * 2)],
) -> Response:
    try:
        do_update_article(
            p.container.engine,
            p.container.clock,
            p.me,
            slug,
            locale,
            title=title.strip(),
            body_markdown=body.replace("\r\n", "\n"),
            ctx=p.ctx(),
        )
    except WalletdeskError as exc:
        return _article_form(
            p,
            slug,
            locale if locale in LOCALES else LOCALES[0],
            error=error_text(p, exc),
            status=exc.http_status,
            title=title,
            body=body,
        )
    return redirect(p, f"/admin/articles/{slug}/{locale}", notice="notice.admin_article_saved")


# -- merchants --------------------------------------------------------------------------------


def _merchants_page(
    p: Page,
    *,
    error: str | None = None,
    status: int = 200,
    created: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    response = render(
        p,
        "admin/merchants.html",
        status=status,
        error=error,
        merchants=reports.list_merchants(p.container.engine, p.me.user),
        created=created,
        form=form or {},
        currencies=sorted(SUPPORTED_CURRENCIES, key=lambda c: (c != "CNY", c)),
        approvals=APPROVALS,
        refund_reasons=REFUND_REASONS,
    )
    # The page that shows an API key must not be kept by a browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/admin/merchants", response_class=HTMLResponse)
def merchants(p: AdminPage) -> Response:
    return _merchants_page(p)


@router.post("/admin/merchants", response_class=HTMLResponse)
def create_merchant(
    p: AdminPost,
    name: Annotated[FreeText, Form(max_length=240)],
    currency: Annotated[str, Form(max_length=3)] = "CNY",
    window_days: Annotated[int, Form(ge=0, le=365)] = 30,
    approval: Annotated[str, Form(max_length=16)] = "merchant",
    webhook_url: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    form = {
        "name": name,
        "currency": currency,
        "window_days": window_days,
        "approval": approval,
        "webhook_url": webhook_url,
    }
    try:
        merchant, api_key = do_create_merchant(
            p.container.wallet,
            actor=p.me.user,
            name=name,
            currency=currency,
            refund_policy={"window_days": window_days, "approval": approval},
            webhook_url=webhook_url.strip() or None,
            ctx=p.ctx(),
        )
    except WalletdeskError as exc:
        return _merchants_page(p, error=error_text(p, exc), status=exc.http_status, form=form)
    return _merchants_page(
        p, status=201, created={"name": merchant.name, "id": str(merchant.id), "api_key": api_key}
    )


# -- SLA policies -------------------------------------------------------------------------------


@router.get("/admin/sla", response_class=HTMLResponse)
def sla_policies(p: AdminPage) -> Response:
    calendar = china_calendar()
    year = p.container.clock.now().astimezone(calendar.tz).year
    policies = [
        {
            "priority": priority.value,
            "first_reply": SLA_TARGETS[priority][SlaTarget.FIRST_REPLY],
            "next_reply": NEXT_REPLY_TARGETS[priority],
            "resolution": SLA_TARGETS[priority][SlaTarget.RESOLUTION],
        }
        for priority in reversed(Priority)
    ]
    return render(
        p,
        "admin/sla.html",
        policies=policies,
        calendar=calendar,
        year=year,
        days_off=sorted(d for d in calendar.days_off if d.year in (year, year + 1)),
        extra_workdays=sorted(d for d in calendar.extra_workdays if d.year in (year, year + 1)),
    )

"""The public site: home, help centre, "Contact us", the scam checker, announcements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from walletdesk.api.text import FreeText
from walletdesk.support.contacts.checker import check
from walletdesk.support.contacts.message_check import MAX_MESSAGE_CHARS, check_message
from walletdesk.support.contacts.model import Direction
from walletdesk.support.helpcenter.articles import Category
from walletdesk.support.helpcenter.search import MAX_LIMIT
from walletdesk.support.helpcenter.service import find_articles, get_article
from walletdesk.support.tickets import csat
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.web.context import LANG_COOKIE, AnyPage, Posted, local_path
from walletdesk.web.rendering import is_secure, render
from walletdesk.web.texts import LOCALES

router = APIRouter(include_in_schema=False)
MAX_QUERY_CHARS = 200
MAX_VALUE_CHARS = 2_048
YEAR_SECONDS = 365 * 24 * 3600


@router.get("/", response_class=HTMLResponse)
def home(p: AnyPage) -> Response:
    if p.principal is not None:
        return RedirectResponse(landing_for(p), status_code=303)
    return render(p, "public/home.html", categories=list(Category))


def landing_for(p: AnyPage) -> str:
    role = p.user_role
    if role is None:
        return "/"
    if role.value in {"agent", "supervisor"}:
        return "/agent"
    if role.value == "admin":
        return "/admin"
    if role.value == "merchant":
        return "/merchant"
    return "/wallet"


@router.get("/lang/{locale}")
def switch_language(p: AnyPage, locale: str, next: str | None = None) -> Response:
    # Only a preference cookie changes, so a plain link (GET) is fine and works without script.
    response = RedirectResponse(local_path(next), status_code=303)
    if locale in LOCALES:
        response.set_cookie(
            LANG_COOKIE, locale, max_age=YEAR_SECONDS, samesite="lax", secure=is_secure(p)
        )
    return response


@router.get("/help", response_class=HTMLResponse)
def help_home(
    p: AnyPage,
    q: Annotated[str | None, Query(max_length=MAX_QUERY_CHARS)] = None,
    category: Category | None = None,
) -> Response:
    results = find_articles(
        p.container.engine,
        q.strip() if q else None,
        locale=p.locale,
        category=category.value if category else None,
        limit=20 if q else MAX_LIMIT,
    )
    return render(
        p,
        "public/help.html",
        q=q or "",
        category=category,
        categories=list(Category),
        results=results,
    )


@router.get("/help/articles/{slug}", response_class=HTMLResponse)
def help_article(p: AnyPage, slug: str) -> Response:
    stored = get_article(p.container.engine, slug, p.locale)
    related = find_articles(
        p.container.engine,
        None,
        locale=p.locale,
        category=stored.article.category.value,
        limit=6,
    )
    return render(
        p,
        "public/article.html",
        stored=stored,
        article=stored.article,
        related=[r for r in related if r.slug != slug][:5],
    )


@router.get("/contact", response_class=HTMLResponse)
def contact_us(p: AnyPage) -> Response:
    directory = p.directory()
    house = directory.providers[0]
    others = directory.providers[1:]
    return render(
        p,
        "public/contact.html",
        house=house,
        others=others,
        anti_fraud=directory.anti_fraud_lines(p.ctx().country),
    )


@router.get("/check", response_class=HTMLResponse)
def checker(
    p: AnyPage,
    value: Annotated[str | None, Query(max_length=MAX_VALUE_CHARS)] = None,
    direction: Direction | None = None,
) -> Response:
    result = None
    if value and value.strip():
        result = check(
            value,
            None,
            direction,
            directory=p.directory(),
            today=p.container.clock.now().date(),
            country=p.ctx().country,
        )
    return render(p, "public/check.html", value=value or "", direction=direction, result=result)


@router.post("/check/message", response_class=HTMLResponse)
def check_a_message(
    p: Posted, text: Annotated[FreeText, Form(max_length=MAX_MESSAGE_CHARS)]
) -> Response:
    result = None
    if text.strip():
        result = check_message(
            text,
            p.locale,
            country=p.ctx().country,
            directory=p.directory(),
            today=p.container.clock.now().date(),
        )
    return render(
        p, "public/check.html", value="", direction=None, message=text, message_result=result
    )


@router.get("/announcements", response_class=HTMLResponse)
def announcements(p: AnyPage) -> Response:
    return render(p, "public/announcements.html")


def _csat_deps(p: AnyPage) -> tuple[TicketDeps, bytes]:
    c = p.container
    deps = TicketDeps.of(c.engine, c.clock, c.settings)
    assert deps.csat_secret is not None  # built from settings, so always set
    return deps, deps.csat_secret


@router.get("/csat/{token}", response_class=HTMLResponse)
def rating_page(p: AnyPage, token: str) -> Response:
    """The page behind the link in the "ticket solved" email: no login needed."""
    deps, secret = _csat_deps(p)
    return render(
        p, "public/csat.html", token=token, rating=csat.get_rating_page(deps, secret, token)
    )


@router.post("/csat/{token}", response_class=HTMLResponse)
def rate(
    p: Posted,
    token: str,
    score: Annotated[int, Form(ge=1, le=5)],
    comment: Annotated[FreeText, Form(max_length=1_000)] = "",
) -> Response:
    deps, secret = _csat_deps(p)
    csat.do_rate_by_link(deps, secret, token, score, comment.strip() or None)
    return render(
        p, "public/csat.html", token=token, rating=csat.get_rating_page(deps, secret, token)
    )

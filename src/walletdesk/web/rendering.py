"""Jinja2 templates, the formatting filters (Babel) and the responses pages return."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from walletdesk.core.money import Currency, Money
from walletdesk.web.context import CSRF_COOKIE, Page

# Wallet times are shown in China Standard Time: CNY wallets and their merchants live
# there, and a statement that mixes time zones is the kind of thing people call about.
DISPLAY_TZ = ZoneInfo("Asia/Shanghai")
_BABEL = {"en": "en_GB", "zh-CN": "zh_Hans_CN"}


def babel_locale(locale: str) -> str:
    return _BABEL.get(locale, "en_GB")


def money(amount: object, currency: str, locale: str) -> str:
    """A decimal string ("12.34") or a Money as the reader's locale writes it."""
    if isinstance(amount, Money):
        value = Decimal(amount.to_decimal_string())
        currency = amount.currency.code
    else:
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            return str(amount)
    return format_currency(value, currency, locale=babel_locale(locale))


def money_minor(minor: int, currency: str, locale: str) -> str:
    return money(Money(minor, Currency.of(currency)), currency, locale)


def when(value: object, locale: str, fmt: str = "medium") -> str:
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return format_datetime(moment, fmt, tzinfo=DISPLAY_TZ, locale=babel_locale(locale))


@cache
def _markdown() -> MarkdownIt:
    # Articles are ours, but raw HTML stays off so an admin's typo cannot become a script.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown(source: str) -> Markup:
    return Markup(_markdown().render(source))  # noqa: S704 - HTML escaped by markdown-it (html off)


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("walletdesk.web", "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = markdown
    return env


def render(p: Page, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    body = (
        environment()
        .get_template(template)
        .render(
            p=p,
            t=p.t,
            locale=p.locale,
            money=lambda amount, currency: money(amount, currency, p.locale),
            money_minor=lambda minor, currency: money_minor(minor, currency, p.locale),
            when=lambda value, fmt="medium": when(value, p.locale, fmt),
            official=p.directory().providers[0],
            **context,
        )
    )
    response = HTMLResponse(body, status_code=status)
    remember_csrf(p, response)
    return response


def redirect(p: Page, url: str, *, notice: str | None = None) -> RedirectResponse:
    """Post/redirect/get; ``notice`` is a text key shown once on the next page."""
    if notice:
        # The query goes before any #fragment, or the browser never sends it.
        path, hash_mark, fragment = url.partition("#")
        path += ("&" if "?" in path else "?") + f"notice={notice}"
        url = path + hash_mark + fragment
    response = RedirectResponse(url, status_code=303)
    remember_csrf(p, response)
    return response


def remember_csrf(p: Page, response: HTMLResponse | RedirectResponse) -> None:
    if p.new_csrf_cookie:
        response.set_cookie(
            CSRF_COOKIE,
            p.csrf_cookie,
            httponly=True,
            samesite="lax",
            secure=is_secure(p),
            path="/",
        )


def is_secure(p: Page) -> bool:
    return p.container.settings.cookie_secure or p.request.url.scheme == "https"

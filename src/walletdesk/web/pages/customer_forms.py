"""What the customer's (and the merchant portal's) pages share: who may open them,
form input, errors, step-up, QR codes and payment links."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

import segno
from fastapi import Depends
from markupsafe import Markup

from walletdesk.core.errors import WalletdeskError
from walletdesk.core.money import Money
from walletdesk.identity import verification
from walletdesk.identity.model import VerificationMethod
from walletdesk.identity.roles import Role
from walletdesk.web.context import Page, PageForbidden, UserPage, UserPost
from walletdesk.web.pages.auth import error_text
from walletdesk.web.rendering import DISPLAY_TZ

DEFAULT_CURRENCY = "CNY"


def customer(p: UserPage) -> Page:
    """Wallet pages are the customer's own; staff and merchants have their consoles."""
    if p.me.user.role is not Role.CUSTOMER:
        raise PageForbidden("these pages are for customers")
    return p


def customer_post(p: UserPost) -> Page:
    return customer(p)


CustomerPage = Annotated[Page, Depends(customer)]
CustomerPost = Annotated[Page, Depends(customer_post)]


def form_error(p: Page, exc: WalletdeskError) -> str:
    """The API's words for ``exc``; for a bare invalid field, words about that field."""
    field = exc.params.get("field")
    if exc.code == "validation_error" and isinstance(field, str):
        key = f"form.invalid.{field}"
        specific = p.t(key)
        if specific != key:
            return specific
    return error_text(p, exc)


def minor_units(amount: str, currency: str) -> int:
    """A typed amount ("12.50", or full-width "１２.５０" from a Chinese keyboard) in
    minor units; :class:`walletdesk.core.money.InvalidAmount` when it is not one."""
    typed = unicodedata.normalize("NFKC", amount).replace("。", ".").strip()
    return Money.parse(typed, currency).minor


def new_form_key() -> str:
    """An idempotency key for one rendering of a money form: a double submit (or a
    reload of the POST) repeats the same request instead of moving money twice."""
    return uuid.uuid4().hex


def step_up_token(p: Page, password: str) -> str:
    """The password typed again on the same form, as a single-use verification token.

    Raises ``code_invalid`` for a wrong password, before anything changed.
    """
    proof = verification.do_verify(
        p.container.identity,
        p.me,
        method=VerificationMethod.PASSWORD,
        password=password,
        code=None,
        ctx=p.ctx(),
    )
    return proof.token


def pay_url(p: Page, payment_id: uuid.UUID | str) -> str:
    """The link a merchant shares (and its QR code encodes), on the configured public
    address: never the request's Host header, which a client chooses (a forged Host
    would put a phishing domain into a link and QR code that customers trust)."""
    return f"{p.container.settings.public_url.rstrip('/')}/pay/{payment_id}"


def qr_svg(data: str, title: str) -> Markup:
    """``data`` as an inline SVG QR code (no script, no outside request: fits the CSP)."""
    svg = segno.make(data, error="m").svg_inline(scale=4, omitsize=True, title=title)
    return Markup(svg)  # noqa: S704 - segno escapes the title; the rest is path data


def day_start(day: date | None) -> datetime | None:
    """Midnight at the start of ``day`` where the pages show times (China Standard Time)."""
    if day is None:
        return None
    return datetime.combine(day, time.min, tzinfo=DISPLAY_TZ).astimezone(UTC)


def day_after(day: date | None) -> datetime | None:
    """Midnight after ``day``: an inclusive "to" date as an exclusive bound."""
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=DISPLAY_TZ).astimezone(UTC)


def parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None

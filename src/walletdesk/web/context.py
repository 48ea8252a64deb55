"""What every page handler receives: the container, the language, the signed-in user, CSRF.

The session is the identity context's own session (the same token an API client
sends as a bearer), carried in an HttpOnly cookie. CSRF uses a signed double
submit: a random value in an HttpOnly cookie, and in each form the HMAC of that
value under the server's secret, so a page on another site can neither read nor
forge it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated

from fastapi import Depends, Form, Request

from walletdesk.api.i18n import negotiate
from walletdesk.bootstrap import Container
from walletdesk.core.errors import WalletdeskError
from walletdesk.identity.authentication import authenticate
from walletdesk.identity.errors import Unauthenticated
from walletdesk.identity.model import Principal, RequestContext
from walletdesk.identity.roles import Permission, Role, can
from walletdesk.settings import Settings
from walletdesk.support.contacts.admin import current_directory
from walletdesk.support.contacts.directory import ContactDirectory
from walletdesk.web.texts import LOCALES, text

SESSION_COOKIE = "wd_session"
CSRF_COOKIE = "wd_csrf"
LANG_COOKIE = "wd_lang"


class LoginRequired(Exception):
    """No (valid) session: the handler in web/app.py redirects to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRejected(WalletdeskError):
    code = "csrf_rejected"
    http_status = 403


class PageForbidden(WalletdeskError):
    code = "forbidden"
    http_status = 403


@cache
def _process_secret() -> bytes:
    return secrets.token_bytes(32)


def _secret(settings: Settings) -> bytes:
    configured = settings.web_secret
    return configured.get_secret_value().encode() if configured else _process_secret()


def csrf_token_for(settings: Settings, cookie_value: str) -> str:
    return hmac.new(_secret(settings), cookie_value.encode(), hashlib.sha256).hexdigest()


def local_path(candidate: str | None, default: str = "/") -> str:
    """Only same-site paths may be redirect targets (no //host or scheme: open redirects)."""
    if (
        candidate
        and candidate.startswith("/")
        and not candidate.startswith("//")
        and "\\" not in candidate
    ):
        return candidate
    return default


@dataclass
class Page:
    """One request's view of the site."""

    request: Request
    container: Container
    locale: str
    principal: Principal | None
    csrf_cookie: str
    new_csrf_cookie: bool
    notices: list[str] = field(default_factory=list)
    _directory: ContactDirectory | None = None

    def directory(self) -> ContactDirectory:
        """The contact directory as served (shipped + approved changes), read once per
        request: the footer and the page's own content both need it."""
        if self._directory is None:
            self._directory = current_directory(self.container.engine)
        return self._directory

    @property
    def user_role(self) -> Role | None:
        return self.principal.user.role if self.principal else None

    def t(self, key: str, **params: object) -> str:
        return text(key, self.locale, **params)

    def can(self, permission: Permission) -> bool:
        return self.principal is not None and can(self.principal.user.role, permission)

    @property
    def csrf_token(self) -> str:
        return csrf_token_for(self.container.settings, self.csrf_cookie)

    def ctx(self) -> RequestContext:
        request = self.request
        return RequestContext(
            source_ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent", ""),
            device_id=request.cookies.get("wd_device"),
            country=(request.headers.get("x-client-country") or "").upper()[:2] or None,
            locale=self.locale,
        )

    @property
    def me(self) -> Principal:
        """The signed-in principal; only on pages that required sign-in."""
        if self.principal is None:
            raise LoginRequired(self.request.url.path)
        return self.principal


def page_locale(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LOCALES:
        return chosen
    return negotiate(request.headers.get("accept-language"))


def page(request: Request) -> Page:
    container: Container = request.app.state.container
    principal: Principal | None = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            principal = authenticate(container.identity, token)
        except Unauthenticated:
            principal = None
    cookie = request.cookies.get(CSRF_COOKIE)
    fresh = not cookie or len(cookie) < 32
    if fresh:
        cookie = secrets.token_urlsafe(32)
    assert cookie is not None
    return Page(
        request=request,
        container=container,
        locale=page_locale(request),
        principal=principal,
        csrf_cookie=cookie,
        new_csrf_cookie=fresh,
    )


def signed_in(p: Annotated[Page, Depends(page)]) -> Page:
    if p.principal is None:
        target = p.request.url.path
        if p.request.url.query:
            target += "?" + p.request.url.query
        raise LoginRequired(target if p.request.method == "GET" else "/")
    return p


def staff(p: Annotated[Page, Depends(signed_in)]) -> Page:
    if not p.can(Permission.READ_CUSTOMERS):
        raise PageForbidden("staff only")
    return p


def admin(p: Annotated[Page, Depends(signed_in)]) -> Page:
    if not p.can(Permission.MANAGE_CONTENT):
        raise PageForbidden("admins only")
    return p


def _csrf_checked(p: Page, csrf_token: str) -> Page:
    if p.new_csrf_cookie or not hmac.compare_digest(p.csrf_token, csrf_token):
        raise CsrfRejected("the form expired; reload the page and try again")
    return p


def posted(p: Annotated[Page, Depends(page)], csrf_token: Annotated[str, Form()] = "") -> Page:
    """A form post from one of our own pages (CSRF-checked), signed in or not."""
    return _csrf_checked(p, csrf_token)


def posted_signed_in(
    p: Annotated[Page, Depends(signed_in)], csrf_token: Annotated[str, Form()] = ""
) -> Page:
    return _csrf_checked(p, csrf_token)


def posted_staff(
    p: Annotated[Page, Depends(staff)], csrf_token: Annotated[str, Form()] = ""
) -> Page:
    return _csrf_checked(p, csrf_token)


def posted_admin(
    p: Annotated[Page, Depends(admin)], csrf_token: Annotated[str, Form()] = ""
) -> Page:
    return _csrf_checked(p, csrf_token)


AnyPage = Annotated[Page, Depends(page)]
UserPage = Annotated[Page, Depends(signed_in)]
StaffPage = Annotated[Page, Depends(staff)]
AdminPage = Annotated[Page, Depends(admin)]
Posted = Annotated[Page, Depends(posted)]
UserPost = Annotated[Page, Depends(posted_signed_in)]
StaffPost = Annotated[Page, Depends(posted_staff)]
AdminPost = Annotated[Page, Depends(posted_admin)]

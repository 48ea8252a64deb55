"""Sign up, log in (with the authenticator code when 2FA is on) and log out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from walletdesk.api.i18n import translate
from walletdesk.api.text import FreeText
from walletdesk.core.errors import WalletdeskError
from walletdesk.identity import accounts, authentication
from walletdesk.identity.errors import TotpRequired
from walletdesk.web.context import SESSION_COOKIE, AnyPage, Page, Posted, UserPost, local_path
from walletdesk.web.pages.public import landing_for
from walletdesk.web.rendering import is_secure, redirect, render

router = APIRouter(include_in_schema=False)


def error_text(p: Page, exc: WalletdeskError) -> str:
    """The same words the API would use for this error, in the page's language."""
    failure = getattr(exc, "failure", None)
    if isinstance(failure, dict):
        return str(failure["message"])
    return translate(exc.code, p.locale, default=exc.detail, **exc.params)


@router.get("/login", response_class=HTMLResponse)
def login_form(p: AnyPage, next: str | None = None) -> Response:
    return render(p, "auth/login.html", next=local_path(next, ""), login="", need_code=False)


@router.post("/login", response_class=HTMLResponse)
def login(
    p: Posted,
    login: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=128)],
    totp_code: Annotated[str, Form(max_length=20)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    code = totp_code.strip().replace(" ", "")
    try:
        session = authentication.do_login(
            p.container.identity,
            login=login,
            password=password,
            totp_code=code if code and len(code) <= 8 else None,
            recovery_code=code if len(code) > 8 else None,
            ctx=p.ctx(),
        )
    except TotpRequired:
        return render(
            p,
            "auth/login.html",
            status=401,
            next=local_path(next, ""),
            login=login,
            need_code=True,
            error=p.t("auth.code_needed"),
        )
    except WalletdeskError as exc:
        return render(
            p,
            "auth/login.html",
            status=exc.http_status,
            next=local_path(next, ""),
            login=login,
            need_code=bool(code),
            error=error_text(p, exc),
        )
    p.principal = authentication.authenticate(p.container.identity, session.token)
    response = redirect(p, local_path(next, landing_for(p)))
    set_session_cookie(p, response, session.token)
    return response


@router.get("/signup", response_class=HTMLResponse)
def signup_form(p: AnyPage) -> Response:
    return render(p, "auth/signup.html", form={})


@router.post("/signup", response_class=HTMLResponse)
def signup(
    p: Posted,
    display_name: Annotated[FreeText, Form(max_length=80)],
    password: Annotated[str, Form(max_length=128)],
    phone: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    form = {"display_name": display_name, "phone": phone, "email": email}
    try:
        accounts.do_register(
            p.container.identity,
            phone=phone.strip() or None,
            email=email.strip() or None,
            password=password,
            display_name=display_name.strip(),
            locale=p.locale,
            ctx=p.ctx(),
        )
        # A new account has no 2FA yet, so the password alone opens its first session.
        session = authentication.do_login(
            p.container.identity,
            login=email.strip() or phone.strip(),
            password=password,
            totp_code=None,
            recovery_code=None,
            ctx=p.ctx(),
        )
    except WalletdeskError as exc:
        return render(
            p, "auth/signup.html", status=exc.http_status, form=form, error=error_text(p, exc)
        )
    response = redirect(p, "/wallet", notice="notice.signed_up")
    set_session_cookie(p, response, session.token)
    return response


def set_session_cookie(p: Page, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=is_secure(p), path="/"
    )


@router.post("/logout")
def logout(p: UserPost) -> Response:
    authentication.do_logout(p.container.identity, p.me, p.ctx())
    response = redirect(p, "/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

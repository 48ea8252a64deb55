"""Me: account details (phone and email changes with step-up, and verifying them with a
code sent there) and the security centre:
the check-up, two-factor set-up with its recovery codes, devices and sessions, alerts.

Any signed-in person has these pages (staff and merchant users need 2FA too); the
wallet pages are the customers' alone.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from walletdesk.core.errors import NotFound, WalletdeskError
from walletdesk.identity import (
    accounts,
    authentication,
    changes,
    checkup,
    contact_verification,
    verification,
)
from walletdesk.identity.model import ContactKind
from walletdesk.web.context import Page, UserPage, UserPost
from walletdesk.web.pages.customer_forms import form_error, parse_uuid, qr_svg, step_up_token
from walletdesk.web.rendering import redirect, render

router = APIRouter(include_in_schema=False)
ALERTS_SHOWN = 20


# -- account details ------------------------------------------------------------------


def _account_page(p: Page, *, status: int = 200, error: str | None = None, **form: str) -> Response:
    user = accounts.get_me(p.container.identity, p.me.user.id)
    # (kind, value) of each contact on file still to verify, phone first.
    unverified = [
        (kind.value, value)
        for kind, value, verified_at in (
            (ContactKind.PHONE, user.phone, user.phone_verified_at),
            (ContactKind.EMAIL, user.email, user.email_verified_at),
        )
        if value and verified_at is None
    ]
    return render(
        p,
        "customer/me.html",
        status=status,
        user=user,
        unverified=unverified,
        cards=changes.list_cards(p.container.identity, p.me.user.id),
        form=form,
        error=error,
    )


@router.get("/me", response_class=HTMLResponse)
def me(p: UserPage) -> Response:
    return _account_page(p)


@router.post("/me/phone", response_class=HTMLResponse)
def change_phone(
    p: UserPost,
    phone: Annotated[str, Form(max_length=40)],
    password: Annotated[str, Form(max_length=128)],
) -> Response:
    """A new phone number, confirmed by the password; the old number hears about it."""
    try:
        changes.do_change_phone(
            p.container.identity,
            p.me,
            phone=phone,
            verification_token=step_up_token(p, password),
            ctx=p.ctx(),
        )
    except WalletdeskError as exc:
        return _account_page(p, status=exc.http_status, error=form_error(p, exc), phone=phone)
    return redirect(p, "/me", notice="notice.phone_changed")


@router.post("/me/email", response_class=HTMLResponse)
def change_email(
    p: UserPost,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=128)],
) -> Response:
    """A new email, confirmed by the password; the old address hears about it."""
    try:
        changes.do_change_email(
            p.container.identity,
            p.me,
            email=email,
            verification_token=step_up_token(p, password),
            ctx=p.ctx(),
        )
    except WalletdeskError as exc:
        return _account_page(p, status=exc.http_status, error=form_error(p, exc), email=email)
    return redirect(p, "/me", notice="notice.email_changed")


def _contact_kind(kind: str) -> ContactKind:
    try:
        return ContactKind(kind)
    except ValueError:
        raise NotFound("no such kind of contact") from None


@router.post("/me/contacts/{kind}/code", response_class=HTMLResponse)
def send_contact_code(p: UserPost, kind: str) -> Response:
    """Send a code to the phone (a text) or the email on file, to verify it."""
    chosen = _contact_kind(kind)
    try:
        contact_verification.do_send_contact_code(p.container.identity, p.me, chosen, p.ctx())
    except WalletdeskError as exc:
        return _account_page(p, status=exc.http_status, error=form_error(p, exc))
    return redirect(p, f"/me#verify-{chosen.value}", notice="notice.contact_code_sent")


@router.post("/me/contacts/{kind}/confirm", response_class=HTMLResponse)
def confirm_contact(p: UserPost, kind: str, code: Annotated[str, Form(max_length=12)]) -> Response:
    """The code typed back: the contact is verified (wrong codes count towards the lockout)."""
    chosen = _contact_kind(kind)
    try:
        contact_verification.do_confirm_contact(
            p.container.identity, p.me, chosen, code.replace(" ", ""), p.ctx()
        )
    except WalletdeskError as exc:
        return _account_page(p, status=exc.http_status, error=form_error(p, exc))
    return redirect(p, "/me", notice=f"notice.{chosen.value}_verified")


# -- the security centre --------------------------------------------------------------


def _security_page(p: Page, *, status: int = 200, **extra: Any) -> Response:
    user_id = p.me.user.id
    alerts, next_cursor = p.container.notifications.get_alerts(user_id, limit=ALERTS_SHOWN)
    return render(
        p,
        "customer/security.html",
        status=status,
        user=accounts.get_me(p.container.identity, user_id),
        checkup=checkup.get_checkup(p.container.identity, user_id, p.locale),
        sessions=authentication.list_sessions(p.container.identity, user_id, p.me.session_id),
        alerts=alerts,
        more_alerts=next_cursor is not None,
        **extra,
    )


@router.get("/me/security", response_class=HTMLResponse)
def security(p: UserPage) -> Response:
    return _security_page(p)


@router.post("/me/security/2fa", response_class=HTMLResponse)
def start_two_factor(p: UserPost) -> Response:
    """Begin 2FA: a new secret, shown as a QR code and as text for typing in."""
    try:
        enrolment = verification.do_start_totp(p.container.identity, p.me)
    except WalletdeskError as exc:
        return _security_page(p, status=exc.http_status, error=form_error(p, exc))
    return _enrolment_page(p, enrolment.secret, enrolment.otpauth_uri)


def _enrolment_page(
    p: Page, secret: str, uri: str, *, status: int = 200, error: str | None = None
) -> Response:
    return render(
        p,
        "customer/two_factor.html",
        status=status,
        secret=secret,
        secret_groups=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        uri=uri,
        qr=qr_svg(uri, p.t("security.2fa_qr_title")),
        error=error,
    )


@router.post("/me/security/2fa/confirm", response_class=HTMLResponse)
def confirm_two_factor(
    p: UserPost,
    code: Annotated[str, Form(max_length=12)],
    password: Annotated[str, Form(max_length=128)],
    secret: Annotated[str, Form(max_length=64)] = "",
    uri: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Turn 2FA on with the app's first code and the password typed again (a stolen
    session alone must not enrol another authenticator); the recovery codes are shown
    this once."""
    try:
        codes = verification.do_confirm_totp(
            p.container.identity,
            p.me,
            code.replace(" ", ""),
            step_up_token(p, password),
            p.ctx(),
        )
    except WalletdeskError as exc:
        if secret and uri.startswith("otpauth://"):
            return _enrolment_page(p, secret, uri, status=exc.http_status, error=form_error(p, exc))
        return _security_page(p, status=exc.http_status, error=form_error(p, exc))
    return render(p, "customer/recovery_codes.html", codes=codes)


@router.post("/me/security/sessions/{session_id}/revoke", response_class=HTMLResponse)
def revoke_session(p: UserPost, session_id: str) -> Response:
    chosen = parse_uuid(session_id) or uuid.UUID(int=0)
    try:
        authentication.do_revoke_session(p.container.identity, p.me, chosen, p.ctx())
    except WalletdeskError as exc:
        return _security_page(p, status=exc.http_status, error=form_error(p, exc))
    return redirect(p, "/me/security", notice="notice.session_revoked")


@router.post("/me/security/alerts/{alert_id}/read", response_class=HTMLResponse)
def mark_alert_read(p: UserPost, alert_id: str) -> Response:
    chosen = parse_uuid(alert_id) or uuid.UUID(int=0)
    try:
        p.container.notifications.do_mark_read(p.me.user.id, chosen)
    except WalletdeskError as exc:
        return _security_page(p, status=exc.http_status, error=form_error(p, exc))
    return redirect(p, "/me/security", notice="notice.alert_read")

"""Identity and security endpoints (API.md "Identity and security")."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Response, status
from pydantic import BaseModel, Field

from walletdesk.api import idempotency
from walletdesk.api.deps import App, Ctx, Me
from walletdesk.identity import (
    accounts,
    authentication,
    changes,
    checkup,
    contact_verification,
    verification,
)
from walletdesk.identity.model import ContactKind, KycTier, UserStatus, VerificationMethod
from walletdesk.identity.roles import Role

router = APIRouter(prefix="/api/v1", tags=["identity"])
VerificationHeader = Annotated[str | None, Header(alias="X-Verification-Token")]


class UserCreate(BaseModel):
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    password: str = Field(max_length=128)
    display_name: str = Field(max_length=80)
    locale: Literal["en", "zh-CN"] = "en"


class StaffCreate(UserCreate):
    role: Role


class SessionCreate(BaseModel):
    login: str = Field(max_length=254)
    password: str = Field(max_length=128)
    totp_code: str | None = Field(default=None, max_length=12)
    recovery_code: str | None = Field(default=None, max_length=20)


class SessionPublic(BaseModel):
    token: str
    expires_at: str
    user: dict[str, Any]


class VerificationCreate(BaseModel):
    method: VerificationMethod
    password: str | None = Field(default=None, max_length=128)
    code: str | None = Field(default=None, max_length=12)


class ContactVerificationCreate(BaseModel):
    kind: ContactKind


class ContactVerificationConfirm(BaseModel):
    kind: ContactKind
    code: str = Field(max_length=12)


class TotpConfirm(BaseModel):
    code: str = Field(max_length=12)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=128)
    new_password: str = Field(max_length=128)


class PhoneChange(BaseModel):
    phone: str = Field(max_length=40)


class EmailChange(BaseModel):
    email: str = Field(max_length=254)


class CardCreate(BaseModel):
    number: str = Field(max_length=30)
    expiry_month: int = Field(ge=1, le=12)
    expiry_year: int = Field(ge=2000, le=2100)


class KycSubmit(BaseModel):
    tier: KycTier
    full_name: str = Field(max_length=80)
    id_type: Literal["cn_resident_id", "passport"]
    id_number: str = Field(max_length=32)
    selfie_provided: bool = False


class FreezeRequest(BaseModel):
    reason: str = Field(default="self-service freeze", max_length=200)


@router.post("/users", status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, c: App, ctx: Ctx) -> dict[str, Any]:
    """Sign up with a phone number and/or email."""
    user = accounts.do_register(
        c.identity,
        phone=body.phone,
        email=body.email,
        password=body.password,
        display_name=body.display_name,
        locale=body.locale,
        ctx=ctx,
    )
    return user.public()


@router.post("/admin/users", status_code=status.HTTP_201_CREATED)
def create_staff(body: StaffCreate, c: App, ctx: Ctx, me: Me) -> dict[str, Any]:
    """An admin creates agent, supervisor, merchant or admin accounts."""
    user = accounts.do_register(
        c.identity,
        phone=body.phone,
        email=body.email,
        password=body.password,
        display_name=body.display_name,
        locale=body.locale,
        ctx=ctx,
        role=body.role,
        actor=me.user,
    )
    return user.public()


@router.post("/sessions", status_code=status.HTTP_201_CREATED)
@idempotency.never_kept
def create_session(body: SessionCreate, c: App, ctx: Ctx) -> SessionPublic:
    """Log in. With 2FA on, a TOTP or recovery code is needed too."""
    session = authentication.do_login(
        c.identity,
        login=body.login,
        password=body.password,
        totp_code=body.totp_code,
        recovery_code=body.recovery_code,
        ctx=ctx,
    )
    return SessionPublic(
        token=session.token, expires_at=session.expires_at.isoformat(), user=session.user.public()
    )


@router.delete("/sessions/current", status_code=status.HTTP_204_NO_CONTENT)
def delete_current_session(c: App, ctx: Ctx, me: Me) -> Response:
    authentication.do_logout(c.identity, me, ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/sessions")
def list_my_sessions(c: App, me: Me) -> dict[str, Any]:
    return {"items": authentication.list_sessions(c.identity, me.user.id, me.session_id)}


@router.delete("/me/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_my_session(session_id: uuid.UUID, c: App, ctx: Ctx, me: Me) -> Response:
    authentication.do_revoke_session(c.identity, me, session_id, ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me")
def get_me(c: App, me: Me) -> dict[str, Any]:
    return accounts.get_me(c.identity, me.user.id).public()


@router.post("/me/verifications/sms", status_code=status.HTTP_202_ACCEPTED)
def send_sms_code(c: App, ctx: Ctx, me: Me) -> dict[str, str]:
    """Text a one-time code to the phone on file (for method "sms")."""
    expires_at = verification.do_send_sms_code(c.identity, me, ctx)
    return {"expires_at": expires_at.isoformat()}


@router.post("/me/verifications", status_code=status.HTTP_201_CREATED)
@idempotency.never_kept
def create_verification(body: VerificationCreate, c: App, ctx: Ctx, me: Me) -> dict[str, str]:
    """Step-up: a single-use, short-lived token for one sensitive action."""
    result = verification.do_verify(
        c.identity, me, method=body.method, password=body.password, code=body.code, ctx=ctx
    )
    return {"verification_token": result.token, "expires_at": result.expires_at.isoformat()}


@router.post("/me/contact-verifications", status_code=status.HTTP_202_ACCEPTED)
def send_contact_code(body: ContactVerificationCreate, c: App, ctx: Ctx, me: Me) -> dict[str, str]:
    """Send a code to the phone (a text) or the email address on file, to verify it."""
    expires_at = contact_verification.do_send_contact_code(c.identity, me, body.kind, ctx)
    return {"kind": body.kind.value, "expires_at": expires_at.isoformat()}


@router.post("/me/contact-verifications/confirm")
def confirm_contact(body: ContactVerificationConfirm, c: App, ctx: Ctx, me: Me) -> dict[str, Any]:
    """The code sent to that contact: it is verified from now on (until it changes)."""
    verified = contact_verification.do_confirm_contact(c.identity, me, body.kind, body.code, ctx)
    return verified.public()


@router.post("/me/2fa/totp", status_code=status.HTTP_201_CREATED)
@idempotency.never_kept
def start_totp(c: App, me: Me) -> dict[str, str]:
    enrolment = verification.do_start_totp(c.identity, me)
    return {
        "secret": enrolment.secret,
        "otpauth_uri": enrolment.otpauth_uri,
        "qr_svg_url": "/api/v1/me/2fa/totp/qr.svg",
    }


@router.get("/me/2fa/totp/qr.svg")
def totp_qr(c: App, me: Me) -> Response:
    svg = verification.totp_qr_svg(c.identity, me)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.post("/me/2fa/totp/confirm")
@idempotency.never_kept
def confirm_totp(
    body: TotpConfirm, c: App, ctx: Ctx, me: Me, token: VerificationHeader = None
) -> dict[str, list[str]]:
    """Turn 2FA on (needs X-Verification-Token); the ten recovery codes are shown this once."""
    codes = verification.do_confirm_totp(c.identity, me, body.code, token, ctx)
    return {"recovery_codes": codes}


@router.delete("/me/2fa/totp", status_code=status.HTTP_204_NO_CONTENT)
def disable_totp(c: App, ctx: Ctx, me: Me, token: VerificationHeader = None) -> Response:
    verification.do_disable_totp(c.identity, me, token, ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/2fa/recovery-codes")
@idempotency.never_kept
def regenerate_recovery_codes(
    c: App, ctx: Ctx, me: Me, token: VerificationHeader = None
) -> dict[str, list[str]]:
    codes = verification.do_regenerate_recovery_codes(c.identity, me, token, ctx)
    return {"recovery_codes": codes}


@router.put("/me/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: PasswordChange, c: App, ctx: Ctx, me: Me) -> Response:
    """Other sessions are signed out."""
    changes.do_change_password(
        c.identity,
        me,
        current_password=body.current_password,
        new_password=body.new_password,
        ctx=ctx,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/me/phone")
def change_phone(
    body: PhoneChange, c: App, ctx: Ctx, me: Me, token: VerificationHeader = None
) -> dict[str, Any]:
    user = changes.do_change_phone(
        c.identity, me, phone=body.phone, verification_token=token, ctx=ctx
    )
    return user.public()


@router.put("/me/email")
def change_email(
    body: EmailChange, c: App, ctx: Ctx, me: Me, token: VerificationHeader = None
) -> dict[str, Any]:
    user = changes.do_change_email(
        c.identity, me, email=body.email, verification_token=token, ctx=ctx
    )
    return user.public()


@router.get("/me/cards")
def list_cards(c: App, me: Me) -> dict[str, Any]:
    return {"items": changes.list_cards(c.identity, me.user.id)}


@router.post("/me/cards", status_code=status.HTTP_201_CREATED)
def add_card(
    body: CardCreate, c: App, ctx: Ctx, me: Me, token: VerificationHeader = None
) -> dict[str, Any]:
    return changes.do_add_card(
        c.identity,
        me,
        number=body.number,
        expiry_month=body.expiry_month,
        expiry_year=body.expiry_year,
        verification_token=token,
        ctx=ctx,
    )


@router.delete("/me/cards/{card_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_card(
    card_id: uuid.UUID, c: App, ctx: Ctx, me: Me, token: VerificationHeader = None
) -> Response:
    changes.do_remove_card(c.identity, me, card_id=card_id, verification_token=token, ctx=ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/kyc")
def submit_kyc(body: KycSubmit, c: App, ctx: Ctx, me: Me) -> dict[str, Any]:
    return changes.do_submit_kyc(
        c.identity,
        me,
        requested=body.tier,
        full_name=body.full_name,
        id_type=body.id_type,
        id_number=body.id_number,
        selfie_provided=body.selfie_provided,
        ctx=ctx,
    )


@router.get("/me/security")
def security_checkup(c: App, ctx: Ctx, me: Me) -> dict[str, Any]:
    locale = ctx.locale if ctx.locale else me.user.locale
    return checkup.get_checkup(c.identity, me.user.id, locale)


@router.post("/me/freeze")
def freeze_me(body: FreezeRequest, c: App, ctx: Ctx, me: Me) -> dict[str, Any]:
    """Freeze my own account at once (lost phone, suspected theft): every other session
    is signed out and no password, contact, card or 2FA change is accepted until an agent
    unfreezes it. This session stays, to see the frozen state and reach support."""
    user = accounts.do_set_status(
        c.identity,
        actor=me.user,
        user_id=me.user.id,
        status=UserStatus.FROZEN,
        reason=body.reason,
        ctx=ctx,
        keep_session=me.session_id,
    )
    return user.public()

"""Step-up verification and TOTP two-factor enrolment.

A sensitive action (change phone or email, add or remove a card, turn 2FA on or
off, raise a limit) needs a verification token obtained moments before by re-entering
the password, a TOTP code or an SMS code. The token is single-use, short-lived,
and stored only as a hash.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from sqlalchemy import Connection, and_, delete, insert, select, update

from walletdesk.core.errors import ValidationError
from walletdesk.identity import store
from walletdesk.identity import tables as t
from walletdesk.identity.accounts import refuse_if_frozen
from walletdesk.identity.authentication import (
    codes_for,
    record_failed_attempt,
    refuse_if_locked,
    sign_out_for_recovery,
    spend_recovery_code,
)
from walletdesk.identity.contact_verification import note_phone_proven
from walletdesk.identity.deps import IdentityDeps
from walletdesk.identity.errors import (
    CodeInvalid,
    SecondFactorRequired,
    SmsRateLimited,
    TotpAlreadyEnabled,
    TotpNotEnrolled,
    VerificationRequired,
)
from walletdesk.identity.model import (
    SECOND_FACTOR_METHODS,
    Principal,
    RequestContext,
    User,
    VerificationMethod,
)
from walletdesk.identity.throttle import count_text_to, sms_windows, source_key
from walletdesk.identity.tokens import hash_token, new_numeric_code, new_token
from walletdesk.identity.totp import (
    hash_recovery_code,
    matching_step,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
)
from walletdesk.notify.messages import CODE_KINDS, AlertKind

VERIFICATION_PREFIX = "wdv_"
MAX_SMS_ATTEMPTS = 5


class NoPhoneOnFile(ValidationError):
    code = "no_phone_on_file"


@dataclass(frozen=True, slots=True)
class Verification:
    token: str
    expires_at: datetime


def do_send_sms_code(
    deps: IdentityDeps,
    principal: Principal,
    ctx: RequestContext,
    *,
    purpose: AlertKind = AlertKind.VERIFICATION_CODE,
    purpose_params: Mapping[str, str] | None = None,
) -> datetime:
    """Text a one-time code to the phone on file; returns when it expires.

    ``purpose`` is the code kind whose words say what the code is for (the customer's
    own step-up by default; ``ticket_verification_code`` with ``ticket_number`` in
    ``purpose_params`` when an agent asks them to confirm on a ticket). The code spends
    only for that purpose (:func:`do_verify`'s ``code_for``): a code a text said was
    for a ticket cannot step up a payout, and an agent's check does not cancel the
    customer's own code. A new code replaces any earlier one of the same purpose.

    Raises AccountFrozen (nothing sent or counted) for the customer's own step-up code
    while the account is frozen; SmsRateLimited (nothing sent) past the per-number limits
    in settings.
    """
    if purpose not in CODE_KINDS:
        raise ValueError(f"{purpose} is not a kind of alert that carries a code")
    user = principal.user
    # A step-up code is only good for minting a step-up token, which a frozen account
    # may not have (do_verify). A ticket check's code is another matter: it is how the
    # customer proves to an agent that it's them, and an agent's unfreeze needs that.
    own_step_up = purpose is AlertKind.VERIFICATION_CODE
    if own_step_up:
        refuse_if_frozen(user.status)
    if not user.phone:
        raise NoPhoneOnFile("add a phone number first, or verify with your password")
    now = deps.clock.now()
    code = new_numeric_code()
    expires_at = now + timedelta(seconds=deps.settings.sms_code_ttl_seconds)

    windows = sms_windows(deps.settings)

    def work(conn: Connection) -> None:
        if own_step_up:
            # Again under the row lock: a freeze may have landed since the session was read.
            refuse_if_frozen(store.user_row(conn, user.id, lock=True).status)
        # Counted per phone number before anything else: over a limit, the raise rolls
        # this transaction back, so no code is stored, queued or counted.
        retry_at = count_text_to(conn, user.phone or "", now, windows)
        if retry_at is not None:
            raise SmsRateLimited(
                "too many codes were sent to this phone number; try again later",
                retry_after_seconds=max(1, int((retry_at - now).total_seconds())),
                retry_after=retry_at.isoformat(),
            )
        # A new code replaces any earlier one for the same purpose: only the latest works.
        conn.execute(
            delete(t.sms_challenges).where(
                and_(
                    t.sms_challenges.c.user_id == user.id,
                    t.sms_challenges.c.used_at.is_(None),
                    codes_for(purpose),
                )
            )
        )
        conn.execute(
            insert(t.sms_challenges).values(
                id=uuid.uuid4(),
                user_id=user.id,
                code_hash=hash_token(code),
                destination=user.phone,
                created_at=now,
                expires_at=expires_at,
                attempts=0,
                purpose=purpose.value,
            )
        )
        deps.alert(
            conn,
            purpose,
            user,
            {
                **(purpose_params or {}),
                "code": code,
                "minutes": deps.settings.sms_code_ttl_seconds // 60,
            },
            phone=user.phone,
            email=None,
            use_profile_contacts=False,
        )

    deps.transaction(work)
    return expires_at


def do_verify(
    deps: IdentityDeps,
    principal: Principal,
    *,
    method: VerificationMethod,
    password: str | None,
    code: str | None,
    ctx: RequestContext,
) -> Verification:
    """Prove presence again; returns a single-use token for one sensitive action.
    What counts as proof, and the lockout, are :func:`check_presence`'s.

    Raises AccountFrozen while the account is frozen, before the password or code is
    checked: no guess is answered or counted, no authenticator step, recovery code or
    SMS code is spent, and no token is made. Every token a frozen account could spend
    buys something a freeze refuses, and one made now would outlive the freeze (the
    freeze voided those made before it)."""
    user = principal.user
    refuse_if_frozen(user.status)
    check_presence(deps, principal, method=method, password=password, code=code, ctx=ctx)
    now = deps.clock.now()
    token = new_token(VERIFICATION_PREFIX)
    expires_at = now + timedelta(seconds=deps.settings.verification_ttl_seconds)

    def work(conn: Connection) -> None:
        # Again under the row lock, which the freeze takes too: a token made before a
        # concurrent freeze is voided by it, and none is made after.
        refuse_if_frozen(store.user_row(conn, user.id, lock=True).status)
        conn.execute(
            insert(t.verifications).values(
                id=uuid.uuid4(),
                user_id=user.id,
                token_hash=hash_token(token),
                method=method.value,
                created_at=now,
                expires_at=expires_at,
            )
        )

    deps.transaction(work)
    return Verification(token=token, expires_at=expires_at)


def check_presence(
    deps: IdentityDeps,
    principal: Principal,
    *,
    method: VerificationMethod,
    password: str | None,
    code: str | None,
    ctx: RequestContext,
    code_for: AlertKind = AlertKind.VERIFICATION_CODE,
) -> None:
    """Check the password or spend the code the user gives; raises CodeInvalid if wrong.

    An SMS code counts only if its text was for ``code_for`` (the customer's own
    step-up unless the caller says otherwise; see :func:`do_send_sms_code`).

    Wrong passwords and codes count towards the same lockout as the login form (the
    account and the source address): a stolen session must not become a way to guess
    the password or a 6-digit code without limit.

    It does not refuse a frozen account, on purpose: a customer confirming an agent's
    identity check on their ticket comes through here, and that is how a frozen account
    gets unfrozen. Callers that make something of the proof refuse it themselves
    (:func:`do_verify`, the password change).
    """
    user = principal.user
    now = deps.clock.now()
    source = source_key(ctx.source_ip)
    refuse_if_locked(deps, user.id, source)
    if method is VerificationMethod.PASSWORD:
        with deps.engine.connect() as conn:
            row = store.user_row(conn, user.id)
        if not password or not deps.passwords.verify(row.password_hash, password):
            _note_failed_verification(deps, user, method, source, ctx)
            raise CodeInvalid("the password is not right")
    elif method is VerificationMethod.TOTP:
        if not user.totp_enabled:
            raise TotpNotEnrolled("two-factor authentication is not on for this account")
        if not code or not _consume_totp(deps, user.id, code, now):
            _note_failed_verification(deps, user, method, source, ctx)
            raise CodeInvalid("that code is not right or was already used")
    elif method is VerificationMethod.RECOVERY_CODE:
        if not user.totp_enabled:
            raise TotpNotEnrolled("two-factor authentication is not on for this account")
        if not code or not _consume_recovery_code(deps, user.id, code, now, ctx):
            _note_failed_verification(deps, user, method, source, ctx)
            raise CodeInvalid("that recovery code is not right or was already used")
    elif not code or not _consume_sms(deps, user.id, code, now, code_for, ctx.source_ip):
        _note_failed_verification(deps, user, method, source, ctx)
        raise CodeInvalid("that code is not right, has expired, or was already used")


def _note_failed_verification(
    deps: IdentityDeps, user: User, method: VerificationMethod, source: str, ctx: RequestContext
) -> None:
    deps.transaction(
        lambda conn: store.add_security_event(
            conn,
            user.id,
            "verification_failed",
            {"method": method.value},
            ctx.source_ip,
            deps.clock.now(),
        )
    )
    record_failed_attempt(deps, user.id, source, ctx)  # raises AccountLocked past the limit


def _consume_totp(deps: IdentityDeps, user_id: uuid.UUID, code: str, now: datetime) -> bool:
    def work(conn: Connection) -> bool:
        row = store.user_row(conn, user_id, lock=True)
        step = matching_step(row.totp_secret, code, now, row.totp_last_step)
        if step is None:
            return False
        store.update_user(conn, user_id, totp_last_step=step)
        return True

    return deps.transaction(work)


def _consume_recovery_code(
    deps: IdentityDeps, user_id: uuid.UUID, code: str, now: datetime, ctx: RequestContext
) -> bool:
    def work(conn: Connection) -> bool:
        row = store.user_row(conn, user_id, lock=True)
        return spend_recovery_code(deps, conn, row, code.strip(), ctx, now)

    return deps.transaction(work)


def _consume_sms(
    deps: IdentityDeps,
    user_id: uuid.UUID,
    code: str,
    now: datetime,
    purpose: AlertKind,
    source_ip: str | None,
) -> bool:
    def work(conn: Connection) -> bool:
        challenge = conn.execute(
            select(t.sms_challenges)
            .where(
                and_(
                    t.sms_challenges.c.user_id == user_id,
                    t.sms_challenges.c.used_at.is_(None),
                    codes_for(purpose),
                )
            )
            .order_by(t.sms_challenges.c.created_at.desc())
            .limit(1)
            .with_for_update()
        ).first()
        if challenge is None or challenge.expires_at <= now:
            return False
        if challenge.attempts >= MAX_SMS_ATTEMPTS:
            return False
        if hash_token(code.strip()) != challenge.code_hash:
            conn.execute(
                update(t.sms_challenges)
                .where(t.sms_challenges.c.id == challenge.id)
                .values(attempts=challenge.attempts + 1)
            )
            return False
        conn.execute(
            update(t.sms_challenges)
            .where(t.sms_challenges.c.id == challenge.id)
            .values(used_at=now)
        )
        if purpose is AlertKind.VERIFICATION_CODE:
            # The customer's own step-up code went to this number and came back: the phone
            # is proven as a contact-verification code would prove it. Not an agent's
            # check on a ticket, which a frozen account may answer and which verifies
            # nothing of the account's contacts.
            note_phone_proven(conn, user_id, challenge.destination, now, source_ip)
        return True

    return deps.transaction(work)


def consume_verification(
    conn: Connection,
    deps: IdentityDeps,
    user_id: uuid.UUID,
    token: str | None,
    purpose: str,
    *,
    second_factor: bool = False,
) -> None:
    """Spend a step-up token inside the sensitive action's own transaction.

    If the action then fails, the transaction rolls back and the token is unspent.
    ``second_factor``: only a token made with an authenticator or a recovery code counts
    (SecondFactorRequired otherwise, the token left unspent for a change it can buy).
    """
    if not token:
        raise VerificationRequired("confirm it's you first (password, authenticator or SMS code)")
    now = deps.clock.now()
    live = and_(
        t.verifications.c.token_hash == hash_token(token),
        t.verifications.c.user_id == user_id,
        t.verifications.c.used_at.is_(None),
        t.verifications.c.expires_at > now,
    )
    if second_factor:
        method = conn.execute(select(t.verifications.c.method).where(live)).scalar()
        if method is not None and VerificationMethod(method) not in SECOND_FACTOR_METHODS:
            raise SecondFactorRequired(
                "confirm it's you with your authenticator app or a recovery code first"
            )
    result = conn.execute(update(t.verifications).where(live).values(used_at=now, used_for=purpose))
    if result.rowcount != 1:
        raise VerificationRequired(
            "that confirmation has expired or was already used; confirm it's you again"
        )


# -- TOTP enrolment ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    secret: str
    otpauth_uri: str


def do_start_totp(deps: IdentityDeps, principal: Principal) -> TotpEnrolment:
    user = principal.user
    if user.totp_enabled:
        raise TotpAlreadyEnabled("two-factor authentication is already on")
    secret = new_secret()

    def work(conn: Connection) -> None:
        refuse_if_frozen(store.user_row(conn, user.id, lock=True).status)
        store.update_user(conn, user.id, totp_secret=secret)

    deps.transaction(work)
    label = user.email or user.phone or str(user.id)
    return TotpEnrolment(secret, provisioning_uri(secret, label, deps.settings.totp_issuer))


def totp_qr_svg(deps: IdentityDeps, principal: Principal) -> str:
    """The pending enrolment's otpauth URI as an SVG QR code, for phones to scan."""
    with deps.engine.connect() as conn:
        row = store.user_row(conn, principal.user.id)
    if not row.totp_secret or row.totp_enabled:
        raise TotpNotEnrolled("start two-factor set-up first")
    label = row.email or row.phone or str(row.id)
    uri = provisioning_uri(row.totp_secret, label, deps.settings.totp_issuer)
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4)
    return buffer.getvalue().decode()


def do_confirm_totp(
    deps: IdentityDeps,
    principal: Principal,
    code: str,
    verification_token: str | None,
    ctx: RequestContext,
) -> list[str]:
    """Turn 2FA on once the user proves their app works; returns ten recovery codes.

    Needs a step-up token like every other change of the account's secrets: with a
    session alone, whoever stole it could enrol their own authenticator, lock the owner
    out of the next login and take the recovery codes. A wrong code rolls the
    transaction back, so the token stays unspent for another try."""
    user = principal.user
    now = deps.clock.now()
    codes = new_recovery_codes()

    def work(conn: Connection) -> None:
        row = store.user_row(conn, user.id, lock=True)
        refuse_if_frozen(row.status)
        if row.totp_enabled:
            raise TotpAlreadyEnabled("two-factor authentication is already on")
        if not row.totp_secret:
            raise TotpNotEnrolled("start two-factor set-up first")
        consume_verification(conn, deps, user.id, verification_token, "totp.enable")
        step = matching_step(row.totp_secret, code, now, row.totp_last_step)
        if step is None:
            raise CodeInvalid("that code is not right; check your phone's time and try again")
        store.update_user(conn, user.id, totp_enabled=True, totp_last_step=step)
        _replace_recovery_codes(conn, user.id, codes, now)
        fresh = store.get_user(conn, user.id)
        deps.alert(conn, AlertKind.TOTP_ENABLED, fresh)
        store.add_security_event(conn, user.id, "totp_enabled", {}, ctx.source_ip, now)
        deps.audit(
            conn,
            "totp.enabled",
            actor=user,
            subject=fresh,
            ctx=ctx,
            before={"totp_enabled": False},
            after={"totp_enabled": True},
        )

    deps.transaction(work)
    return codes


def _replace_recovery_codes(
    conn: Connection, user_id: uuid.UUID, codes: list[str], now: datetime
) -> None:
    conn.execute(delete(t.recovery_codes).where(t.recovery_codes.c.user_id == user_id))
    conn.execute(
        insert(t.recovery_codes),
        [
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "code_hash": hash_recovery_code(c),
                "created_at": now,
            }
            for c in codes
        ],
    )


def switch_totp_off(conn: Connection, user_id: uuid.UUID) -> int:
    """Turn two-factor authentication off: its secret and every recovery code go. Returns
    how many recovery codes were left. The caller holds the user's row lock, signs the
    other sessions out (:func:`~walletdesk.identity.authentication.sign_out_for_recovery`:
    all of them after an agent's reset, all but the caller's when the customer turns it
    off), and alerts and audits as it should."""
    store.update_user(conn, user_id, totp_enabled=False, totp_secret=None, totp_last_step=None)
    removed = conn.execute(delete(t.recovery_codes).where(t.recovery_codes.c.user_id == user_id))
    return int(removed.rowcount)


def do_disable_totp(
    deps: IdentityDeps, principal: Principal, verification_token: str | None, ctx: RequestContext
) -> None:
    user = principal.user
    now = deps.clock.now()

    def work(conn: Connection) -> None:
        row = store.user_row(conn, user.id, lock=True)
        refuse_if_frozen(row.status)
        if not row.totp_enabled:
            raise TotpNotEnrolled("two-factor authentication is not on")
        # The second factor itself must be shown: with the password alone (a phished or
        # reused one) whoever holds a session could strip 2FA off the account.
        consume_verification(
            conn, deps, user.id, verification_token, "totp.disable", second_factor=True
        )
        switch_totp_off(conn, user.id)
        # Often turned off because the phone with the authenticator app is gone, and that
        # phone may still be signed in: the other sessions end, this one stays.
        ended = sign_out_for_recovery(
            conn, user.id, now, "totp_disabled", keep=principal.session_id
        )
        fresh = store.get_user(conn, user.id)
        signed_out = "others" if ended["sessions_ended"] else ""
        deps.alert(conn, AlertKind.TOTP_DISABLED, fresh, {"signed_out": signed_out})
        store.add_security_event(conn, user.id, "totp_disabled", ended, ctx.source_ip, now)
        deps.audit(
            conn,
            "totp.disabled",
            actor=user,
            subject=fresh,
            ctx=ctx,
            before={"totp_enabled": True},
            after={"totp_enabled": False, **ended},
        )

    deps.transaction(work)


def do_regenerate_recovery_codes(
    deps: IdentityDeps, principal: Principal, verification_token: str | None, ctx: RequestContext
) -> list[str]:
    user = principal.user
    now = deps.clock.now()
    codes = new_recovery_codes()

    def work(conn: Connection) -> None:
        row = store.user_row(conn, user.id, lock=True)
        refuse_if_frozen(row.status)
        if not row.totp_enabled:
            raise TotpNotEnrolled("two-factor authentication is not on")
        # New codes replace the owner's: with the password alone, a thief would get a
        # second factor of their own and void the owner's way back in.
        consume_verification(
            conn,
            deps,
            user.id,
            verification_token,
            "recovery_codes.regenerate",
            second_factor=True,
        )
        _replace_recovery_codes(conn, user.id, codes, now)
        deps.audit(conn, "recovery_codes.regenerated", actor=user, subject=user, ctx=ctx)

    deps.transaction(work)
    return codes

"""Registering users, staff accounts, and freezing."""

from __future__ import annotations

import uuid

import phonenumbers
from sqlalchemy import Connection, insert

from walletdesk.core.errors import ValidationError
from walletdesk.identity import store
from walletdesk.identity import tables as t
from walletdesk.identity.authentication import sign_out_for_recovery
from walletdesk.identity.contacts import normalise_email, normalise_phone
from walletdesk.identity.deps import IdentityDeps
from walletdesk.identity.errors import AccountFrozen, LoginRequired, LoginTaken
from walletdesk.identity.model import KycTier, RequestContext, User, UserStatus
from walletdesk.identity.passwords import require_strong
from walletdesk.identity.roles import Permission, Role, authorize
from walletdesk.notify.messages import AlertKind

LOCALES = ("en", "zh-CN")


class LocaleNotSupported(ValidationError):
    code = "locale_not_supported"


def check_registration(
    *, phone: str | None, email: str | None, password: str, display_name: str, locale: str
) -> tuple[str | None, str | None, int]:
    """Validate and normalise a sign-up; raises before anything is written."""
    if not phone and not email:
        raise LoginRequired("give a phone number or an email address")
    phone_e164 = normalise_phone(phone) if phone else None
    email_norm = normalise_email(email) if email else None
    if locale not in LOCALES:
        raise LocaleNotSupported("choose zh-CN or en", supported=", ".join(LOCALES))
    name = display_name.strip()
    if not 1 <= len(name) <= 80:
        raise ValidationError("the display name needs 1 to 80 characters", field="display_name")
    personal = tuple(
        part
        for part in (name, phone_e164 and phone_e164[-8:], email_norm and email_norm.split("@")[0])
        if part
    )
    strength = require_strong(password, personal=personal)
    return phone_e164, email_norm, strength.score


def do_register(
    deps: IdentityDeps,
    *,
    phone: str | None,
    email: str | None,
    password: str,
    display_name: str,
    locale: str,
    ctx: RequestContext,
    role: Role = Role.CUSTOMER,
    actor: User | None = None,
) -> User:
    """Create a user (customers sign up themselves; staff are made by an admin)."""
    if role is not Role.CUSTOMER:
        if actor is None:
            raise ValidationError("staff accounts are created by an administrator")
        authorize(actor.role, Permission.MANAGE_STAFF)
    phone_e164, email_norm, score = check_registration(
        phone=phone, email=email, password=password, display_name=display_name, locale=locale
    )
    password_hash = deps.passwords.hash(password)
    # The edge proxy's GeoIP country, else the phone's, else China (the first market).
    country = ctx.country or (
        phonenumbers.region_code_for_number(phonenumbers.parse(phone_e164)) if phone_e164 else "CN"
    )

    def work(conn: Connection) -> User:
        if store.login_taken(conn, phone=phone_e164, email=email_norm):
            raise LoginTaken("this phone number or email is already registered; try logging in")
        now = deps.clock.now()
        user_id = uuid.uuid4()
        conn.execute(
            insert(t.users).values(
                id=user_id,
                phone=phone_e164,
                email=email_norm,
                display_name=display_name.strip(),
                locale=locale,
                country=(country or "CN").upper()[:2],
                role=role.value,
                status=UserStatus.ACTIVE.value,
                password_hash=password_hash,
                password_strength=score,
                password_changed_at=now,
                totp_secret=None,
                totp_enabled=False,
                totp_last_step=None,
                kyc_tier=KycTier.I.value,
                failed_logins=0,
                created_at=now,
                version=0,
            )
        )
        user = store.get_user(conn, user_id)
        deps.audit(
            conn,
            "user.registered" if actor is None else "staff.created",
            actor=actor or user,
            subject=user,
            ctx=ctx,
            after={"role": role.value, "phone": phone_e164, "email": email_norm},
        )
        return user

    return deps.transaction(work)


def get_me(deps: IdentityDeps, user_id: uuid.UUID) -> User:
    with deps.engine.connect() as conn:
        return store.get_user(conn, user_id)


def refuse_if_frozen(status: UserStatus | str) -> None:
    """Raise AccountFrozen for a frozen (or closed) account.

    Called by every self-service change of password, phone, email, bank cards, 2FA and
    verification tier, and before a customer's own step-up token or step-up SMS code is
    made: a freeze is what an owner does when someone else may hold a session, and that
    someone must not then lock the owner out by changing the account's secrets or
    contacts, raise what the account may do, or collect proof to spend after an unfreeze.
    Agents' changes (identity verified on a ticket, a second approver) are how a frozen
    account is repaired, so they do not call this, nor does the customer's confirmation
    of an agent's check on a ticket (which an unfreeze needs).

    A closed account cannot sign in (authentication refuses its sessions), so it only
    gets here when it was closed during the request; it is refused the same way, as a
    payment from it is (``account_frozen``), since it may change even less.
    """
    if UserStatus(status) is not UserStatus.ACTIVE:
        raise AccountFrozen("this account is frozen; contact customer service")


def do_set_status(
    deps: IdentityDeps,
    *,
    actor: User,
    user_id: uuid.UUID,
    status: UserStatus,
    reason: str,
    ctx: RequestContext,
    keep_session: uuid.UUID | None = None,
) -> User:
    """Freeze or unfreeze. A user may freeze themselves; only staff may unfreeze.

    Freezing signs out the account's sessions, since the usual reason is a lost phone or
    a suspected takeover. A customer freezing their own account keeps ``keep_session``
    (the one they froze it from) so they can still see the frozen state and reach
    support; a freeze by staff signs out every session, ``keep_session`` ignored.
    Every unspent step-up token is voided with the sessions. Unfreezing signs nobody out.
    """
    self_service = actor.id == user_id
    if not self_service or status is not UserStatus.FROZEN:
        authorize(actor.role, Permission.ACT_ON_CUSTOMERS)
    keep = keep_session if self_service else None

    def work(conn: Connection) -> User:
        before = store.get_user(conn, user_id, lock=True)
        if before.status is status:
            return before
        store.update_user(conn, user_id, status=status.value)
        after = store.get_user(conn, user_id)
        now = deps.clock.now()
        changed: dict[str, object] = {"status": status.value}
        if status is UserStatus.FROZEN:
            # Even the kept session's step-ups are voided: nothing they authorise is
            # allowed while frozen, and none should still work once it is unfrozen.
            changed.update(sign_out_for_recovery(conn, user_id, now, "account_frozen", keep=keep))
        detail = {"reason": reason, **changed}
        store.add_security_event(
            conn, user_id, f"account_{status.value}", detail, ctx.source_ip, now
        )
        kind = (
            AlertKind.ACCOUNT_FROZEN if status is UserStatus.FROZEN else AlertKind.ACCOUNT_UNFROZEN
        )
        deps.alert(conn, kind, after, {"reason": reason})
        deps.audit(
            conn,
            f"user.{status.value}",
            actor=actor,
            subject=after,
            ctx=ctx,
            before={"status": before.status.value},
            after=changed,
            reason=reason,
        )
        return after

    return deps.transaction(work)

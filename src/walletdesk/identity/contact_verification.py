"""Proving that the phone number and email address on an account reach its owner.

Sign-up takes a phone number or an email address on trust: nothing shows that the person
typing it receives what is sent there. The inbound channels (support/channels) file
email, calls and social messages on the account whose *verified* contact they come from,
so a contact identifies nobody until its owner proves it: a code sent to it, typed back
while signed in. A phone number or email address that changes is unverified again until
proven (:mod:`walletdesk.identity.changes`); a successful step-up by SMS code proves the
phone too (:func:`note_phone_proven`).

Codes work like step-up SMS codes (:mod:`walletdesk.identity.verification`): six digits,
stored only as a hash, single-use, expiring after ``sms_code_ttl_seconds``, at most
MAX_CODE_ATTEMPTS wrong tries each, a new one replacing the last. Wrong codes count
towards the login lockout, and codes sent to one destination count towards the same
per-destination caps as step-up texts (``sms_codes_per_phone_*``; an email address is
capped the same way), so this is neither a guessing oracle nor a way to flood someone's
phone or mailbox.

A frozen (or closed) account neither gets a code nor confirms one
(:func:`~walletdesk.identity.accounts.refuse_if_frozen`): whoever holds a frozen account's
session must not make its contacts start identifying it to customer service.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update

from walletdesk.identity import store
from walletdesk.identity import tables as t
from walletdesk.identity.accounts import refuse_if_frozen
from walletdesk.identity.authentication import record_failed_attempt, refuse_if_locked
from walletdesk.identity.contacts import mask_email, mask_phone
from walletdesk.identity.deps import IdentityDeps
from walletdesk.identity.errors import (
    CodeInvalid,
    ContactAlreadyVerified,
    EmailRateLimited,
    NoContactOnFile,
    SmsRateLimited,
)
from walletdesk.identity.model import ContactKind, Principal, RequestContext, User, UserStatus
from walletdesk.identity.throttle import count_text_to, sms_windows, source_key
from walletdesk.identity.tokens import hash_token, new_numeric_code
from walletdesk.notify.messages import AlertKind

# Wrong tries one code survives; then only a new code helps (as for step-up codes).
MAX_CODE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class VerifiedContact:
    kind: ContactKind
    value: str
    verified_at: datetime

    def public(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "value": self.value,
            "verified": True,
            "verified_at": self.verified_at.isoformat(),
        }


def _on_file(row: Any, kind: ContactKind) -> str | None:
    value: str | None = row.phone if kind is ContactKind.PHONE else row.email
    return value


def _verified_at(row: Any, kind: ContactKind) -> datetime | None:
    when: datetime | None = (
        row.phone_verified_at if kind is ContactKind.PHONE else row.email_verified_at
    )
    return when


def _masked(kind: ContactKind, value: str) -> str:
    return mask_phone(value) if kind is ContactKind.PHONE else mask_email(value)


def do_send_contact_code(
    deps: IdentityDeps, principal: Principal, kind: ContactKind, ctx: RequestContext
) -> datetime:
    """Send a one-time code to the caller's phone (a text) or email address; returns when
    it expires. A new code replaces any earlier one for the same kind of contact.

    Raises, sending and storing nothing: AccountFrozen while the account is frozen;
    NoContactOnFile when there is no such contact; ContactAlreadyVerified when it is
    verified; SmsRateLimited / EmailRateLimited past the per-destination caps."""
    user = principal.user
    refuse_if_frozen(user.status)
    now = deps.clock.now()
    code = new_numeric_code()
    ttl = deps.settings.sms_code_ttl_seconds
    expires_at = now + timedelta(seconds=ttl)
    windows = sms_windows(deps.settings)

    def work(conn: Connection) -> None:
        row = store.user_row(conn, user.id, lock=True)
        # Again under the row lock: a freeze may have landed since the session was read.
        refuse_if_frozen(row.status)
        destination = _on_file(row, kind)
        if destination is None:
            raise NoContactOnFile(f"there is no {kind.value} on this account to verify")
        if _verified_at(row, kind) is not None:
            raise ContactAlreadyVerified(f"this {kind.value} is already verified")
        # Counted per destination before anything else: over a cap, the raise rolls this
        # transaction back, so no code is stored, queued or counted.
        retry_at = count_text_to(conn, destination, now, windows)
        if retry_at is not None:
            limited = SmsRateLimited if kind is ContactKind.PHONE else EmailRateLimited
            raise limited(
                f"too many codes were sent to this {kind.value}; try again later",
                retry_after_seconds=max(1, int((retry_at - now).total_seconds())),
                retry_after=retry_at.isoformat(),
            )
        conn.execute(
            delete(t.contact_challenges).where(
                and_(
                    t.contact_challenges.c.user_id == user.id,
                    t.contact_challenges.c.kind == kind.value,
                    t.contact_challenges.c.used_at.is_(None),
                )
            )
        )
        conn.execute(
            insert(t.contact_challenges).values(
                id=uuid.uuid4(),
                user_id=user.id,
                kind=kind.value,
                destination=destination,
                code_hash=hash_token(code),
                created_at=now,
                expires_at=expires_at,
                attempts=0,
            )
        )
        # Only to the contact being verified: a code that also reached the other contact
        # (or the inbox) would prove nothing about this one.
        deps.alert(
            conn,
            AlertKind.CONTACT_VERIFICATION_CODE,
            User.from_row(row),
            {"contact": kind.value, "code": code, "minutes": ttl // 60},
            phone=destination if kind is ContactKind.PHONE else None,
            email=destination if kind is ContactKind.EMAIL else None,
            use_profile_contacts=False,
        )

    deps.transaction(work)
    return expires_at


def do_confirm_contact(
    deps: IdentityDeps,
    principal: Principal,
    kind: ContactKind,
    code: str,
    ctx: RequestContext,
) -> VerifiedContact:
    """Spend the code sent to the caller's ``kind`` of contact and mark it verified.

    The code verifies the destination it was sent to, and only while that is still the
    contact on file: a code sent to the old number does not verify a new one.

    Raises AccountFrozen while frozen, before the code is checked (no guess is answered
    or counted); AccountLocked while the account or the address is locked out;
    NoContactOnFile when there is no such contact; CodeInvalid for a wrong, expired or
    spent code, counted towards the lockout like a wrong step-up code (AccountLocked
    instead once that reaches the limit). A refusal verifies nothing."""
    user = principal.user
    refuse_if_frozen(user.status)
    source = source_key(ctx.source_ip)
    refuse_if_locked(deps, user.id, source)
    now = deps.clock.now()
    challenges = t.contact_challenges

    def work(conn: Connection) -> VerifiedContact | None:
        row = store.user_row(conn, user.id, lock=True)
        refuse_if_frozen(row.status)
        destination = _on_file(row, kind)
        if destination is None:
            raise NoContactOnFile(f"there is no {kind.value} on this account to verify")
        challenge = conn.execute(
            select(challenges)
            .where(
                and_(
                    challenges.c.user_id == user.id,
                    challenges.c.kind == kind.value,
                    challenges.c.used_at.is_(None),
                )
            )
            .order_by(challenges.c.created_at.desc())
            .limit(1)
            .with_for_update()
        ).first()
        if (
            challenge is None
            or challenge.expires_at <= now
            or challenge.attempts >= MAX_CODE_ATTEMPTS
            or challenge.destination != destination
        ):
            return None
        if hash_token(code.strip()) != challenge.code_hash:
            conn.execute(
                update(challenges)
                .where(challenges.c.id == challenge.id)
                .values(attempts=challenge.attempts + 1)
            )
            return None
        conn.execute(update(challenges).where(challenges.c.id == challenge.id).values(used_at=now))
        before = User.from_row(row)
        was_verified = _verified_at(row, kind) is not None
        store.update_user(conn, user.id, **{f"{kind.value}_verified_at": now})
        after = store.get_user(conn, user.id)
        detail = {"contact": _masked(kind, destination), "via": "contact_code"}
        store.add_security_event(
            conn, user.id, f"{kind.value}_verified", detail, ctx.source_ip, now
        )
        deps.audit(
            conn,
            f"{kind.value}.verified",
            actor=before,
            subject=after,
            ctx=ctx,
            before={f"{kind.value}_verified": was_verified},
            after={f"{kind.value}_verified": True},
        )
        return VerifiedContact(kind=kind, value=destination, verified_at=now)

    verified = deps.transaction(work)
    if verified is None:
        _note_failed_confirmation(deps, user, kind, source, ctx)
        raise CodeInvalid("that code is not right, has expired, or was already used")
    return verified


def _note_failed_confirmation(
    deps: IdentityDeps, user: User, kind: ContactKind, source: str, ctx: RequestContext
) -> None:
    deps.transaction(
        lambda conn: store.add_security_event(
            conn,
            user.id,
            "contact_verification_failed",
            {"kind": kind.value},
            ctx.source_ip,
            deps.clock.now(),
        )
    )
    record_failed_attempt(deps, user.id, source, ctx)  # raises AccountLocked past the limit


def note_phone_proven(
    conn: Connection, user_id: uuid.UUID, phone: str, now: datetime, source_ip: str | None
) -> bool:
    """Mark ``phone`` verified if it is still the active account's number and not yet
    verified, inside the caller's transaction; returns whether it was marked.

    For a step-up SMS code just spent: the code went to ``phone`` and came back, the same
    proof a contact-verification code gives. The guards are in the UPDATE itself, so a
    number changed (or an account frozen) since the text was sent is left alone."""
    users = t.users
    marked = conn.execute(
        update(users)
        .where(
            and_(
                users.c.id == user_id,
                users.c.phone == phone,
                users.c.phone_verified_at.is_(None),
                users.c.status == UserStatus.ACTIVE.value,
            )
        )
        .values(phone_verified_at=now, version=users.c.version + 1)
    ).rowcount
    if marked != 1:
        return False
    detail = {"contact": mask_phone(phone), "via": "sms_step_up"}
    store.add_security_event(conn, user_id, "phone_verified", detail, source_ip, now)
    return True

"""Logging in and out, sessions, lockout, and the risk signals of a login."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, insert, or_, select, update

from walletdesk.core.errors import ValidationError
from walletdesk.identity import store
from walletdesk.identity import tables as t
from walletdesk.identity.contacts import normalise_login
from walletdesk.identity.deps import IdentityDeps
from walletdesk.identity.errors import (
    AccountLocked,
    InvalidCredentials,
    TotpInvalid,
    TotpRequired,
    Unauthenticated,
    UserNotFound,
)
from walletdesk.identity.model import Principal, RequestContext, User, UserStatus
from walletdesk.identity.throttle import (
    count_failure,
    source_key,
    throttle_row,
    unknown_login_key,
)
from walletdesk.identity.tokens import hash_token, new_token
from walletdesk.identity.totp import hash_recovery_code, matching_step
from walletdesk.notify.messages import AlertKind

SESSION_PREFIX = "wds_"
# Touching last_seen_at on every request would turn every read into a write.
_LAST_SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str  # shown once; only its hash is stored
    session_id: uuid.UUID
    expires_at: datetime
    user: User


def refuse_if_locked(deps: IdentityDeps, user_id: uuid.UUID, source: str) -> None:
    """Raise AccountLocked while the account or the source is locked out."""
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        row = store.user_row(conn, user_id)
        throttle = throttle_row(conn, source)
    _refuse_while_locked(now, row, throttle)


def _refuse_while_locked(now: datetime, *rows: Any) -> None:
    """Raise AccountLocked for the first of ``rows`` (users or source_throttle rows, or
    None) whose lockout runs at ``now``."""
    for row in rows:
        if row is not None and row.locked_until and row.locked_until > now:
            raise _locked(row.locked_until)


def _locked(locked_until: datetime) -> AccountLocked:
    return AccountLocked(
        "too many failed attempts; try again after the time shown, or reset your password",
        locked_until=locked_until.isoformat(),
    )


def do_login(
    deps: IdentityDeps,
    *,
    login: str,
    password: str,
    totp_code: str | None,
    recovery_code: str | None,
    ctx: RequestContext,
) -> NewSession:
    """Check the password (and the second factor when on) and open a session."""
    now = deps.clock.now()
    source = source_key(ctx.source_ip)
    try:
        kind, value = normalise_login(login)
    except ValidationError:
        kind, value = "phone", ""
    unknown_login = unknown_login_key(kind, value) if value else None
    with deps.engine.connect() as conn:
        throttle = throttle_row(conn, source)
        row = store.user_row_by_login(conn, kind, value) if value else None
        if row is not None and UserStatus(row.status) is UserStatus.CLOSED:
            # A closed account answers exactly like a login nobody has: the same failure,
            # counted under the same hashed key, even with the right password. Checked
            # before the session is opened (authenticate would refuse it afterwards, but
            # by then the session row, device and audit entry were written) and without
            # touching the closed row, so nothing about it changes and nothing tells
            # that the login was ever registered.
            row = None
        # An unknown login locks exactly like an account would (see record_failed_attempt).
        pseudo_account = (
            throttle_row(conn, unknown_login) if row is None and unknown_login else None
        )
    _refuse_while_locked(now, throttle, row or pseudo_account)
    # Always one argon2 verification, so an unknown login takes as long as a known one.
    password_ok = deps.passwords.verify(row.password_hash if row else None, password)
    if row is None or not password_ok:
        record_failed_attempt(
            deps, row.id if row else None, source, ctx, unknown_login=unknown_login
        )
        raise InvalidCredentials("the login or password is not right")
    if row.totp_enabled:
        if not totp_code and not recovery_code:
            raise TotpRequired("enter the 6-digit code from your authenticator app")
        if not _second_factor_ok(deps, row, totp_code, recovery_code, ctx):
            record_failed_attempt(deps, row.id, source, ctx)
            raise TotpInvalid("that code is not right or was already used")
    return _open_session(deps, row.id, password, ctx)


def _second_factor_ok(
    deps: IdentityDeps,
    row: Any,
    totp_code: str | None,
    recovery_code: str | None,
    ctx: RequestContext,
) -> bool:
    now = deps.clock.now()

    def work(conn: Connection) -> bool:
        fresh = store.user_row(conn, row.id, lock=True)
        if totp_code:
            step = matching_step(fresh.totp_secret, totp_code, now, fresh.totp_last_step)
            if step is None:
                return False
            store.update_user(conn, row.id, totp_last_step=step)
            return True
        assert recovery_code is not None
        return spend_recovery_code(deps, conn, fresh, recovery_code, ctx, now)

    return deps.transaction(work)


def spend_recovery_code(
    deps: IdentityDeps, conn: Connection, row: Any, code: str, ctx: RequestContext, now: datetime
) -> bool:
    """Spend one of the user's unused recovery codes (``row``: their locked user row);
    alerts, records and audits the use. False when ``code`` is not one of them."""
    used = conn.execute(
        update(t.recovery_codes)
        .where(
            and_(
                t.recovery_codes.c.user_id == row.id,
                t.recovery_codes.c.code_hash == hash_recovery_code(code),
                t.recovery_codes.c.used_at.is_(None),
            )
        )
        .values(used_at=now)
    )
    if used.rowcount != 1:
        return False
    user = User.from_row(row)
    remaining = store.unused_recovery_codes(conn, row.id)
    deps.alert(conn, AlertKind.RECOVERY_CODE_USED, user, {"remaining": remaining})
    store.add_security_event(
        conn, row.id, "recovery_code_used", {"remaining": remaining}, ctx.source_ip, now
    )
    deps.audit(conn, "recovery_code.used", actor=user, subject=user, ctx=ctx)
    return True


def record_failed_attempt(
    deps: IdentityDeps,
    user_id: uuid.UUID | None,
    source: str,
    ctx: RequestContext,
    *,
    unknown_login: str | None = None,
) -> None:
    """Count a failure against the account and the source address; lock past the limit.

    Used by every place a secret is guessed: the login form and step-up verification
    (a customer's own, and the confirmation they give on a ticket), so no path is an
    unthrottled oracle.

    A login that matches no account (``user_id`` None) is counted under
    ``unknown_login`` (:func:`unknown_login_key`) with the account's limit and window,
    so after the same failures it gets the same ``account_locked`` answer a real account
    would: otherwise the lockout itself would tell which logins are registered."""
    settings = deps.settings
    now = deps.clock.now()
    window = timedelta(minutes=settings.failure_window_minutes)
    lock_for = timedelta(minutes=settings.lockout_minutes)

    def work(conn: Connection) -> datetime | None:
        locked_until = count_failure(
            conn, source, settings.max_failed_logins_per_source, now, window, lock_for
        )
        if user_id is None:
            if unknown_login is None:
                return locked_until
            pseudo_lock = count_failure(
                conn, unknown_login, settings.max_failed_logins, now, window, lock_for
            )
            return pseudo_lock or locked_until
        row = store.user_row(conn, user_id, lock=True)
        if row.first_failure_at is None or row.first_failure_at + window <= now:
            failures, first = 1, now
        else:
            failures, first = row.failed_logins + 1, row.first_failure_at
        account_lock = now + lock_for if failures >= settings.max_failed_logins else None
        store.update_user(
            conn, user_id, failed_logins=failures, first_failure_at=first, locked_until=account_lock
        )
        if account_lock is not None:
            user = User.from_row(row)
            deps.alert(conn, AlertKind.ACCOUNT_LOCKED, user, {"until": account_lock.isoformat()})
            store.add_security_event(
                conn, user_id, "account_locked", {"failures": failures}, ctx.source_ip, now
            )
            deps.audit(conn, "user.locked", actor=None, subject=user, ctx=ctx)
            return account_lock
        return locked_until

    locked = deps.transaction(work)
    if locked is not None:
        raise _locked(locked)


def _open_session(
    deps: IdentityDeps, user_id: uuid.UUID, password: str, ctx: RequestContext
) -> NewSession:
    now = deps.clock.now()
    token = new_token(SESSION_PREFIX)
    expires_at = now + timedelta(hours=deps.settings.session_ttl_hours)

    def work(conn: Connection) -> NewSession:
        row = store.user_row(conn, user_id, lock=True)
        values: dict[str, Any] = {
            "failed_logins": 0,
            "first_failure_at": None,
            "locked_until": None,
        }
        if deps.passwords.needs_rehash(row.password_hash):
            # Parameters were raised since this hash was made: upgrade it now we know the password.
            values["password_hash"] = deps.passwords.hash(password)
        store.update_user(conn, user_id, **values)
        user = User.from_row(row)
        session_id = uuid.uuid4()
        conn.execute(
            insert(t.sessions).values(
                id=session_id,
                user_id=user_id,
                token_hash=hash_token(token),
                device_key=ctx.device_key,
                device_label=ctx.device_label,
                source_ip=ctx.source_ip,
                country=ctx.country,
                created_at=now,
                last_seen_at=now,
                expires_at=expires_at,
            )
        )
        _note_device(deps, conn, user, ctx, now)
        deps.audit(conn, "session.created", actor=user, subject=user, ctx=ctx)
        return NewSession(token=token, session_id=session_id, expires_at=expires_at, user=user)

    return deps.transaction(work)


def _note_device(
    deps: IdentityDeps, conn: Connection, user: User, ctx: RequestContext, now: datetime
) -> None:
    """New device or new country on login: an alert and a security event."""
    known = conn.execute(select(t.devices).where(t.devices.c.user_id == user.id)).all()
    this = next((d for d in known if d.device_key == ctx.device_key), None)
    countries = {d.last_country for d in known if d.last_country}
    if this is None:
        conn.execute(
            insert(t.devices).values(
                user_id=user.id,
                device_key=ctx.device_key,
                label=ctx.device_label,
                first_seen_at=now,
                last_seen_at=now,
                last_country=ctx.country,
                # The first device a user ever logs in from is the one they signed up on.
                trusted=not known,
            )
        )
        if known:
            params = {
                "device": ctx.device_label,
                "ip": ctx.source_ip or "",
                "time": now.isoformat(),
            }
            deps.alert(conn, AlertKind.LOGIN_NEW_DEVICE, user, params)
            store.add_security_event(conn, user.id, "login_new_device", params, ctx.source_ip, now)
    else:
        conn.execute(
            update(t.devices)
            .where(and_(t.devices.c.user_id == user.id, t.devices.c.device_key == ctx.device_key))
            .values(last_seen_at=now, last_country=ctx.country or this.last_country)
        )
    if ctx.country and countries and ctx.country not in countries:
        params = {"country": ctx.country, "device": ctx.device_label, "time": now.isoformat()}
        deps.alert(conn, AlertKind.LOGIN_NEW_COUNTRY, user, params)
        store.add_security_event(conn, user.id, "login_new_country", params, ctx.source_ip, now)


def authenticate(deps: IdentityDeps, token: str | None) -> Principal:
    """The principal behind a bearer token, or :class:`Unauthenticated`."""
    if not token or not token.startswith(SESSION_PREFIX):
        raise Unauthenticated("log in first")
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        session = conn.execute(
            select(t.sessions).where(t.sessions.c.token_hash == hash_token(token))
        ).first()
        if session is None or session.revoked_at is not None or session.expires_at <= now:
            raise Unauthenticated("your session has ended; log in again")
        user = store.get_user(conn, session.user_id)
    if user.status is UserStatus.CLOSED:
        raise Unauthenticated("this account is closed")
    if now - session.last_seen_at > _LAST_SEEN_RESOLUTION:
        deps.transaction(
            lambda c: c.execute(
                update(t.sessions).where(t.sessions.c.id == session.id).values(last_seen_at=now)
            )
        )
    return Principal(user=user, session_id=session.id)


def list_sessions(
    deps: IdentityDeps, user_id: uuid.UUID, current: uuid.UUID | None
) -> list[dict[str, Any]]:
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        rows = conn.execute(
            select(t.sessions)
            .where(
                and_(
                    t.sessions.c.user_id == user_id,
                    t.sessions.c.revoked_at.is_(None),
                    t.sessions.c.expires_at > now,
                )
            )
            .order_by(t.sessions.c.created_at.desc())
        ).all()
    return [
        {
            "id": str(r.id),
            "device": r.device_label,
            "source_ip": r.source_ip,
            "country": r.country,
            "created_at": r.created_at.isoformat(),
            "last_seen_at": r.last_seen_at.isoformat(),
            "expires_at": r.expires_at.isoformat(),
            "current": r.id == current,
        }
        for r in rows
    ]


def revoke_sessions(
    conn: Connection,
    user_id: uuid.UUID,
    now: datetime,
    reason: str,
    *,
    only: uuid.UUID | None = None,
    keep: uuid.UUID | None = None,
) -> int:
    """Revoke one session (``only``) or all but ``keep``; returns how many."""
    condition = and_(t.sessions.c.user_id == user_id, t.sessions.c.revoked_at.is_(None))
    if only is not None:
        condition = and_(condition, t.sessions.c.id == only)
    if keep is not None:
        condition = and_(condition, t.sessions.c.id != keep)
    result = conn.execute(
        update(t.sessions).where(condition).values(revoked_at=now, revoked_reason=reason)
    )
    return int(result.rowcount)


def codes_for(purpose: AlertKind) -> ColumnElement[bool]:
    """Texted codes for ``purpose``; those stored before codes had one were step-up codes."""
    column = t.sms_challenges.c.purpose
    if purpose is AlertKind.VERIFICATION_CODE:
        return or_(column == purpose.value, column.is_(None))
    return column == purpose.value


def void_step_ups(conn: Connection, user_id: uuid.UUID, now: datetime, reason: str) -> int:
    """Spend every unspent step-up token of the user's, marked ``void:<reason>``, and every
    unspent step-up code texted to them; returns how many of both.

    Called wherever sessions end because the account's secrets or its holder are in
    doubt (password change, freeze, an agent's recovery): a token is bound to the user,
    not to a session, so one obtained moments before on another device would otherwise
    outlive that device's session and still authorise a contact, card or 2FA change
    from a new login for the rest of its five minutes. A code texted for a step-up is
    the same thing a step earlier (it buys a token), so it goes too. Codes texted for an
    agent's identity check on a ticket stay: that check is how a frozen or recovered
    account is put right."""
    codes = conn.execute(
        update(t.sms_challenges)
        .where(
            and_(
                t.sms_challenges.c.user_id == user_id,
                t.sms_challenges.c.used_at.is_(None),
                t.sms_challenges.c.expires_at > now,
                codes_for(AlertKind.VERIFICATION_CODE),
            )
        )
        .values(used_at=now)
    )
    result = conn.execute(
        update(t.verifications)
        .where(
            and_(
                t.verifications.c.user_id == user_id,
                t.verifications.c.used_at.is_(None),
                t.verifications.c.expires_at > now,
            )
        )
        .values(used_at=now, used_for=f"void:{reason}")
    )
    return int(result.rowcount) + int(codes.rowcount)


def sign_out_for_recovery(
    conn: Connection,
    user_id: uuid.UUID,
    now: datetime,
    reason: str,
    *,
    keep: uuid.UUID | None = None,
) -> dict[str, int]:
    """End every session but ``keep`` and void every unspent step-up; returns the counts
    (``sessions_ended``, ``step_ups_voided``) for the security event and the audit.

    For the changes that decide who can get back into the account: a new phone, email
    or password, or 2FA off. The usual story behind them is a lost or stolen device,
    still signed in; the change must not leave that device holding the account. An
    agent's recovery passes no ``keep`` (the customer is not the caller); a customer's
    own change keeps the session that made it, as a password change always has."""
    return {
        "sessions_ended": revoke_sessions(conn, user_id, now, reason, keep=keep),
        "step_ups_voided": void_step_ups(conn, user_id, now, reason),
    }


def do_logout(deps: IdentityDeps, principal: Principal, ctx: RequestContext) -> None:
    def work(conn: Connection) -> None:
        revoke_sessions(
            conn, principal.user.id, deps.clock.now(), "logout", only=principal.session_id
        )
        deps.audit(conn, "session.ended", actor=principal.user, subject=principal.user, ctx=ctx)

    deps.transaction(work)


def do_revoke_session(
    deps: IdentityDeps, principal: Principal, session_id: uuid.UUID, ctx: RequestContext
) -> None:
    """Sign out one device. Another user's session id answers 404, like a missing one."""

    def work(conn: Connection) -> None:
        count = revoke_sessions(
            conn, principal.user.id, deps.clock.now(), "revoked", only=session_id
        )
        if count != 1:
            raise UserNotFound("no such session")
        deps.audit(
            conn,
            "session.revoked",
            actor=principal.user,
            subject=principal.user,
            ctx=ctx,
            after={"session_id": str(session_id)},
        )

    deps.transaction(work)

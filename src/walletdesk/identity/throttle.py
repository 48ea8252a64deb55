"""The throttle table: counters in fixed windows, one row per key, and forgetting old ones.

Each row of ``login_source_throttle`` counts events for one key in a window that starts
at the first of them (``first_failure_at``), and may hold a lockout (``locked_until``):

* ``ip:<address>`` (:func:`source_key`): failed logins and step-ups from one source
  address, locked past ``max_failed_logins_per_source``;
* ``login:<hash>`` (:func:`unknown_login_key`): failed logins for a login nobody has,
  counted and locked like an account would be;
* ``sms-short:<hash>`` and ``sms-day:<hash>`` (:func:`count_text_to`): codes texted to
  one phone number (or emailed to one address to verify it), never locked, only capped.

Keys naming a person's login or phone are hashed, so the table holds neither. Once its
window has ended and no lockout runs, a row counts for nothing (the next event starts a
new window, :func:`_counted`) and housekeeping deletes it (:func:`purge_expired`).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, insert, or_, select, update

from walletdesk.identity import tables as t
from walletdesk.identity.deps import IdentityDeps
from walletdesk.settings import Settings

SOURCE_PREFIX = "ip:"
UNKNOWN_LOGIN_PREFIX = "login:"
# Rows deleted per transaction, and transactions per housekeeping pass: short
# transactions beside the logins that write the same table; the rest waits a pass.
PURGE_BATCH = 500
PURGE_BATCHES = 20


def source_key(source_ip: str | None) -> str:
    """The key counting failures from one source address (whichever accounts they hit)."""
    return f"{SOURCE_PREFIX}{source_ip or 'unknown'}"


def unknown_login_key(kind: str, value: str) -> str:
    """The throttle key that counts failures for a normalised login no account has.

    Hashed so the table does not keep a list of the phone numbers and addresses people
    typed; 49 characters, within the key column's 64."""
    return UNKNOWN_LOGIN_PREFIX + _hashed(f"{kind}:{value}")


def _hashed(value: str) -> str:
    """A throttle key's part that names a person's phone or login without storing it."""
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _sms_key(name: str, digest: str) -> str:
    return f"sms-{name}:{digest}"


def sms_windows(settings: Settings) -> list[tuple[str, int, timedelta]]:
    """The caps on codes texted to one phone number: ``(name, how many, per window)``."""
    return [
        (
            "short",
            settings.sms_codes_per_phone_short,
            timedelta(minutes=settings.sms_short_window_minutes),
        ),
        ("day", settings.sms_codes_per_phone_daily, timedelta(days=1)),
    ]


def key_windows(settings: Settings) -> dict[str, timedelta]:
    """How long each kind of key counts, by the key's prefix (the windows the counters
    below are given by their callers, from the same settings). A key whose prefix is
    not here is never pruned: a new kind of key must add its window."""
    failures = timedelta(minutes=settings.failure_window_minutes)
    return {
        SOURCE_PREFIX: failures,
        UNKNOWN_LOGIN_PREFIX: failures,
        **{_sms_key(name, ""): window for name, _, window in sms_windows(settings)},
    }


def throttle_row(conn: Connection, key: str | None, *, lock: bool = False) -> Any | None:
    if key is None:
        return None
    query = select(t.source_throttle).where(t.source_throttle.c.source == key)
    return conn.execute(query.with_for_update() if lock else query).first()


def _counted(row: Any | None, now: datetime, window: timedelta) -> tuple[int, datetime]:
    """(count so far, start) of a throttle row's fixed window; a new window when none
    is running (no row, or its window ended)."""
    if row is None or row.first_failure_at + window <= now:
        return 0, now
    return int(row.failures), row.first_failure_at


def _save(conn: Connection, key: str, row: Any | None, **values: Any) -> None:
    if row is None:
        conn.execute(insert(t.source_throttle).values(source=key, **values))
    else:
        conn.execute(
            update(t.source_throttle).where(t.source_throttle.c.source == key).values(**values)
        )


def count_text_to(
    conn: Connection, phone: str, now: datetime, windows: list[tuple[str, int, timedelta]]
) -> datetime | None:
    """Count one more code texted to ``phone`` in each ``(name, limit, window)``
    (:func:`sms_windows`); returns when the first full window ends instead if any is
    full (then the caller must send nothing and roll back what was counted here).

    Kept in the source throttle table under hashed keys, like unknown logins, so the
    table holds no phone numbers. A window starts at its first text (fixed windows)."""
    digest = _hashed(phone)
    for name, limit, window in windows:
        key = _sms_key(name, digest)
        row = throttle_row(conn, key, lock=True)
        sent, first = _counted(row, now, window)
        if sent >= limit:
            return first + window
        _save(conn, key, row, failures=sent + 1, first_failure_at=first, locked_until=None)
    return None


def count_failure(
    conn: Connection, key: str, limit: int, now: datetime, window: timedelta, lock_for: timedelta
) -> datetime | None:
    """One more failure for ``key`` (a source address or an unknown login) in its window;
    returns when the key is locked until, if this failure reached ``limit``."""
    row = throttle_row(conn, key, lock=True)
    failures, first = _counted(row, now, window)
    failures += 1
    locked_until = now + lock_for if failures >= limit else None
    _save(conn, key, row, failures=failures, first_failure_at=first, locked_until=locked_until)
    return locked_until


def _spent(windows: dict[str, timedelta], now: datetime) -> ColumnElement[bool]:
    """Rows that count for nothing at ``now``: the window of their kind of key has
    ended (as :func:`_counted` sees it) and no lockout runs (as the login's check sees
    it). Deleting one changes no answer: the next event starts afresh either way."""
    c = t.source_throttle.c
    ended = or_(
        *(
            and_(c.source.startswith(prefix, autoescape=True), c.first_failure_at <= now - window)
            for prefix, window in windows.items()
        )
    )
    return and_(
        # Implied by ``ended``; stated so the index on first_failure_at finds the rows.
        c.first_failure_at <= now - min(windows.values()),
        ended,
        or_(c.locked_until.is_(None), c.locked_until <= now),
    )


def purge_expired(deps: IdentityDeps) -> int:
    """Delete the throttle rows that count for nothing any more, oldest first, in
    batches of PURGE_BATCH (at most PURGE_BATCHES a call); returns how many. Run by
    housekeeping on every pass.

    Without it the table keeps a row for every address that ever failed a login, every
    login mistyped and every phone ever texted. The condition is checked again by the
    delete itself, so a row that a login or a text started counting again since it was
    selected stays."""
    now = deps.clock.now()
    spent = _spent(key_windows(deps.settings), now)
    c = t.source_throttle.c
    oldest = select(c.source).where(spent).order_by(c.first_failure_at).limit(PURGE_BATCH)

    def one_batch(conn: Connection) -> tuple[int, int]:
        batch = conn.execute(oldest).scalars().all()
        if not batch:
            return 0, 0
        deleted = conn.execute(delete(t.source_throttle).where(c.source.in_(batch), spent))
        return len(batch), int(deleted.rowcount)

    purged = 0
    for _ in range(PURGE_BATCHES):
        found, deleted = deps.transaction(one_batch)
        purged += deleted
        if found < PURGE_BATCH:
            break
    return purged

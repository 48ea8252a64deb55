"""Limit usage: checked and consumed inside the same transaction as the debit.

Each window's usage is one row updated with a guarded atomic statement,
``UPDATE ... SET used = used + :a WHERE ... AND used + :a <= :limit``, so two
concurrent payments can never jointly pass a limit: the second one's guard sees
the first one's usage (PostgreSQL re-evaluates the WHERE after the row lock).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from walletdesk.identity.model import User
from walletdesk.wallet import tables as t
from walletdesk.wallet.limits_policy import Grid, Scope, Strength, Window, base_limits

# Windows reset at local midnight: a Shanghai user's "day" is a Shanghai day.
ZONES = {
    "CN": "Asia/Shanghai",
    "HK": "Asia/Hong_Kong",
    "MO": "Asia/Macau",
    "TW": "Asia/Taipei",
    "SG": "Asia/Singapore",
    "US": "America/New_York",
    "GB": "Europe/London",
    "KE": "Africa/Nairobi",
    "PH": "Asia/Manila",
}

FAILURE_FOR_WINDOW = {
    Window.TRANSACTION: "limit_exceeded_transaction",
    Window.DAY: "limit_exceeded_daily",
    Window.MONTH: "limit_exceeded_monthly",
    Window.YEAR: "limit_exceeded_annual",
    Window.LIFETIME: "limit_exceeded_annual",
}


def zone_of(user: User) -> ZoneInfo:
    return ZoneInfo(ZONES.get(user.country, "UTC"))


def strength_of(user: User) -> Strength:
    return Strength.TWO_FACTOR if user.totp_enabled else Strength.SINGLE_FACTOR


def window_bounds(window: Window, now: datetime, zone: ZoneInfo) -> tuple[str, datetime | None]:
    """(key of the window containing ``now``, when it resets, in UTC)."""
    local = now.astimezone(zone).date()
    if window is Window.DAY:
        start, end = local, local + timedelta(days=1)
    elif window is Window.MONTH:
        start = local.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    elif window is Window.YEAR:
        start, end = local.replace(month=1, day=1), date(local.year + 1, 1, 1)
    else:
        return "lifetime", None
    return start.isoformat(), datetime.combine(end, time(), zone).astimezone(now.tzinfo)


def effective_limits(
    conn: Connection, user: User, currency: str, scope: Scope, now: datetime
) -> Grid:
    """The grid for the user's tier and 2FA state, raised by any active override."""
    grid = base_limits(currency, user.kyc_tier, scope, strength_of(user))
    overrides = conn.execute(
        select(t.limit_overrides).where(
            and_(
                t.limit_overrides.c.user_id == user.id,
                t.limit_overrides.c.currency == currency,
                t.limit_overrides.c.scope == scope.value,
            )
        )
    ).all()
    for row in overrides:
        if row.until is not None and row.until <= now:
            continue
        window = Window(row.window)
        current = grid.get(window)
        if current is None and window in grid:
            continue
        grid[window] = max(row.amount, current or 0)
    return grid


def consume(
    conn: Connection, user: User, currency: str, scope: Scope, amount: int, now: datetime
) -> str | None:
    """Count ``amount`` against every window; return a failure code instead if one is full.

    On a failure the caller must roll back the transaction: earlier windows may
    already have been counted.
    """
    grid = effective_limits(conn, user, currency, scope, now)
    per_transaction = grid.get(Window.TRANSACTION)
    if per_transaction == 0:
        return "tier_not_allowed"
    if per_transaction is not None and amount > per_transaction:
        return "limit_exceeded_transaction"
    zone = zone_of(user)
    for window in (Window.DAY, Window.MONTH, Window.YEAR, Window.LIFETIME):
        limit = grid.get(window)
        if limit is None:
            continue
        key, _ = window_bounds(window, now, zone)
        _ensure_row(conn, user.id, currency, scope, window, key)
        result = conn.execute(
            update(t.limit_usage)
            .where(
                and_(
                    *_pk(user.id, currency, scope, window, key),
                    t.limit_usage.c.used + amount <= limit,
                )
            )
            .values(used=t.limit_usage.c.used + amount)
        )
        if result.rowcount != 1:
            return FAILURE_FOR_WINDOW[window]
    return None


def release(
    conn: Connection, user: User, currency: str, scope: Scope, amount: int, at: datetime
) -> None:
    """Give back usage counted at ``at`` (a withdrawal the bank declined)."""
    zone = zone_of(user)
    for window in (Window.DAY, Window.MONTH, Window.YEAR, Window.LIFETIME):
        key, _ = window_bounds(window, at, zone)
        conn.execute(
            update(t.limit_usage)
            .where(
                and_(*_pk(user.id, currency, scope, window, key), t.limit_usage.c.used >= amount)
            )
            .values(used=t.limit_usage.c.used - amount)
        )


def usage(
    conn: Connection, user: User, currency: str, scope: Scope, now: datetime
) -> list[dict[str, Any]]:
    """Each window's limit, used and remaining, and when it resets."""
    grid = effective_limits(conn, user, currency, scope, now)
    zone = zone_of(user)
    rows = []
    for window, limit in grid.items():
        if window is Window.TRANSACTION:
            rows.append(
                {
                    "window": window.value,
                    "limit": limit,
                    "used": None,
                    "remaining": limit,
                    "resets_at": None,
                }
            )
            continue
        key, resets = window_bounds(window, now, zone)
        used = conn.execute(
            select(t.limit_usage.c.used).where(and_(*_pk(user.id, currency, scope, window, key)))
        ).scalar()
        used = int(used or 0)
        rows.append(
            {
                "window": window.value,
                "limit": limit,
                "used": used,
                "remaining": None if limit is None else max(0, limit - used),
                "resets_at": resets.isoformat() if resets else None,
            }
        )
    return rows


def _pk(
    user_id: uuid.UUID, currency: str, scope: Scope, window: Window, key: str
) -> tuple[Any, ...]:
    c = t.limit_usage.c
    return (
        c.user_id == user_id,
        c.currency == currency,
        c.scope == scope.value,
        c.window == window.value,
        c.window_start == key,
    )


def _ensure_row(
    conn: Connection, user_id: uuid.UUID, currency: str, scope: Scope, window: Window, key: str
) -> None:
    values = {
        "user_id": user_id,
        "currency": currency,
        "scope": scope.value,
        "window": window.value,
        "window_start": key,
        "used": 0,
    }
    maker = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(maker(t.limit_usage).values(**values).on_conflict_do_nothing())

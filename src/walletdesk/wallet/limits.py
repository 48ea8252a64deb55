"""Limit usage: checked and consumed inside the same transaction as the debit.

Each window's usage is one row counted with one guarded atomic upsert,
``INSERT ... ON CONFLICT DO UPDATE SET used = used + :a WHERE used + :a <= :limit``,
so two concurrent payments can never jointly pass a limit: the second one's guard
sees the first one's usage (PostgreSQL re-evaluates the WHERE after the row lock;
SQLite has one writer). The statements are built once per dialect with bind
parameters: rebuilding them per call was 17% of a payment's CPU (bench/RESULTS.md).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Executable, and_, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from walletdesk.identity.model import User
from walletdesk.wallet import tables as t
from walletdesk.wallet.limits_policy import (
    Grid,
    Scope,
    Strength,
    Window,
    base_limits,
    increase_refusal,
)

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
    """The grid for the user's tier and 2FA state, raised by any active override.

    Overrides count only while the account qualifies for raised limits (tier, 2FA:
    :func:`increase_refusal`); ``user`` must be freshly read in this transaction.
    """
    grid = base_limits(currency, user.kyc_tier, scope, strength_of(user))
    if increase_refusal(user.kyc_tier, user.totp_enabled) is not None:
        return grid
    overrides = conn.execute(
        _overrides_statement(),
        {"user_id": user.id, "currency": currency, "scope": scope.value},
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
    count = _count_statement(conn.dialect.name)
    for window in (Window.DAY, Window.MONTH, Window.YEAR, Window.LIFETIME):
        limit = grid.get(window)
        if limit is None:
            continue
        if amount > limit:  # a first row would start above its limit
            return FAILURE_FOR_WINDOW[window]
        key, _ = window_bounds(window, now, zone)
        result = conn.execute(
            count,
            {
                "user_id": user.id,
                "currency": currency,
                "scope": scope.value,
                "window": window.value,
                "window_start": key,
                "amount": amount,
                "limit": limit,
            },
        )
        if result.first() is None:
            return FAILURE_FOR_WINDOW[window]
    return None


@cache
def _count_statement(dialect: str) -> Executable:
    """``INSERT (used = :amount) ON CONFLICT DO UPDATE used += :amount WHERE it fits``."""
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    c = t.limit_usage.c
    stmt = maker(t.limit_usage).values(
        user_id=bindparam("user_id"),
        currency=bindparam("currency"),
        scope=bindparam("scope"),
        window=bindparam("window"),
        window_start=bindparam("window_start"),
        used=bindparam("amount"),
    )
    # RETURNING says whether the row was counted: psycopg reports no rowcount for an
    # upsert whose DO UPDATE is skipped by its WHERE, or for one that ran.
    return stmt.on_conflict_do_update(
        index_elements=[c.user_id, c.currency, c.scope, c.window, c.window_start],
        set_={"used": c.used + stmt.excluded.used},
        where=c.used + stmt.excluded.used <= bindparam("limit"),
    ).returning(c.used)


@cache
def _overrides_statement() -> Executable:
    o = t.limit_overrides.c
    return select(t.limit_overrides).where(
        and_(
            o.user_id == bindparam("user_id"),
            o.currency == bindparam("currency"),
            o.scope == bindparam("scope"),
        )
    )


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

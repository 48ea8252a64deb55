"""Writing alerts into the outbox, reading the in-app inbox, and channel preferences.

Every function takes the caller's :class:`~sqlalchemy.Connection` and never
commits: :func:`enqueue` runs inside the unit of work of the change it reports,
so the alert exists if and only if that change committed.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from walletdesk.core.cursors import decode_seq_cursor
from walletdesk.core.errors import NotFound, ValidationError
from walletdesk.core.ids import new_id
from walletdesk.notify import tables as t
from walletdesk.notify.delivery import OutboxStatus, format_channels
from walletdesk.notify.messages import (
    CODE_KINDS,
    LOCALES,
    AlertCategory,
    AlertKind,
    Channel,
    candidate_channels,
    category_of,
    default_enabled,
    is_adjustable,
    kinds_in,
    may_disable,
    normalise_locale,
    render,
    secret_keys,
)

MAX_PAGE = 100
_MAX_EMAIL = 254
_MAX_PHONE = 32
# The payload key that carries an email's own Message-ID to the dispatcher. Not a
# template parameter: it never reaches the texts or the in-app inbox.
EMAIL_MESSAGE_ID = "email_message_id"
# RFC 5322 msg-id as we write it: <left@right>, printable ASCII, no spaces or brackets.
_MESSAGE_ID = re.compile(r"<[!-;=?A-~]{1,120}@[!-;=?A-~]{1,120}>")


class SecurityAlertsRequired(ValidationError):
    """Security alerts cannot be turned off for the in-app inbox."""

    code = "security_alerts_required"


class PreferenceNotAdjustable(ValidationError):
    """Verification codes go to the destination asked for; they have no preference."""

    code = "preference_not_adjustable"


@dataclass(frozen=True, slots=True)
class InboxAlert:
    """One in-app alert, already rendered in the user's language at dispatch time."""

    id: uuid.UUID
    kind: AlertKind
    title: str
    body: str
    payload: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


# Overrides a user stored, keyed by (kind, channel); absent means the default.
Overrides = Mapping[tuple[AlertKind, Channel], bool]


# -- the outbox ---------------------------------------------------------------------


def enqueue(
    conn: Connection,
    *,
    kind: AlertKind | str,
    user_id: uuid.UUID | None,
    locale: str,
    params: Mapping[str, Any],
    now: datetime,
    email: str | None = None,
    phone: str | None = None,
    email_message_id: str | None = None,
) -> uuid.UUID:
    """Add one alert to the outbox inside the caller's transaction; return its id.

    ``user_id`` puts the alert in that user's inbox and applies their preferences;
    ``email`` / ``phone`` are the only destinations those channels use (for an
    email change, pass the *old* address). ``params`` fill the kind's texts;
    ``time`` may be left out and then shows ``now``. A code kind (``CODE_KINDS``) needs at least
    one destination and never reaches the inbox. ``locale`` is normalised
    (unsupported -> English). ``email_message_id`` (``<left@right>``) is the Message-ID
    the email goes out with, for a caller that threads replies to it.

    Raises ValueError, writing nothing, when the kind is unknown, ``params`` is not
    plain JSON, misses a parameter the texts need, or has a key that looks like a
    secret (password, token, secret, card number, PAN, CVV, PIN, one-time code; only a
    code kind's ``code`` is allowed) or is ``email_message_id``, when
    ``email_message_id`` is not one Message-ID, or when the alert has nowhere to go.
    """
    kind = _kind(kind)
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    secrets = secret_keys(kind, params)
    if secrets:
        # Name the keys, never the values: this message may reach a log.
        raise ValueError(f"{kind}: parameters look like secrets: {', '.join(secrets)}")
    payload = _plain_json(params)
    if EMAIL_MESSAGE_ID in payload:
        raise ValueError(f"{kind}: {EMAIL_MESSAGE_ID} is not a parameter, pass it by name")
    if email_message_id is not None:
        if not _MESSAGE_ID.fullmatch(email_message_id):
            raise ValueError(f"{kind}: email_message_id must be one <left@right> Message-ID")
        payload[EMAIL_MESSAGE_ID] = email_message_id
    for language in LOCALES:
        # Raises ValueError for a missing parameter; {time} defaults to now.
        render(kind, language, payload, at=now)
    email = _destination(email, _MAX_EMAIL, "email")
    phone = _destination(phone, _MAX_PHONE, "phone")
    channels = candidate_channels(
        kind, has_user=user_id is not None, has_email=email is not None, has_phone=phone is not None
    )
    if kind in CODE_KINDS and not channels:
        raise ValueError(f"{kind}: needs an email or phone destination, nowhere to go")
    if not channels:
        raise ValueError(f"{kind}: no user and no destination, the alert has nowhere to go")
    alert_id = new_id()
    conn.execute(
        insert(t.outbox).values(
            id=alert_id,
            kind=kind.value,
            user_id=user_id,
            locale=normalise_locale(locale),
            payload=payload,
            email=email,
            phone=phone,
            channels=format_channels(channels),
            delivered="",
            status=OutboxStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            last_error=None,
            created_at=now,
            sent_at=None,
        )
    )
    return alert_id


def _kind(kind: AlertKind | str) -> AlertKind:
    try:
        return AlertKind(kind)
    except ValueError:
        raise ValueError(f"unknown alert kind {kind!r}") from None


def _plain_json(params: Mapping[str, Any]) -> dict[str, Any]:
    # A round trip must give back the same value: tuples, int keys, NaN or objects
    # would be silently changed (or refused) by the JSON column later.
    given = dict(params)
    try:
        text = json.dumps(given, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"params must be plain JSON: {exc}") from None
    loaded = json.loads(text)
    if not isinstance(loaded, dict) or loaded != given:
        raise ValueError("params must be plain JSON: an object with string keys, lists not tuples")
    return loaded


def _destination(value: str | None, limit: int, name: str) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > limit:
        raise ValueError(f"{name} destination longer than {limit} characters")
    return value


# -- the in-app inbox ---------------------------------------------------------------


def write_inbox_alert(
    conn: Connection,
    *,
    outbox_id: uuid.UUID,
    outbox_seq: int,
    user_id: uuid.UUID,
    kind: AlertKind,
    title: str,
    body: str,
    payload: Mapping[str, Any],
    created_at: datetime,
) -> None:
    """Insert the inbox alert for one outbox row; a second call for the same row does
    nothing (the alert's id is the outbox row's id)."""
    values = {
        "id": outbox_id,
        "seq": outbox_seq,
        "user_id": user_id,
        "kind": kind.value,
        "title": title[:200],
        "body": body,
        "payload": dict(payload),
        "created_at": created_at,
        "read_at": None,
    }
    dialect = conn.dialect.name
    if dialect == "sqlite":
        conn.execute(sqlite.insert(t.inbox).values(values).on_conflict_do_nothing())
    elif dialect in {"postgresql", "cockroachdb"}:
        conn.execute(postgresql.insert(t.inbox).values(values).on_conflict_do_nothing())
    elif conn.execute(select(t.inbox.c.id).where(t.inbox.c.id == outbox_id)).first() is None:
        conn.execute(insert(t.inbox).values(values))


def list_alerts(
    conn: Connection, user_id: uuid.UUID, limit: int = 20, cursor: str | None = None
) -> tuple[list[InboxAlert], str | None]:
    """The user's inbox, newest first: (up to ``limit`` alerts, cursor of the next page
    or None at the end). ``limit`` is 1..100; a cursor not issued here is refused."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    stmt = select(t.inbox).where(t.inbox.c.user_id == user_id)
    before = _decode_cursor(cursor)
    if before is not None:
        stmt = stmt.where(t.inbox.c.seq < before)
    rows = conn.execute(stmt.order_by(t.inbox.c.seq.desc()).limit(limit + 1)).all()
    items = [_alert_from_row(row) for row in rows[:limit]]
    next_cursor = format(rows[limit - 1].seq, "x") if len(rows) > limit else None
    return items, next_cursor


def _decode_cursor(cursor: str | None) -> int | None:
    return decode_seq_cursor(cursor)


def _alert_from_row(row: Any) -> InboxAlert:
    return InboxAlert(
        id=row.id,
        kind=AlertKind(row.kind),
        title=row.title,
        body=row.body,
        payload=dict(row.payload),
        created_at=row.created_at,
        read_at=row.read_at,
    )


def mark_read(conn: Connection, user_id: uuid.UUID, alert_id: uuid.UUID, *, now: datetime) -> None:
    """Mark one of the user's alerts read at ``now``; marking it again keeps the first
    time. Raises NotFound when the alert does not exist or is someone else's."""
    result = conn.execute(
        update(t.inbox)
        .where(
            t.inbox.c.id == alert_id,
            t.inbox.c.user_id == user_id,
            t.inbox.c.read_at.is_(None),
        )
        .values(read_at=now)
    )
    if result.rowcount == 0:
        exists = conn.execute(
            select(t.inbox.c.id).where(t.inbox.c.id == alert_id, t.inbox.c.user_id == user_id)
        ).first()
        if exists is None:
            raise NotFound("no such alert", alert_id=str(alert_id))


def unread_count(conn: Connection, user_id: uuid.UUID) -> int:
    stmt = (
        select(func.count())
        .select_from(t.inbox)
        .where(t.inbox.c.user_id == user_id, t.inbox.c.read_at.is_(None))
    )
    return int(conn.execute(stmt).scalar_one())


# -- preferences ----------------------------------------------------------------------


def get_preferences(conn: Connection, user_id: uuid.UUID) -> dict[AlertKind, dict[Channel, bool]]:
    """Every adjustable kind with every channel: the user's choice, else the default."""
    overrides = load_overrides(conn, [user_id]).get(user_id, {})
    return {
        kind: {
            channel: overrides.get((kind, channel), default_enabled(kind, channel))
            for channel in Channel
        }
        for kind in AlertKind
        if is_adjustable(kind)
    }


def set_preference(
    conn: Connection,
    user_id: uuid.UUID,
    kind_or_category: AlertKind | AlertCategory | str,
    channel: Channel | str,
    enabled: bool,
) -> list[AlertKind]:
    """Turn one channel on or off for a kind, or for every kind of a category; return
    the kinds changed. A plain string is read as a kind first, so ``"transaction"`` is
    the kind; pass ``AlertCategory.TRANSACTION`` for the category.

    Raises SecurityAlertsRequired (nothing written) when asked to take security
    alerts out of the in-app inbox, PreferenceNotAdjustable for verification codes,
    ValidationError for an unknown kind, category or channel.
    """
    kinds = _kinds_for(kind_or_category)
    try:
        chosen = Channel(channel)
    except ValueError:
        raise ValidationError(f"unknown channel {channel!r}", field="channel") from None
    if not enabled:
        for kind in kinds:
            if category_of(kind) is AlertCategory.SECURITY and not may_disable(kind, chosen):
                raise SecurityAlertsRequired(
                    "security alerts always go to the in-app inbox", kind=kind.value
                )
    rows = [
        {"user_id": user_id, "kind": kind.value, "channel": chosen.value, "enabled": enabled}
        for kind in kinds
    ]
    _upsert_preferences(conn, rows)
    return kinds


def _kinds_for(kind_or_category: AlertKind | AlertCategory | str) -> list[AlertKind]:
    if isinstance(kind_or_category, AlertCategory):
        return kinds_in(kind_or_category)
    try:
        kind = AlertKind(kind_or_category)
    except ValueError:
        try:
            return kinds_in(AlertCategory(kind_or_category))
        except ValueError:
            raise ValidationError(
                f"unknown alert kind or category {kind_or_category!r}", field="kind"
            ) from None
    if not is_adjustable(kind):
        raise PreferenceNotAdjustable(
            "verification codes are sent only where they were asked for", kind=kind.value
        )
    return [kind]


def _upsert_preferences(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = conn.dialect.name
    key = [t.preferences.c.user_id, t.preferences.c.kind, t.preferences.c.channel]
    if dialect in {"sqlite", "postgresql", "cockroachdb"}:
        # Atomic upsert: two requests toggling the same switch cannot collide.
        builder = sqlite.insert if dialect == "sqlite" else postgresql.insert
        stmt = builder(t.preferences)
        conn.execute(
            stmt.on_conflict_do_update(index_elements=key, set_={"enabled": stmt.excluded.enabled}),
            rows,
        )
        return
    for row in rows:
        conn.execute(
            delete(t.preferences).where(
                t.preferences.c.user_id == row["user_id"],
                t.preferences.c.kind == row["kind"],
                t.preferences.c.channel == row["channel"],
            )
        )
    conn.execute(insert(t.preferences), rows)


def load_overrides(
    conn: Connection, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[tuple[AlertKind, Channel], bool]]:
    """The stored preference rows of several users at once (the dispatcher's batch)."""
    wanted = sorted(set(user_ids))
    found: dict[uuid.UUID, dict[tuple[AlertKind, Channel], bool]] = {u: {} for u in wanted}
    if not wanted:
        return found
    stmt = select(t.preferences).where(t.preferences.c.user_id.in_(wanted))
    for row in conn.execute(stmt):
        try:
            key = (AlertKind(row.kind), Channel(row.channel))
        except ValueError:
            continue  # a kind retired from the catalogue: nothing to apply it to
        found[row.user_id][key] = bool(row.enabled)
    return found


def allowed_channels(
    kind: AlertKind, candidates: frozenset[Channel], overrides: Overrides
) -> frozenset[Channel]:
    """The candidates the user's preferences let through. Verification codes ignore
    preferences; security alerts keep the inbox whatever was stored."""
    if not is_adjustable(kind):
        return candidates
    return frozenset(
        channel
        for channel in candidates
        if not may_disable(kind, channel)
        or overrides.get((kind, channel), default_enabled(kind, channel))
    )

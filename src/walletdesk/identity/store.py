"""Reading and writing identity rows inside the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, insert, or_, select, update

from walletdesk.identity import tables as t
from walletdesk.identity.errors import UserNotFound
from walletdesk.identity.model import User


def user_row(conn: Connection, user_id: uuid.UUID, *, lock: bool = False) -> Row[Any]:
    stmt = select(t.users).where(t.users.c.id == user_id)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise UserNotFound("no such user")
    return row


def get_user(conn: Connection, user_id: uuid.UUID, *, lock: bool = False) -> User:
    return User.from_row(user_row(conn, user_id, lock=lock))


def user_row_by_login(
    conn: Connection, kind: str, value: str, *, lock: bool = False
) -> Row[Any] | None:
    column = t.users.c.email if kind == "email" else t.users.c.phone
    stmt = select(t.users).where(column == value)
    if lock:
        stmt = stmt.with_for_update()
    return conn.execute(stmt).first()


def login_taken(conn: Connection, *, phone: str | None, email: str | None) -> bool:
    conditions = []
    if phone:
        conditions.append(t.users.c.phone == phone)
    if email:
        conditions.append(t.users.c.email == email)
    if not conditions:
        return False
    return conn.execute(select(t.users.c.id).where(or_(*conditions)).limit(1)).first() is not None


def update_user(conn: Connection, user_id: uuid.UUID, **values: Any) -> None:
    conn.execute(
        update(t.users)
        .where(t.users.c.id == user_id)
        .values(**values, version=t.users.c.version + 1)
    )


def add_security_event(
    conn: Connection,
    user_id: uuid.UUID,
    kind: str,
    detail: dict[str, Any],
    source_ip: str | None,
    now: datetime,
) -> None:
    conn.execute(
        insert(t.security_events).values(
            id=uuid.uuid4(),
            user_id=user_id,
            kind=kind,
            detail=detail,
            source_ip=source_ip,
            created_at=now,
        )
    )


def security_events(conn: Connection, user_id: uuid.UUID, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(t.security_events)
        .where(t.security_events.c.user_id == user_id)
        .order_by(t.security_events.c.created_at.desc())
        .limit(limit)
    )
    return [
        {
            "id": str(r.id),
            "kind": r.kind,
            "detail": r.detail,
            "source_ip": r.source_ip,
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]


def unused_recovery_codes(conn: Connection, user_id: uuid.UUID) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(t.recovery_codes)
            .where(
                and_(t.recovery_codes.c.user_id == user_id, t.recovery_codes.c.used_at.is_(None))
            )
        ).scalar_one()
    )

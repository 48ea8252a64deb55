"""Transaction history: payments, top-ups, withdrawals, transfers and refunds in one list.

One UNION ALL over the wallet's own records (each branch index-driven by user),
newest first, with a keyset cursor of (created_at, id).
"""

from __future__ import annotations

import base64
import csv
import io
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, and_, cast, literal, or_, select, union_all

from walletdesk.core.errors import ValidationError
from walletdesk.core.money import Currency, Money
from walletdesk.wallet import tables as t

KINDS = ("payment", "topup", "withdrawal", "transfer_out", "transfer_in", "refund")
MAX_EXPORT = 10_000


def _branches(user_id: uuid.UUID) -> Any:
    p, f, x, r = t.payments, t.fundings, t.p2p_transfers, t.refunds
    merchant_name = (
        select(t.merchants.c.name).where(t.merchants.c.id == p.c.merchant_id).scalar_subquery()
    )
    refund_merchant = (
        select(t.merchants.c.name).where(t.merchants.c.id == r.c.merchant_id).scalar_subquery()
    )
    return union_all(
        select(
            p.c.id.label("id"),
            literal("payment").label("kind"),
            literal("out").label("direction"),
            p.c.amount,
            p.c.currency,
            p.c.status,
            merchant_name.label("counterparty"),
            p.c.failure_code,
            p.c.created_at,
        ).where(p.c.customer_id == user_id),
        select(
            f.c.id,
            f.c.kind,
            cast(literal("in"), String),
            f.c.amount,
            f.c.currency,
            f.c.status,
            literal("bank card"),
            f.c.failure_code,
            f.c.created_at,
        ).where(f.c.user_id == user_id),
        select(
            x.c.id,
            literal("transfer_out"),
            literal("out"),
            x.c.amount,
            x.c.currency,
            literal("succeeded"),
            cast(x.c.receiver_id, String),
            literal(None, String),
            x.c.created_at,
        ).where(x.c.sender_id == user_id),
        select(
            x.c.id,
            literal("transfer_in"),
            literal("in"),
            x.c.amount,
            x.c.currency,
            literal("succeeded"),
            cast(x.c.sender_id, String),
            literal(None, String),
            x.c.created_at,
        ).where(x.c.receiver_id == user_id),
        select(
            r.c.id,
            literal("refund"),
            literal("in"),
            r.c.amount,
            r.c.currency,
            r.c.status,
            refund_merchant,
            r.c.failure_code,
            r.c.created_at,
        ).where(r.c.customer_id == user_id),
    ).subquery()


def encode_cursor(created_at: datetime, item_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{item_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        when, item_id = raw.split("|", 1)
        uuid.UUID(item_id)
        return datetime.fromisoformat(when), item_id
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("cursor is not one this server issued", field="cursor") from None


def query(
    conn: Connection,
    user_id: uuid.UUID,
    *,
    kind: str | None,
    status: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    cursor: str | None,
) -> list[Any]:
    if kind is not None and kind not in KINDS:
        raise ValidationError(f"kind is one of {', '.join(KINDS)}", field="kind")
    rows = _branches(user_id)
    conditions = []
    if kind:
        conditions.append(rows.c.kind == kind)
    if status:
        conditions.append(rows.c.status == status)
    if start:
        conditions.append(rows.c.created_at >= start)
    if end:
        conditions.append(rows.c.created_at < end)
    if cursor:
        when, item_id = decode_cursor(cursor)
        conditions.append(
            or_(
                rows.c.created_at < when,
                and_(rows.c.created_at == when, rows.c.id < uuid.UUID(item_id)),
            )
        )
    stmt = (
        select(rows)
        .where(*conditions)
        .order_by(rows.c.created_at.desc(), rows.c.id.desc())
        .limit(limit)
    )
    return list(conn.execute(stmt))


def item_public(row: Any) -> dict[str, Any]:
    money = Money(row.amount, Currency.of(row.currency))
    return {
        "id": str(row.id),
        "kind": row.kind,
        "direction": row.direction,
        "amount": money.to_decimal_string(),
        "currency": row.currency,
        "status": row.status,
        "counterparty": row.counterparty,
        "failure_code": row.failure_code,
        "created_at": row.created_at.isoformat(),
    }


def page(
    conn: Connection, user_id: uuid.UUID, *, limit: int, cursor: str | None, **filters: Any
) -> dict[str, Any]:
    rows = query(conn, user_id, limit=limit + 1, cursor=cursor, **filters)
    items = [item_public(r) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last.created_at, str(last.id))
    return {"items": items, "next_cursor": next_cursor}


def export_csv(conn: Connection, user_id: uuid.UUID, **filters: Any) -> str:
    rows = query(conn, user_id, limit=MAX_EXPORT, cursor=None, **filters)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "created_at",
            "kind",
            "direction",
            "amount",
            "currency",
            "status",
            "counterparty",
            "failure_code",
            "id",
        ]
    )
    for row in rows:
        item = item_public(row)
        writer.writerow(
            [
                item[k]
                for k in (
                    "created_at",
                    "kind",
                    "direction",
                    "amount",
                    "currency",
                    "status",
                    "counterparty",
                    "failure_code",
                    "id",
                )
            ]
        )
    return out.getvalue()

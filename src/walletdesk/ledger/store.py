"""Reading ledger rows with SQLAlchemy Core. Repositories never commit: the caller's
unit of work does.

The batch path of ``create_transfers`` (the sweep, locks, id lookups and writes)
is in batch_store.py, on the DBAPI driver of dbapi_driver.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, literal, select, union_all

from walletdesk.ledger import tables as t
from walletdesk.ledger.dbapi_driver import chunks
from walletdesk.ledger.model import (
    AccountFlags,
    AccountKind,
    AccountState,
    Entry,
    EntryEvent,
    HoldStatus,
    Transfer,
    TransferFlags,
)


def _account_from_row(row: Any) -> AccountState:
    return AccountState(
        id=row.id,
        currency=row.currency,
        kind=AccountKind(row.kind),
        flags=AccountFlags(row.flags),
        debits_posted=row.debits_posted,
        credits_posted=row.credits_posted,
        debits_pending=row.debits_pending,
        credits_pending=row.credits_pending,
        version=row.version,
        reference=row.reference,
        created_at=row.created_at,
    )


def transfer_from_row(row: Any) -> Transfer:
    return Transfer(
        id=row.id,
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        amount=row.amount,
        currency=row.currency,
        code=row.code,
        reference=row.reference,
        flags=TransferFlags(row.flags),
        pending_id=row.pending_id,
        timeout_seconds=row.timeout_seconds,
        created_at=row.created_at,
        fingerprint=row.fingerprint,
        seq=row.seq,
    )


def entry_from_row(row: Any) -> Entry:
    return Entry(
        account_id=row.account_id,
        transfer_id=row.transfer_id,
        event=EntryEvent(row.event),
        side=row.side,
        posted_delta=row.posted_delta,
        pending_delta=row.pending_delta,
        debits_posted=row.debits_posted,
        credits_posted=row.credits_posted,
        debits_pending=row.debits_pending,
        credits_pending=row.credits_pending,
        created_at=row.created_at,
        seq=row.seq,
    )


# -- reads ----------------------------------------------------------------------


def read_accounts(conn: Connection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, AccountState]:
    found: dict[uuid.UUID, AccountState] = {}
    for chunk in chunks(sorted(set(ids))):
        for row in conn.execute(select(t.accounts).where(t.accounts.c.id.in_(chunk))):
            found[row.id] = _account_from_row(row)
    return found


def has_due_holds(conn: Connection, account_ids: Sequence[uuid.UUID], now: datetime) -> bool:
    stmt = (
        select(literal(1))
        .select_from(t.holds)
        .where(
            t.holds.c.status == HoldStatus.OPEN.value,
            t.holds.c.expires_at <= now,
            (t.holds.c.debit_account_id.in_(account_ids))
            | (t.holds.c.credit_account_id.in_(account_ids)),
        )
        .limit(1)
    )
    return conn.execute(stmt).first() is not None


def account_transfers(
    conn: Connection, account_id: uuid.UUID, limit: int, before_seq: int | None
) -> list[Transfer]:
    """Newest first. Two index range scans merged, so cost follows ``limit``, not history."""
    parts = []
    for column in (t.transfers.c.debit_account_id, t.transfers.c.credit_account_id):
        condition = column == account_id
        if before_seq is not None:
            condition = and_(condition, t.transfers.c.seq < before_seq)
        # Each side is its own limited subquery: SQLite rejects LIMIT inside a bare
        # UNION member, and the limit is what keeps this an index range scan.
        side = (
            select(t.transfers.c.seq)
            .where(condition)
            .order_by(t.transfers.c.seq.desc())
            .limit(limit)
            .subquery()
        )
        parts.append(select(side.c.seq))
    seqs = union_all(*parts).subquery()
    stmt = (
        select(t.transfers)
        .where(t.transfers.c.seq.in_(select(seqs.c.seq)))
        .order_by(t.transfers.c.seq.desc())
        .limit(limit)
    )
    return [transfer_from_row(row) for row in conn.execute(stmt)]


def account_entries(
    conn: Connection, account_id: uuid.UUID, limit: int, before_seq: int | None
) -> list[Entry]:
    condition = t.entries.c.account_id == account_id
    if before_seq is not None:
        condition = and_(condition, t.entries.c.seq < before_seq)
    stmt = select(t.entries).where(condition).order_by(t.entries.c.seq.desc()).limit(limit)
    return [entry_from_row(row) for row in conn.execute(stmt)]


def entry_sums(conn: Connection) -> dict[uuid.UUID, list[int]]:
    """Per account, rebuilt from entries: [debits_posted, credits_posted, debits_pending,
    credits_pending]."""
    stmt = select(
        t.entries.c.account_id,
        t.entries.c.side,
        func.coalesce(func.sum(t.entries.c.posted_delta), 0),
        func.coalesce(func.sum(t.entries.c.pending_delta), 0),
    ).group_by(t.entries.c.account_id, t.entries.c.side)
    sums: dict[uuid.UUID, list[int]] = {}
    for account_id, side, posted, pending in conn.execute(stmt):
        counters = sums.setdefault(account_id, [0, 0, 0, 0])
        if side == "D":
            counters[0] += int(posted)
            counters[2] += int(pending)
        else:
            counters[1] += int(posted)
            counters[3] += int(pending)
    return sums


def open_hold_sums(conn: Connection) -> dict[tuple[uuid.UUID, str], int]:
    """Open hold amounts per (account, side)."""
    sums: dict[tuple[uuid.UUID, str], int] = {}
    for column, side in (
        (t.holds.c.debit_account_id, "D"),
        (t.holds.c.credit_account_id, "C"),
    ):
        stmt = (
            select(column, func.sum(t.holds.c.amount))
            .where(t.holds.c.status == HoldStatus.OPEN.value)
            .group_by(column)
        )
        for account_id, amount in conn.execute(stmt):
            sums[(account_id, side)] = int(amount)
    return sums


def transfers_with_unknown_accounts(conn: Connection, limit: int = 100) -> list[uuid.UUID]:
    """Transfers whose debit or credit account has no row (at most ``limit``), oldest first.

    Nothing the engine writes can be one; this is the check that would see one
    (ADR 0002: no foreign key refuses it).
    """
    debit, credit = t.accounts.alias("debit"), t.accounts.alias("credit")
    # NOT EXISTS, not NOT IN: both databases plan it as an anti-join at any size.
    stmt = (
        select(t.transfers.c.id)
        .where(
            ~exists().where(debit.c.id == t.transfers.c.debit_account_id)
            | ~exists().where(credit.c.id == t.transfers.c.credit_account_id)
        )
        .order_by(t.transfers.c.seq)
        .limit(limit)
    )
    return list(conn.execute(stmt).scalars())


def all_accounts(conn: Connection) -> list[AccountState]:
    return [_account_from_row(row) for row in conn.execute(select(t.accounts))]

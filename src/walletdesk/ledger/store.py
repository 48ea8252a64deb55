"""Reading and writing ledger rows. Repositories never commit: the caller's unit of work does.

Locks are taken in one global order to rule out deadlocks: first the holds a
batch touches (by transfer id), then the accounts (by account id). SQLite has no
row locks; there ``BEGIN IMMEDIATE`` already serialises writers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, literal, select, union_all, update

from walletdesk.core.errors import ConcurrencyError
from walletdesk.ledger import tables as t
from walletdesk.ledger.model import (
    AccountFlags,
    AccountKind,
    AccountState,
    Entry,
    EntryEvent,
    HoldState,
    HoldStatus,
    Transfer,
    TransferFlags,
)
from walletdesk.ledger.posting import FailedId, PostingOutput

# Keeps every statement well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 4000
# An expiry sweep releases at most this many holds per batch so one caller never
# pays for a backlog; the worker's sweep drains the rest.
SWEEP_LIMIT = 1000


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


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


def _hold_from_row(row: Any) -> HoldState:
    return HoldState(
        transfer_id=row.transfer_id,
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        amount=row.amount,
        currency=row.currency,
        expires_at=row.expires_at,
        status=HoldStatus(row.status),
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
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


# -- loading, with locks --------------------------------------------------------


def due_hold_ids(conn: Connection, now: datetime, limit: int = SWEEP_LIMIT) -> list[uuid.UUID]:
    stmt = (
        select(t.holds.c.transfer_id)
        .where(t.holds.c.status == HoldStatus.OPEN.value, t.holds.c.expires_at <= now)
        .order_by(t.holds.c.expires_at)
        .limit(limit)
    )
    return list(conn.scalars(stmt))


def lock_holds(conn: Connection, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, HoldState]:
    ordered = sorted(set(ids))
    found: dict[uuid.UUID, HoldState] = {}
    for chunk in _chunks(ordered):
        stmt = (
            select(t.holds)
            .where(t.holds.c.transfer_id.in_(chunk))
            .order_by(t.holds.c.transfer_id)
            .with_for_update()
        )
        for row in conn.execute(stmt):
            found[row.transfer_id] = _hold_from_row(row)
    return found


def lock_accounts(conn: Connection, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, AccountState]:
    ordered = sorted(set(ids))
    found: dict[uuid.UUID, AccountState] = {}
    for chunk in _chunks(ordered):
        stmt = (
            select(t.accounts)
            .where(t.accounts.c.id.in_(chunk))
            .order_by(t.accounts.c.id)
            .with_for_update()
        )
        for row in conn.execute(stmt):
            found[row.id] = _account_from_row(row)
    return found


def fingerprints_of(conn: Connection, table: Any, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ordered = sorted(set(ids))
    found: dict[uuid.UUID, str] = {}
    for chunk in _chunks(ordered):
        stmt = select(table.c.id, table.c.fingerprint).where(table.c.id.in_(chunk))
        for row in conn.execute(stmt):
            found[row.id] = row.fingerprint
    return found


# -- writing --------------------------------------------------------------------


def write_posting(
    conn: Connection, out: PostingOutput, accounts: dict[uuid.UUID, AccountState]
) -> None:
    """Persist a batch's output with one set-based statement per table."""
    if out.transfers:
        conn.execute(t.transfers.insert(), [_transfer_row(tr) for tr in out.transfers])
    if out.entries:
        conn.execute(t.entries.insert(), [_entry_row(e) for e in out.entries])
    new_hold_ids = {hold.transfer_id for hold in out.new_holds}
    if out.new_holds:
        conn.execute(t.holds.insert(), [_hold_row(h) for h in out.new_holds])
    resolved = [h for h in out.resolved_holds if h.transfer_id not in new_hold_ids]
    if resolved:
        conn.execute(
            update(t.holds)
            .where(t.holds.c.transfer_id == _bind("b_transfer_id"))
            .values(
                status=_bind("b_status"),
                resolved_by=_bind("b_resolved_by"),
                resolved_at=_bind("b_resolved_at"),
            ),
            [
                {
                    "b_transfer_id": h.transfer_id,
                    "b_status": h.status.value,
                    "b_resolved_by": h.resolved_by,
                    "b_resolved_at": h.resolved_at,
                }
                for h in resolved
            ],
        )
    if out.failed_ids:
        conn.execute(t.failed_transfers.insert(), [_failed_row(f) for f in out.failed_ids])
    write_balances(conn, [accounts[i] for i in sorted(out.touched_accounts)])


def write_balances(conn: Connection, changed: Sequence[AccountState]) -> None:
    if not changed:
        return
    result = conn.execute(
        update(t.accounts)
        .where(and_(t.accounts.c.id == _bind("b_id"), t.accounts.c.version == _bind("b_version")))
        .values(
            debits_posted=_bind("b_dp"),
            credits_posted=_bind("b_cp"),
            debits_pending=_bind("b_dpe"),
            credits_pending=_bind("b_cpe"),
            version=t.accounts.c.version + 1,
        ),
        [
            {
                "b_id": a.id,
                "b_version": a.version,
                "b_dp": a.debits_posted,
                "b_cp": a.credits_posted,
                "b_dpe": a.debits_pending,
                "b_cpe": a.credits_pending,
            }
            for a in changed
        ],
    )
    if conn.dialect.supports_sane_multi_rowcount and result.rowcount != len(changed):
        # Someone wrote an account we believed locked: never guess, start over.
        raise ConcurrencyError("an account changed under a held lock")
    for account in changed:
        account.version += 1


def _bind(name: str) -> Any:
    return bindparam(name)


def _transfer_row(tr: Transfer) -> dict[str, Any]:
    return {
        "id": tr.id,
        "debit_account_id": tr.debit_account_id,
        "credit_account_id": tr.credit_account_id,
        "amount": tr.amount,
        "currency": tr.currency,
        "code": tr.code,
        "reference": tr.reference,
        "flags": int(tr.flags),
        "pending_id": tr.pending_id,
        "timeout_seconds": tr.timeout_seconds,
        "fingerprint": tr.fingerprint,
        "created_at": tr.created_at,
    }


def _entry_row(e: Entry) -> dict[str, Any]:
    return {
        "account_id": e.account_id,
        "transfer_id": e.transfer_id,
        "event": e.event.value,
        "side": e.side,
        "posted_delta": e.posted_delta,
        "pending_delta": e.pending_delta,
        "debits_posted": e.debits_posted,
        "credits_posted": e.credits_posted,
        "debits_pending": e.debits_pending,
        "credits_pending": e.credits_pending,
        "created_at": e.created_at,
    }


def _hold_row(h: HoldState) -> dict[str, Any]:
    return {
        "transfer_id": h.transfer_id,
        "debit_account_id": h.debit_account_id,
        "credit_account_id": h.credit_account_id,
        "amount": h.amount,
        "currency": h.currency,
        "expires_at": h.expires_at,
        "status": h.status.value,
        "resolved_by": h.resolved_by,
        "resolved_at": h.resolved_at,
    }


def _failed_row(f: FailedId) -> dict[str, Any]:
    return {
        "id": f.id,
        "result": f.result.value,
        "fingerprint": f.fingerprint,
        "created_at": f.created_at,
    }


# -- reads ----------------------------------------------------------------------


def read_accounts(conn: Connection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, AccountState]:
    found: dict[uuid.UUID, AccountState] = {}
    for chunk in _chunks(sorted(set(ids))):
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


def all_accounts(conn: Connection) -> list[AccountState]:
    return [_account_from_row(row) for row in conn.execute(select(t.accounts))]

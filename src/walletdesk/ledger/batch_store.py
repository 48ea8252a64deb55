"""The batch path: the reads and writes of one ``create_transfers`` call.

:class:`LedgerBatch` does the sweep, the hold and account locks, the id lookups
and the transfer, entry and balance writes, at the driver level (see
dbapi_driver.py). On PostgreSQL the batch's entries are sent while posting still
runs (:meth:`LedgerBatch.entries_streamed`). Repositories never commit: the
caller's unit of work does.

Locks are taken in one global order to rule out deadlocks: first the holds a
batch touches (by transfer id), then the accounts (by account id). SQLite has no
row locks; there ``BEGIN IMMEDIATE`` already serialises writers.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, Table, bindparam, update

from walletdesk.core.errors import ConcurrencyError
from walletdesk.ledger import tables as t
from walletdesk.ledger.dbapi_driver import CHUNK, DbapiDriver, chunks
from walletdesk.ledger.model import AccountFlags, AccountKind, AccountState, HoldState, HoldStatus
from walletdesk.ledger.posting_output import FailedId, PostingOutput

# An expiry sweep releases at most this many holds per batch so one caller never
# pays for a backlog; the worker's sweep drains the rest.
SWEEP_LIMIT = 1000
# The order both databases give uuid columns (PostgreSQL compares the 16 bytes,
# SQLite the 32 hex digits), and UUID's own order, at C speed: UUID.__lt__ is
# Python code, and sorting 16,000 ids with it took longer than locking them.
_ID_ORDER = attrgetter("int")


# -- the batch path -------------------------------------------------------------

# What the batch path reads, after the key (row[0] is the key or its position).
_HOLD_COLUMNS = (
    "debit_account_id, credit_account_id, amount, currency, expires_at,"
    " status, resolved_by, resolved_at"
)
_ACCOUNT_COLUMNS = (
    "currency, kind, flags, reference, debits_posted, credits_posted,"
    " debits_pending, credits_pending, version, created_at"
)
# Column orders of posting_output.TransferRow and posting_output.EntryRow.
_TRANSFER_COLUMNS = (
    "id",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "currency",
    "code",
    "reference",
    "flags",
    "pending_id",
    "timeout_seconds",
    "fingerprint",
    "created_at",
)
_ENTRY_COLUMNS = (
    "account_id",
    "transfer_id",
    "event",
    "side",
    "posted_delta",
    "pending_delta",
    "debits_posted",
    "credits_posted",
    "debits_pending",
    "credits_pending",
    "created_at",
)

_account_kind = functools.cache(AccountKind)
_account_flags = functools.cache(AccountFlags)


class _Keys(dict[Any, Any]):
    """uuid -> the value the driver binds for it, converted once per batch.

    SQLite stores a uuid as 32 hex digits, and a batch names each id several times
    (its lookup, the transfer row, both entries, the balance update): converting
    each time was a dozen Python calls per transfer.
    """

    __slots__ = ("convert",)

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.convert(key)
        return value


class LedgerBatch:
    """The reads and writes of one ``create_transfers`` call, inside the caller's transaction.

    Order of calls: :meth:`due_hold_ids`, :meth:`lock_holds`, :meth:`lock_accounts`,
    :meth:`known_transfers`, then :meth:`write` once with what posting produced.
    """

    def __init__(self, conn: Connection) -> None:
        self.driver = DbapiDriver(conn)
        self.keys = _Keys(self.driver.codec.uuid_in)
        # Entries already sent by entries_streamed().
        self._entries_sent = 0

    def __enter__(self) -> LedgerBatch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.driver.close()

    def due_hold_ids(self, now: datetime, limit: int = SWEEP_LIMIT) -> list[uuid.UUID]:
        driver = self.driver
        m = driver.mark
        rows = driver.fetch(
            "SELECT transfer_id FROM ledger_holds"
            f" WHERE status = {m} AND expires_at <= {m} ORDER BY expires_at LIMIT {m}",
            (HoldStatus.OPEN.value, driver.codec.time_in(now), limit),
        )
        return [driver.codec.uuid_out(row[0]) for row in rows]

    def lock_holds(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, HoldState]:
        ordered = sorted(set(ids), key=_ID_ORDER)
        if not ordered:
            return {}
        uuid_out, time_out = self.driver.codec.uuid_out, self.driver.codec.time_out
        found: dict[uuid.UUID, HoldState] = {}
        for transfer_id, row in self._fetch_by_ids(
            "ledger_holds", "transfer_id", _HOLD_COLUMNS, ordered, lock=True
        ):
            found[transfer_id] = HoldState(
                transfer_id=transfer_id,
                debit_account_id=uuid_out(row[1]),
                credit_account_id=uuid_out(row[2]),
                amount=row[3],
                currency=row[4],
                expires_at=time_out(row[5]),
                status=HoldStatus(row[6]),
                resolved_by=uuid_out(row[7]),
                resolved_at=time_out(row[8]),
            )
        return found

    def lock_accounts(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, AccountState]:
        ordered = sorted(set(ids), key=_ID_ORDER)
        if not ordered:
            return {}
        # Kinds and flags take few values, and enum construction is slow: both cached.
        time_out = self.driver.codec.created_at_out
        found: dict[uuid.UUID, AccountState] = {}
        for account_id, row in self._fetch_by_ids(
            "ledger_accounts", "id", _ACCOUNT_COLUMNS, ordered, lock=True
        ):
            found[account_id] = AccountState(
                id=account_id,
                currency=row[1],
                kind=_account_kind(row[2]),
                flags=_account_flags(row[3]),
                reference=row[4],
                debits_posted=row[5],
                credits_posted=row[6],
                debits_pending=row[7],
                credits_pending=row[8],
                version=row[9],
                created_at=time_out(row[10]),
            )
        return found

    def fingerprints_of(self, table: Table, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        ordered = sorted(set(ids), key=_ID_ORDER)
        if not ordered:
            return {}
        return {
            found_id: row[1]
            for found_id, row in self._fetch_by_ids(table.name, "id", "fingerprint", ordered)
        }

    def known_transfers(
        self, transfer_ids: Iterable[uuid.UUID], request_ids: Iterable[uuid.UUID]
    ) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, str]]:
        """Fingerprints of ``transfer_ids`` already in the ledger, and of ``request_ids``
        that failed before: what idempotency needs, in one statement when it fits."""
        transfers = sorted(set(transfer_ids), key=_ID_ORDER)
        requests = sorted(set(request_ids), key=_ID_ORDER)
        if not transfers and not requests:
            return {}, {}
        driver = self.driver
        if driver.postgres:
            statement = (
                "SELECT id, fingerprint, FALSE FROM ledger_transfers WHERE id = ANY(%b)"
                " UNION ALL"
                " SELECT id, fingerprint, TRUE FROM ledger_failed_transfers WHERE id = ANY(%b)"
            )
            asked = {i: i for i in transfers}
            asked.update((i, i) for i in requests)
            rows = driver.fetch(statement, [transfers, requests])
        elif len(transfers) + len(requests) <= CHUNK:
            keys = self.keys
            asked = {keys[i]: i for i in transfers}
            asked.update((keys[i], i) for i in requests)
            rows = driver.fetch(
                f"SELECT id, fingerprint, 0 FROM ledger_transfers"
                f" WHERE id IN ({', '.join('?' * len(transfers))})"
                " UNION ALL"
                " SELECT id, fingerprint, 1 FROM ledger_failed_transfers"
                f" WHERE id IN ({', '.join('?' * len(requests))})",
                [*(keys[i] for i in transfers), *(keys[i] for i in requests)],
            )
        else:
            return (
                self.fingerprints_of(t.transfers, transfers),
                self.fingerprints_of(t.failed_transfers, requests),
            )
        existing: dict[uuid.UUID, str] = {}
        failed: dict[uuid.UUID, str] = {}
        for found_id, fingerprint, was_failed in rows:
            (failed if was_failed else existing)[asked[found_id]] = fingerprint
        return existing, failed

    @contextmanager
    def entries_streamed(self, out: PostingOutput) -> Iterator[Callable[[], None] | None]:
        """While posting runs, send its entries as they become final (PostgreSQL).

        Yields the ``progress`` callback for :meth:`Posting.apply_batch`, or None
        where there is nothing to gain (SQLite works in this process: it cannot
        insert while Python posts). On PostgreSQL a binary COPY of entries stays
        open for the whole of posting, and each call sends the rows made since the
        last, so the server inserts them while the next requests are posted: its
        share of the batch no longer adds to Python's. :meth:`write` then leaves
        the entries out.
        """
        if not self.driver.postgres:
            yield None
            return
        with self.driver.copy(t.entries, _ENTRY_COLUMNS) as copy:
            rows = out.entries
            write_row = copy.write_row

            def send() -> None:
                # Only final rows are here (see apply_batch), so none is ever taken back.
                for position in range(self._entries_sent, len(rows)):
                    write_row(rows[position])
                self._entries_sent = len(rows)

            yield send
            send()

    def write(self, out: PostingOutput) -> None:
        """Persist a batch's output with one set-based statement per table."""
        driver = self.driver
        if driver.postgres:
            # psycopg binds uuids and aware datetimes as they are (the UTC column's
            # processor only normalises the zone of the same instant): the rows go
            # to COPY exactly as posting built them.
            transfers: list[Any] = out.transfers
            entries: list[Any] = out.entries[self._entries_sent :]
        else:
            key = self.keys
            # Every row of a batch carries the same timestamp: convert it once, not per row.
            at = driver.codec.time_in(out.created_at)
            transfers = [
                (key[i], key[d], key[c], a, cur, code, ref, fl, key[p], to, fp, at)
                for (i, d, c, a, cur, code, ref, fl, p, to, fp, _) in out.transfers
            ]
            entries = [
                (key[acc], key[tr], ev, side, pd, pe, dp, cp, dpe, cpe, at)
                for (acc, tr, ev, side, pd, pe, dp, cp, dpe, cpe, _) in out.entries
            ]
        if transfers:
            driver.insert(t.transfers, _TRANSFER_COLUMNS, transfers)
        if entries:
            driver.insert(t.entries, _ENTRY_COLUMNS, entries)
        conn = driver.conn
        # Holds and failed ids are rare next to plain transfers: Core is fast enough.
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
        self.write_balances(out.changed_accounts())

    def write_balances(self, changed: Sequence[AccountState]) -> None:
        """Store new counters; each row is guarded by the version read under the lock."""
        if not changed:
            return
        driver = self.driver
        if driver.postgres:
            # One statement for the whole batch: the rows travel as six arrays.
            written = driver.execute(
                "UPDATE ledger_accounts AS a SET debits_posted = v.dp, credits_posted = v.cp,"
                " debits_pending = v.dpe, credits_pending = v.cpe, version = a.version + 1"
                " FROM unnest(%b::uuid[], %b::bigint[], %b::bigint[], %b::bigint[],"
                " %b::bigint[], %b::bigint[]) AS v(id, version, dp, cp, dpe, cpe)"
                " WHERE a.id = v.id AND a.version = v.version",
                (
                    [a.id for a in changed],
                    [a.version for a in changed],
                    [a.debits_posted for a in changed],
                    [a.credits_posted for a in changed],
                    [a.debits_pending for a in changed],
                    [a.credits_pending for a in changed],
                ),
            )
        else:
            key = self.keys
            written = driver.execute_many(
                "UPDATE ledger_accounts SET debits_posted = ?, credits_posted = ?,"
                " debits_pending = ?, credits_pending = ?, version = version + 1"
                " WHERE id = ? AND version = ?",
                [
                    (
                        a.debits_posted,
                        a.credits_posted,
                        a.debits_pending,
                        a.credits_pending,
                        key[a.id],
                        a.version,
                    )
                    for a in changed
                ],
            )
        if written != len(changed):
            # Someone wrote an account we believed locked: never guess, start over.
            raise ConcurrencyError("an account changed under a held lock")
        for account in changed:
            account.version += 1

    def _fetch_by_ids(
        self, table: str, key: str, columns: str, ids: Sequence[uuid.UUID], *, lock: bool = False
    ) -> Iterator[tuple[uuid.UUID, Any]]:
        """Rows of ``table`` whose ``key`` is in ``ids``; yields (the id asked for, row).

        ``row[0]`` is the key as the driver returns it; ``columns`` start at ``row[1]``.
        With ``lock`` (PostgreSQL), the rows are locked FOR UPDATE in key order; SQLite
        has no row locks (BEGIN IMMEDIATE already holds the database).
        """
        driver = self.driver
        if driver.postgres:
            # One array in psycopg's binary format (%b): no text quoting per element.
            tail = f" ORDER BY {key} FOR UPDATE" if lock else ""
            statement = f"SELECT {key}, {columns} FROM {table} WHERE {key} = ANY(%b){tail}"
            # psycopg hands back new uuid objects: map them to the caller's own.
            asked = {i: i for i in ids}
            for row in driver.fetch(statement, [ids]):
                yield asked[row[0]], row
            return
        keys = self.keys
        asked = {keys[i]: i for i in ids}
        for batch in chunks(list(asked)):
            statement = (
                f"SELECT {key}, {columns} FROM {table}"
                f" WHERE {key} IN ({', '.join('?' * len(batch))})"
            )
            for row in driver.fetch(statement, list(batch)):
                yield asked[row[0]], row


def fingerprints_of(
    conn: Connection, table: Table, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    with LedgerBatch(conn) as batch:
        return batch.fingerprints_of(table, ids)


def _bind(name: str) -> Any:
    return bindparam(name)


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

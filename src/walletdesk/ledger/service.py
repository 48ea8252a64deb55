"""The ledger's public service: create accounts and transfers, read balances and history.

Every write is one database transaction run through the retrying unit of work.
Batches are all-or-nothing *per item*: each item gets its own result, accepted
items are committed together, and a rejected item changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from walletdesk.core.clock import Clock
from walletdesk.core.cursors import decode_seq_cursor
from walletdesk.core.errors import BatchTooLarge, NotFound, ValidationError
from walletdesk.core.money import SUPPORTED_CURRENCIES
from walletdesk.db.transactions import run_transaction
from walletdesk.ledger import batch_store, store
from walletdesk.ledger import tables as t
from walletdesk.ledger.model import (
    MAX_BATCH,
    MAX_REFERENCE_LENGTH,
    NIL_ID,
    AccountFlags,
    AccountOutcome,
    AccountState,
    CreateAccountResult,
    CreateTransferResult,
    Entry,
    NewAccount,
    NewTransfer,
    Page,
    RecomputeReport,
    Transfer,
    TransferOutcome,
)
from walletdesk.ledger.posting import Posting

# A concurrent writer may insert the same transfer id between our read and our
# insert (PostgreSQL only; SQLite serialises writers). Re-running the unit of work
# then sees the row and answers `exists`.
_UNIQUE_VIOLATION = "23505"
_MAX_DUPLICATE_RETRIES = 3
_MAX_PAGE = 1000

T = TypeVar("T")


class Ledger:
    """Double-entry ledger over one SQLAlchemy engine."""

    def __init__(self, engine: Engine, clock: Clock, *, retries: int = 30) -> None:
        self.engine = engine
        self.clock = clock
        self.retries = retries

    # -- writes -------------------------------------------------------------------

    def create_accounts(self, requests: Sequence[NewAccount]) -> list[AccountOutcome]:
        """Open accounts; an id that exists with the same fields answers ``exists``."""
        _check_batch_size(len(requests))
        return self._run(lambda conn: self._create_accounts(conn, requests))

    def create_transfers(self, requests: Sequence[NewTransfer]) -> list[TransferOutcome]:
        """Apply a batch in one transaction; returns one outcome per request, in order."""
        _check_batch_size(len(requests))
        results = self._run(lambda conn: self.create_transfers_in(conn, requests))
        return [TransferOutcome(r.id, res) for r, res in zip(requests, results, strict=True)]

    def create_transfer(self, request: NewTransfer) -> CreateTransferResult:
        """The batch API with one item."""
        return self.create_transfers([request])[0].result

    def create_transfers_in(
        self, conn: Connection, requests: Sequence[NewTransfer]
    ) -> list[CreateTransferResult]:
        """Apply a batch inside the caller's transaction (for services composing a use case)."""
        now = self.clock.now()
        with batch_store.LedgerBatch(conn) as batch:
            pending_ids = [r.pending_id for r in requests if r.pending_id is not None]
            holds = batch.lock_holds([*pending_ids, *batch.due_hold_ids(now)])
            account_ids: set[uuid.UUID] = set()
            for request in requests:
                if request.debit_account_id is not None:
                    account_ids.add(request.debit_account_id)
                if request.credit_account_id is not None:
                    account_ids.add(request.credit_account_id)
            for hold in holds.values():
                account_ids.add(hold.debit_account_id)
                account_ids.add(hold.credit_account_id)
            accounts = batch.lock_accounts(account_ids)
            request_ids = [r.id for r in requests]
            existing, failed = batch.known_transfers([*request_ids, *pending_ids], request_ids)
            posting = Posting(
                now=now, accounts=accounts, holds=holds, existing=existing, failed=failed
            )
            posting.expire_due_holds()
            with batch.entries_streamed(posting.out) as progress:
                results = posting.apply_batch(requests, progress=progress)
            batch.write(posting.out)
        return results

    def expire_pending(self) -> int:
        """Release every hold whose timeout has passed (the worker calls this)."""

        def work(conn: Connection) -> int:
            now = self.clock.now()
            with batch_store.LedgerBatch(conn) as batch:
                holds = batch.lock_holds(batch.due_hold_ids(now))
                ids = {h.debit_account_id for h in holds.values()}
                ids |= {h.credit_account_id for h in holds.values()}
                accounts = batch.lock_accounts(ids)
                posting = Posting(now=now, accounts=accounts, holds=holds, existing={}, failed={})
                released = posting.expire_due_holds()
                batch.write(posting.out)
            return released

        return self._run(work)

    # -- reads --------------------------------------------------------------------

    def lookup_accounts(self, ids: Sequence[uuid.UUID]) -> list[AccountState]:
        """Accounts with their balances, in the order asked; unknown ids are left out.

        O(1) per account: balances are cached counters on the row. Holds that have
        expired are released first, so they never show in what is returned.
        """
        # The usual case (nothing due) reads on the connection that checked: one
        # checkout and one transaction instead of two.
        with self.engine.connect() as conn:
            due = store.has_due_holds(conn, list(ids), self.clock.now())
            found = {} if due else store.read_accounts(conn, list(ids))
        if due:
            self.expire_pending()
            with self.engine.connect() as conn:
                found = store.read_accounts(conn, list(ids))
        return [found[i] for i in ids if i in found]

    def get_account(self, account_id: uuid.UUID) -> AccountState:
        found = self.lookup_accounts([account_id])
        if not found:
            raise NotFound("account not found", account_id=str(account_id))
        return found[0]

    def lookup_transfers(self, ids: Sequence[uuid.UUID]) -> list[Transfer]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.transfers).where(t.transfers.c.id.in_(list(ids))))
            found = {row.id: store.transfer_from_row(row) for row in rows}
        return [found[i] for i in ids if i in found]

    def account_transfers(
        self, account_id: uuid.UUID, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Transfer]:
        """Transfers touching the account, newest first, cursor-paginated."""
        limit = _page_size(limit)
        with self.engine.connect() as conn:
            items = store.account_transfers(conn, account_id, limit + 1, _decode_cursor(cursor))
        return _page(items, limit)

    def account_history(
        self, account_id: uuid.UUID, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Entry]:
        """Balance history: every entry with the account's counters after it, newest first."""
        limit = _page_size(limit)
        with self.engine.connect() as conn:
            items = store.account_entries(conn, account_id, limit + 1, _decode_cursor(cursor))
        return _page(items, limit)

    def recompute(self) -> RecomputeReport:
        """Rebuild every account's counters from its entries and compare with the cache.

        An account id that has entries but no account row is listed too: with no
        foreign key on entries (ADR 0002), this is where such an orphan shows.
        """
        with self.engine.connect() as conn:
            accounts = store.all_accounts(conn)
            return _recompute(accounts, store.entry_sums(conn))

    def check_invariants(self) -> list[str]:
        """Every ledger invariant at once; returns what is broken (empty = healthy).

        Σ debits = Σ credits per currency, posted and pending; no account breaks its
        flags; cached counters equal the entries; pending counters equal open holds;
        every transfer and entry names accounts that exist (no foreign key does, ADR 0002).
        """
        problems: list[str] = []
        with self.engine.connect() as conn:
            accounts = store.all_accounts(conn)
            holds = store.open_hold_sums(conn)
            orphan_transfers = store.transfers_with_unknown_accounts(conn)
            report = _recompute(accounts, store.entry_sums(conn))
            totals = conn.execute(
                select(
                    t.accounts.c.currency,
                    func.sum(t.accounts.c.debits_posted),
                    func.sum(t.accounts.c.credits_posted),
                    func.sum(t.accounts.c.debits_pending),
                    func.sum(t.accounts.c.credits_pending),
                ).group_by(t.accounts.c.currency)
            ).all()
        for currency, dp, cp, dpe, cpe in totals:
            if int(dp) != int(cp):
                problems.append(f"{currency}: posted debits {dp} != credits {cp}")
            if int(dpe) != int(cpe):
                problems.append(f"{currency}: pending debits {dpe} != credits {cpe}")
        for a in accounts:
            if a.flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS and (
                a.debits_posted + a.debits_pending > a.credits_posted
            ):
                problems.append(f"{a.id}: debits exceed credits")
            if a.flags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS and (
                a.credits_posted + a.credits_pending > a.debits_posted
            ):
                problems.append(f"{a.id}: credits exceed debits")
            if a.debits_pending != holds.get((a.id, "D"), 0):
                problems.append(f"{a.id}: pending debits differ from open holds")
            if a.credits_pending != holds.get((a.id, "C"), 0):
                problems.append(f"{a.id}: pending credits differ from open holds")
        problems.extend(
            f"{i}: transfer names an account that does not exist" for i in orphan_transfers
        )
        known = {a.id for a in accounts}
        problems.extend(
            f"{i}: counters differ from entries"
            if i in known
            else f"{i}: entries for an account that does not exist"
            for i in report.mismatches
        )
        return problems

    # -- internals ----------------------------------------------------------------

    def _create_accounts(
        self, conn: Connection, requests: Sequence[NewAccount]
    ) -> list[AccountOutcome]:
        existing = batch_store.fingerprints_of(conn, t.accounts, [r.id for r in requests])
        now = self.clock.now()
        rows: list[dict[str, Any]] = []
        outcomes: list[AccountOutcome] = []
        for request in requests:
            result = _validate_account(request)
            if result is CreateAccountResult.OK and request.id in existing:
                result = (
                    CreateAccountResult.EXISTS
                    if existing[request.id] == request.fingerprint()
                    else CreateAccountResult.EXISTS_WITH_DIFFERENT_FIELDS
                )
            if result is CreateAccountResult.OK:
                existing[request.id] = request.fingerprint()
                rows.append(
                    {
                        "id": request.id,
                        "currency": request.currency,
                        "kind": request.kind.value,
                        "flags": int(request.flags),
                        "reference": request.reference,
                        "fingerprint": request.fingerprint(),
                        "debits_posted": 0,
                        "credits_posted": 0,
                        "debits_pending": 0,
                        "credits_pending": 0,
                        "version": 0,
                        "created_at": now,
                    }
                )
            outcomes.append(AccountOutcome(request.id, result))
        if rows:
            conn.execute(t.accounts.insert(), rows)
        return outcomes

    def _run(self, work: Callable[[Connection], T]) -> T:
        attempt = 0
        while True:
            try:
                return run_transaction(self.engine, work, retries=self.retries)
            except IntegrityError as exc:
                sqlstate = getattr(exc.orig, "sqlstate", None)
                if sqlstate != _UNIQUE_VIOLATION or attempt >= _MAX_DUPLICATE_RETRIES:
                    raise
                attempt += 1


def _recompute(accounts: list[AccountState], sums: dict[uuid.UUID, list[int]]) -> RecomputeReport:
    mismatches = [a.id for a in accounts if list(a.counters()) != sums.get(a.id, [0, 0, 0, 0])]
    known = {a.id for a in accounts}
    mismatches.extend(sorted(set(sums) - known, key=lambda account_id: account_id.int))
    return RecomputeReport(accounts_checked=len(accounts), mismatches=mismatches)


def _check_batch_size(size: int) -> None:
    if size > MAX_BATCH:
        raise BatchTooLarge(f"at most {MAX_BATCH} items per call, got {size}", limit=MAX_BATCH)


def _validate_account(request: NewAccount) -> CreateAccountResult:
    if request.id == NIL_ID:
        return CreateAccountResult.ID_MUST_NOT_BE_ZERO
    both = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
    if request.flags & both == both:
        return CreateAccountResult.FLAGS_ARE_MUTUALLY_EXCLUSIVE
    if request.currency not in SUPPORTED_CURRENCIES:
        return CreateAccountResult.CURRENCY_NOT_SUPPORTED
    if request.reference is not None and len(request.reference) > MAX_REFERENCE_LENGTH:
        return CreateAccountResult.REFERENCE_TOO_LONG
    return CreateAccountResult.OK


def _page_size(limit: int) -> int:
    if not 1 <= limit <= _MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {_MAX_PAGE}", field="limit")
    return limit


def _decode_cursor(cursor: str | None) -> int | None:
    """Cursors are opaque to callers; inside they are the last sequence number seen."""
    return decode_seq_cursor(cursor)


def _page(items: list[Any], limit: int) -> Page[Any]:
    if len(items) > limit:
        last = items[limit - 1]
        return Page(items=items[:limit], next_cursor=format(last.seq, "x"))
    return Page(items=items, next_cursor=None)

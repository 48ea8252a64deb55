"""The posting rules: apply a batch of transfers to accounts held in memory.

This module is the heart of the ledger and does no I/O. The store loads (and
locks) every account and hold a batch touches, hands them to :class:`Posting`,
and writes back what it produced, all in one database transaction. Because the
rows are locked for the whole transaction, applying the batch sequentially in
memory is exactly as safe as guarded ``UPDATE``s one by one, and lets the store
write the results with a handful of set-based statements.

Linked chains are applied with an undo journal: when any member fails, every
change made by the chain is rolled back in memory before the next item.

Inside, accounts and known ids are keyed by ``UUID.int``: ``UUID.__hash__`` and
``__eq__`` are Python code, and a transfer looked ids up eight times.

What a batch produces (:class:`~.posting_output.PostingOutput`, in posting_output.py)
is kept as plain tuples in the tables' column order, not as
:class:`~walletdesk.ledger.model.Transfer` and :class:`~walletdesk.ledger.model.Entry`
records: a batch of 8,000 transfers makes 24,000 of them, and building frozen
dataclasses cost more than the rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from walletdesk.ledger.model import (
    MAX_AMOUNT,
    MAX_CODE_LENGTH,
    MAX_REFERENCE_LENGTH,
    RESULTS_THAT_DO_NOT_PIN_THE_ID,
    AccountFlags,
    AccountState,
    CreateTransferResult,
    EntryEvent,
    HoldState,
    HoldStatus,
    NewTransfer,
    TransferFlags,
)
from walletdesk.ledger.posting_output import FailedId, PostingOutput

R = CreateTransferResult
# How many requests apply_batch applies between calls to its ``progress``: about
# 64 KB of entry rows, enough for the server to work on while posting goes on.
PROGRESS_EVERY = 256
# Flags are tested as plain ints: IntFlag's operators are Python code that builds a
# new enum member per call, and a batch of 8,000 transfers made ~50,000 such calls.
_LINKED = int(TransferFlags.LINKED)
_PENDING = int(TransferFlags.PENDING)
_POST_PENDING = int(TransferFlags.POST_PENDING)
_VOID_PENDING = int(TransferFlags.VOID_PENDING)
_RESOLVING = _POST_PENDING | _VOID_PENDING
_PHASE_FLAGS = _PENDING | _RESOLVING
_SINGLE_PHASES = frozenset({0, _PENDING, _POST_PENDING, _VOID_PENDING})
_DEBITS_MUST_NOT_EXCEED_CREDITS = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
_CREDITS_MUST_NOT_EXCEED_DEBITS = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)
_POSTED = EntryEvent.POSTED.value
_PENDING_EVENT = EntryEvent.PENDING.value


# What a linked chain's undo needs: how long each output list was when the chain
# began, and which accounts the chain touched first.
_Marks = tuple[int, int, int, int, int]


class Posting:
    """Applies transfers one by one against locked, in-memory state.

    ``accounts`` and ``holds`` must contain every account and hold the batch can
    reference (missing ones are reported as not found). ``existing`` maps ids of
    transfers already in the ledger to their fingerprints; ``failed`` the same for
    ids that failed before. The account and hold objects are updated in place.
    """

    def __init__(
        self,
        *,
        now: datetime,
        accounts: dict[uuid.UUID, AccountState],
        holds: dict[uuid.UUID, HoldState],
        existing: dict[uuid.UUID, str],
        failed: dict[uuid.UUID, str],
    ) -> None:
        self.now = now
        self.holds = holds
        self.out = PostingOutput(created_at=now)
        self._accounts = {account_id.int: account for account_id, account in accounts.items()}
        self._existing = {transfer_id.int: print_ for transfer_id, print_ in existing.items()}
        self._failed = {transfer_id.int: print_ for transfer_id, print_ in failed.items()}
        self._journal: list[tuple[object, tuple[object, ...]]] | None = None
        self._newly_touched: list[int] = []

    # -- expiry -------------------------------------------------------------------

    def expire_due_holds(self) -> int:
        """Release every open hold whose timeout has passed; returns how many."""
        released = 0
        for hold in sorted(self.holds.values(), key=lambda h: h.transfer_id):
            if hold.status is HoldStatus.OPEN and hold.is_expired_at(self.now):
                debit = self._accounts[hold.debit_account_id.int]
                credit = self._accounts[hold.credit_account_id.int]
                self._release(hold, HoldStatus.EXPIRED, None, debit, credit, EntryEvent.EXPIRED)
                released += 1
        return released

    # -- the batch ----------------------------------------------------------------

    def apply_batch(
        self,
        requests: Sequence[NewTransfer],
        *,
        progress: Callable[[], None] | None = None,
        progress_every: int = PROGRESS_EVERY,
    ) -> list[CreateTransferResult]:
        """Apply ``requests`` in order; one result per request.

        ``progress`` is called after every ``progress_every`` requests or so, only
        between chains: the rows already in ``out`` then are final (no undo reaches
        back past a closed chain), so the store may send them while posting goes on.
        """
        results: list[CreateTransferResult] = [R.OK] * len(requests)
        index = 0
        next_progress = progress_every
        while index < len(requests):
            chain_end = index
            while chain_end < len(requests) and int(requests[chain_end].flags) & _LINKED:
                chain_end += 1
            if chain_end == len(requests):
                # The last item still says LINKED: the chain never closes.
                for position in range(index, len(requests)):
                    results[position] = R.LINKED_EVENT_CHAIN_OPEN
                break
            if chain_end == index:
                results[index] = self._apply_one_recording_failure(requests[index])
            else:
                self._apply_chain(requests, index, chain_end, results)
            index = chain_end + 1
            if progress is not None and index >= next_progress:
                progress()
                next_progress = index + progress_every
        return results

    def _apply_chain(
        self,
        requests: Sequence[NewTransfer],
        start: int,
        end: int,
        results: list[CreateTransferResult],
    ) -> None:
        marks = self._mark()
        self._journal = []
        self._newly_touched = []
        try:
            for position in range(start, end + 1):
                result = self._apply_one(requests[position])
                if result is not R.OK and result is not R.EXISTS:  # not `succeeded`
                    self._undo(marks)
                    for other in range(start, end + 1):
                        results[other] = R.LINKED_EVENT_FAILED
                    results[position] = result
                    self._record_failure(requests[position], result)
                    return
                results[position] = result
        finally:
            self._journal = None

    def _apply_one_recording_failure(self, request: NewTransfer) -> CreateTransferResult:
        result = self._apply_one(request)
        # `result.succeeded`, without building its set on every call.
        if result is not R.OK and result is not R.EXISTS:
            self._record_failure(request, result)
        return result

    def _record_failure(self, request: NewTransfer, result: CreateTransferResult) -> None:
        if result in RESULTS_THAT_DO_NOT_PIN_THE_ID:
            return
        fingerprint = request.fingerprint()
        self._failed[request.id.int] = fingerprint
        self.out.failed_ids.append(FailedId(request.id, result, fingerprint, self.now))

    # -- one transfer -------------------------------------------------------------

    def _apply_one(self, request: NewTransfer) -> CreateTransferResult:
        key = request.id.int
        if not key:
            return R.ID_MUST_NOT_BE_ZERO
        fingerprint = request.fingerprint()
        known = self._existing.get(key)
        if known is not None:
            if known == fingerprint:
                return R.EXISTS
            return R.EXISTS_WITH_DIFFERENT_FIELDS
        if key in self._failed:
            return R.ID_ALREADY_FAILED
        problem = _validate_shape(request)
        if problem is not None:
            return problem
        if int(request.flags) & _RESOLVING:
            return self._resolve_pending(request, fingerprint)
        return self._post_new(request, fingerprint)

    def _post_new(self, request: NewTransfer, fingerprint: str) -> CreateTransferResult:
        assert request.debit_account_id is not None
        assert request.credit_account_id is not None
        assert request.amount is not None
        debit = self._accounts.get(request.debit_account_id.int)
        if debit is None:
            return R.DEBIT_ACCOUNT_NOT_FOUND
        credit = self._accounts.get(request.credit_account_id.int)
        if credit is None:
            return R.CREDIT_ACCOUNT_NOT_FOUND
        if debit.currency != credit.currency:
            return R.ACCOUNTS_MUST_HAVE_THE_SAME_CURRENCY
        if request.currency != debit.currency:
            return R.CURRENCY_MISMATCH
        amount = request.amount
        pending = int(request.flags) & _PENDING
        debit_total = debit.debits_posted + debit.debits_pending + amount
        credit_total = credit.credits_posted + credit.credits_pending + amount
        if debit_total > MAX_AMOUNT:
            return R.OVERFLOWS_DEBITS
        if credit_total > MAX_AMOUNT:
            return R.OVERFLOWS_CREDITS
        # Holds count against what can be spent (Blnk #181): pending debits are in.
        if (
            int(debit.flags) & _DEBITS_MUST_NOT_EXCEED_CREDITS
            and debit_total > debit.credits_posted
        ):
            return R.EXCEEDS_CREDITS
        if (
            int(credit.flags) & _CREDITS_MUST_NOT_EXCEED_DEBITS
            and credit_total > credit.debits_posted
        ):
            return R.EXCEEDS_DEBITS

        if self._journal is not None:
            self._remember(debit)
            self._remember(credit)
        if pending:
            debit.debits_pending += amount
            credit.credits_pending += amount
            expires_at = (
                self.now + timedelta(seconds=request.timeout_seconds)
                if request.timeout_seconds
                else None
            )
            hold = HoldState(
                transfer_id=request.id,
                debit_account_id=debit.id,
                credit_account_id=credit.id,
                amount=amount,
                currency=debit.currency,
                expires_at=expires_at,
            )
            self.holds[hold.transfer_id] = hold
            self.out.new_holds.append(hold)
            self._entry(debit, request.id, _PENDING_EVENT, "D", 0, amount)
            self._entry(credit, request.id, _PENDING_EVENT, "C", 0, amount)
        else:
            debit.debits_posted += amount
            credit.credits_posted += amount
            self._entry(debit, request.id, _POSTED, "D", amount, 0)
            self._entry(credit, request.id, _POSTED, "C", amount, 0)
        self._accept(request, debit.id, credit.id, amount, fingerprint)
        return R.OK

    def _resolve_pending(self, request: NewTransfer, fingerprint: str) -> CreateTransferResult:
        assert request.pending_id is not None
        hold = self.holds.get(request.pending_id)
        if hold is None:
            # A transfer that exists but was never a hold is a different mistake.
            if request.pending_id.int in self._existing:
                return R.PENDING_TRANSFER_NOT_PENDING
            return R.PENDING_TRANSFER_NOT_FOUND
        if (
            request.debit_account_id is not None
            and request.debit_account_id != hold.debit_account_id
        ):
            return R.PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT
        if (
            request.credit_account_id is not None
            and request.credit_account_id != hold.credit_account_id
        ):
            return R.PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT
        if request.currency != hold.currency:
            return R.CURRENCY_MISMATCH
        if hold.status is HoldStatus.POSTED:
            return R.PENDING_TRANSFER_ALREADY_POSTED
        if hold.status is HoldStatus.VOIDED:
            return R.PENDING_TRANSFER_ALREADY_VOIDED
        if hold.status is HoldStatus.EXPIRED or hold.is_expired_at(self.now):
            return R.PENDING_TRANSFER_EXPIRED
        posting = bool(int(request.flags) & _POST_PENDING)
        amount = hold.amount if request.amount is None else request.amount
        if amount > hold.amount:
            return R.EXCEEDS_PENDING_TRANSFER_AMOUNT
        if not posting and amount != hold.amount:
            return R.PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT
        debit = self._accounts[hold.debit_account_id.int]
        credit = self._accounts[hold.credit_account_id.int]
        if posting:
            self._release(
                hold, HoldStatus.POSTED, request.id, debit, credit, EntryEvent.POST_PENDING, amount
            )
        else:
            self._release(
                hold, HoldStatus.VOIDED, request.id, debit, credit, EntryEvent.VOID_PENDING
            )
        self._accept(request, debit.id, credit.id, amount, fingerprint)
        return R.OK

    # -- state changes ------------------------------------------------------------

    def _release(
        self,
        hold: HoldState,
        status: HoldStatus,
        resolved_by: uuid.UUID | None,
        debit: AccountState,
        credit: AccountState,
        event: EntryEvent,
        posted_amount: int = 0,
    ) -> None:
        """Take the hold off both accounts and post ``posted_amount`` of it (0 = none)."""
        if self._journal is not None:
            self._remember(debit)
            self._remember(credit)
            self._remember(hold)
        debit.debits_pending -= hold.amount
        credit.credits_pending -= hold.amount
        debit.debits_posted += posted_amount
        credit.credits_posted += posted_amount
        hold.status = status
        hold.resolved_by = resolved_by
        hold.resolved_at = self.now
        self.out.resolved_holds.append(hold)
        entry_id = resolved_by or hold.transfer_id
        self._entry(debit, entry_id, event.value, "D", posted_amount, -hold.amount)
        self._entry(credit, entry_id, event.value, "C", posted_amount, -hold.amount)

    def _accept(
        self,
        request: NewTransfer,
        debit_id: uuid.UUID,
        credit_id: uuid.UUID,
        amount: int,
        fingerprint: str,
    ) -> None:
        self.out.transfers.append(
            (
                request.id,
                debit_id,
                credit_id,
                amount,
                request.currency,
                request.code,
                request.reference,
                int(request.flags),
                request.pending_id,
                request.timeout_seconds,
                fingerprint,
                self.now,
            )
        )
        self._existing[request.id.int] = fingerprint

    def _entry(
        self,
        account: AccountState,
        transfer_id: uuid.UUID,
        event: str,
        side: str,
        posted_delta: int,
        pending_delta: int,
    ) -> None:
        """Record one side of a change, with the account's counters after it."""
        touched = self.out.touched_accounts
        key = account.id.int
        if key not in touched:
            touched[key] = account
            if self._journal is not None:
                self._newly_touched.append(key)
        self.out.entries.append(
            (
                account.id,
                transfer_id,
                event,
                side,
                posted_delta,
                pending_delta,
                account.debits_posted,
                account.credits_posted,
                account.debits_pending,
                account.credits_pending,
                self.now,
            )
        )

    # -- undo journal for linked chains -------------------------------------------

    def _remember(self, obj: AccountState | HoldState) -> None:
        assert self._journal is not None
        if isinstance(obj, AccountState):
            self._journal.append((obj, obj.counters()))
        else:
            self._journal.append((obj, (obj.status, obj.resolved_by, obj.resolved_at)))

    def _mark(self) -> _Marks:
        out = self.out
        return (
            len(out.transfers),
            len(out.entries),
            len(out.new_holds),
            len(out.resolved_holds),
            len(out.failed_ids),
        )

    def _undo(self, marks: _Marks) -> None:
        assert self._journal is not None
        for obj, saved in reversed(self._journal):
            if isinstance(obj, AccountState):
                (
                    obj.debits_posted,
                    obj.credits_posted,
                    obj.debits_pending,
                    obj.credits_pending,
                ) = saved  # type: ignore[assignment]
            elif isinstance(obj, HoldState):
                obj.status, obj.resolved_by, obj.resolved_at = saved  # type: ignore[assignment]
        out = self.out
        for transfer in out.transfers[marks[0] :]:
            del self._existing[transfer[0].int]
        for hold in out.new_holds[marks[2] :]:
            del self.holds[hold.transfer_id]
        del out.transfers[marks[0] :]
        del out.entries[marks[1] :]
        del out.new_holds[marks[2] :]
        del out.resolved_holds[marks[3] :]
        del out.failed_ids[marks[4] :]
        # Only what the chain touched first leaves: an account touched before it
        # still has changes of its own to write.
        for key in self._newly_touched:
            del out.touched_accounts[key]
        self._newly_touched = []
        self._journal.clear()


def _validate_shape(request: NewTransfer) -> CreateTransferResult | None:
    """Checks that need no state: the request is well-formed or it is not."""
    phase = int(request.flags) & _PHASE_FLAGS
    if phase not in _SINGLE_PHASES:
        return R.FLAGS_ARE_MUTUALLY_EXCLUSIVE
    if not request.code or len(request.code) > MAX_CODE_LENGTH:
        return R.CODE_INVALID
    if request.reference is not None and len(request.reference) > MAX_REFERENCE_LENGTH:
        return R.REFERENCE_TOO_LONG
    if request.timeout_seconds < 0:
        return R.TIMEOUT_MUST_NOT_BE_NEGATIVE
    if request.timeout_seconds and phase != _PENDING:
        return R.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER
    # Ids compare by .int (the same equality as UUID's ==, without a Python call).
    resolving = bool(phase & _RESOLVING)
    if resolving:
        if request.pending_id is None or not request.pending_id.int:
            return R.PENDING_ID_MUST_NOT_BE_ZERO
        if request.pending_id.int == request.id.int:
            return R.PENDING_ID_MUST_BE_DIFFERENT
    else:
        if request.pending_id is not None and request.pending_id.int:
            return R.PENDING_ID_MUST_BE_ZERO
        debit, credit = request.debit_account_id, request.credit_account_id
        if debit is None or not debit.int:
            return R.DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO
        if credit is None or not credit.int:
            return R.CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO
        if debit.int == credit.int:
            return R.ACCOUNTS_MUST_BE_DIFFERENT
        if request.amount is None or request.amount == 0:
            return R.AMOUNT_MUST_NOT_BE_ZERO
    if request.amount is not None:
        if request.amount < 0:
            return R.AMOUNT_MUST_NOT_BE_NEGATIVE
        if request.amount > MAX_AMOUNT:
            return R.AMOUNT_TOO_LARGE
        if resolving and request.amount == 0:
            return R.AMOUNT_MUST_NOT_BE_ZERO
    return None

"""Ledger vocabulary: the records, flags and result codes. Pure Python, no I/O."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntFlag, StrEnum
from typing import Generic, TypeVar

# Balances are signed 64-bit in both databases; a counter may never pass this.
MAX_AMOUNT = (1 << 63) - 1
# TigerBeetle's batch size, so clients written for it port over unchanged.
MAX_BATCH = 8190
MAX_CODE_LENGTH = 32
MAX_REFERENCE_LENGTH = 128
NIL_ID = uuid.UUID(int=0)

T = TypeVar("T")


class AccountKind(StrEnum):
    CUSTOMER_WALLET = "customer_wallet"
    MERCHANT = "merchant"
    FUNDING = "funding"
    SETTLEMENT = "settlement"
    FEES = "fees"
    REFUNDS_CLEARING = "refunds_clearing"
    LIMITS = "limits"


class AccountFlags(IntFlag):
    NONE = 0
    # The account can never spend more than it holds (a customer wallet).
    DEBITS_MUST_NOT_EXCEED_CREDITS = 1
    # The account can never receive more than it has paid out (e.g. a credit line).
    CREDITS_MUST_NOT_EXCEED_DEBITS = 2


class TransferFlags(IntFlag):
    NONE = 0
    # This transfer and the next succeed or fail together.
    LINKED = 1
    # Reserve the amount (a hold); post or void it later.
    PENDING = 2
    POST_PENDING = 4
    VOID_PENDING = 8


class HoldStatus(StrEnum):
    OPEN = "open"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


class EntryEvent(StrEnum):
    POSTED = "posted"
    PENDING = "pending"
    POST_PENDING = "post_pending"
    VOID_PENDING = "void_pending"
    EXPIRED = "expired"


class CreateAccountResult(StrEnum):
    OK = "ok"
    EXISTS = "exists"
    EXISTS_WITH_DIFFERENT_FIELDS = "exists_with_different_fields"
    ID_MUST_NOT_BE_ZERO = "id_must_not_be_zero"
    FLAGS_ARE_MUTUALLY_EXCLUSIVE = "flags_are_mutually_exclusive"
    CURRENCY_NOT_SUPPORTED = "currency_not_supported"
    REFERENCE_TOO_LONG = "reference_too_long"


class CreateTransferResult(StrEnum):
    """One value per reason a transfer is refused; ``ok`` and ``exists`` are successes."""

    OK = "ok"
    EXISTS = "exists"
    EXISTS_WITH_DIFFERENT_FIELDS = "exists_with_different_fields"
    ID_ALREADY_FAILED = "id_already_failed"
    ID_MUST_NOT_BE_ZERO = "id_must_not_be_zero"
    LINKED_EVENT_FAILED = "linked_event_failed"
    LINKED_EVENT_CHAIN_OPEN = "linked_event_chain_open"
    FLAGS_ARE_MUTUALLY_EXCLUSIVE = "flags_are_mutually_exclusive"
    CODE_INVALID = "code_invalid"
    REFERENCE_TOO_LONG = "reference_too_long"
    DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO = "debit_account_id_must_not_be_zero"
    CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO = "credit_account_id_must_not_be_zero"
    ACCOUNTS_MUST_BE_DIFFERENT = "accounts_must_be_different"
    AMOUNT_MUST_NOT_BE_ZERO = "amount_must_not_be_zero"
    AMOUNT_MUST_NOT_BE_NEGATIVE = "amount_must_not_be_negative"
    AMOUNT_TOO_LARGE = "amount_too_large"
    PENDING_ID_MUST_BE_ZERO = "pending_id_must_be_zero"
    PENDING_ID_MUST_NOT_BE_ZERO = "pending_id_must_not_be_zero"
    PENDING_ID_MUST_BE_DIFFERENT = "pending_id_must_be_different"
    TIMEOUT_RESERVED_FOR_PENDING_TRANSFER = "timeout_reserved_for_pending_transfer"
    TIMEOUT_MUST_NOT_BE_NEGATIVE = "timeout_must_not_be_negative"
    DEBIT_ACCOUNT_NOT_FOUND = "debit_account_not_found"
    CREDIT_ACCOUNT_NOT_FOUND = "credit_account_not_found"
    ACCOUNTS_MUST_HAVE_THE_SAME_CURRENCY = "accounts_must_have_the_same_currency"
    CURRENCY_MISMATCH = "currency_mismatch"
    PENDING_TRANSFER_NOT_FOUND = "pending_transfer_not_found"
    PENDING_TRANSFER_NOT_PENDING = "pending_transfer_not_pending"
    PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT = "pending_transfer_has_different_debit_account"
    PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT = "pending_transfer_has_different_credit_account"
    PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT = "pending_transfer_has_different_amount"
    EXCEEDS_PENDING_TRANSFER_AMOUNT = "exceeds_pending_transfer_amount"
    PENDING_TRANSFER_ALREADY_POSTED = "pending_transfer_already_posted"
    PENDING_TRANSFER_ALREADY_VOIDED = "pending_transfer_already_voided"
    PENDING_TRANSFER_EXPIRED = "pending_transfer_expired"
    OVERFLOWS_DEBITS = "overflows_debits"
    OVERFLOWS_CREDITS = "overflows_credits"
    EXCEEDS_CREDITS = "exceeds_credits"
    EXCEEDS_DEBITS = "exceeds_debits"

    @property
    def succeeded(self) -> bool:
        return self in {CreateTransferResult.OK, CreateTransferResult.EXISTS}


# Failures that do not pin the id: the caller may send the same id again, because
# nothing about the id itself was judged (it was zero, already taken, or only a
# bystander in a failed chain).
RESULTS_THAT_DO_NOT_PIN_THE_ID = frozenset(
    {
        CreateTransferResult.OK,
        CreateTransferResult.EXISTS,
        CreateTransferResult.EXISTS_WITH_DIFFERENT_FIELDS,
        CreateTransferResult.ID_ALREADY_FAILED,
        CreateTransferResult.ID_MUST_NOT_BE_ZERO,
        CreateTransferResult.LINKED_EVENT_FAILED,
        CreateTransferResult.LINKED_EVENT_CHAIN_OPEN,
    }
)


@dataclass(frozen=True, slots=True)
class NewAccount:
    """A request to open an account. ``id`` is the client's 128-bit idempotency key."""

    id: uuid.UUID
    currency: str
    kind: AccountKind
    flags: AccountFlags = AccountFlags.NONE
    reference: str | None = None

    def fingerprint(self) -> str:
        return _digest(self.id, self.currency, self.kind.value, int(self.flags), self.reference)


@dataclass(frozen=True, slots=True)
class NewTransfer:
    """A request to move ``amount`` minor units from ``debit`` to ``credit``.

    For ``POST_PENDING`` the accounts may be left ``None`` (taken from the pending
    transfer) and ``amount`` ``None`` means "the whole pending amount". For
    ``VOID_PENDING`` ``amount`` must be ``None`` or the pending amount.
    ``timeout_seconds`` applies to ``PENDING`` only; 0 means the hold never expires.
    """

    id: uuid.UUID
    debit_account_id: uuid.UUID | None
    credit_account_id: uuid.UUID | None
    amount: int | None
    currency: str
    code: str
    reference: str | None = None
    flags: TransferFlags = TransferFlags.NONE
    pending_id: uuid.UUID | None = None
    timeout_seconds: int = 0

    def fingerprint(self) -> str:
        """What identifies the request: equal fingerprints mean the same transfer asked twice.

        The same digest as ``_digest(id, debit, credit, amount, currency, code,
        reference, int(flags), pending_id, timeout_seconds)``, which stored rows
        carry; spelled out because it runs once per transfer in every batch (the
        generic version's generator cost a fifth of it). A test pins the two together.
        """
        debit, credit = self.debit_account_id, self.credit_account_id
        amount, reference, pending_id = self.amount, self.reference, self.pending_id
        text = "\x1f".join(
            (
                str(self.id),
                "" if debit is None else str(debit),
                "" if credit is None else str(credit),
                "" if amount is None else str(amount),
                str(self.currency),
                str(self.code),
                "" if reference is None else str(reference),
                str(int(self.flags)),
                "" if pending_id is None else str(pending_id),
                str(self.timeout_seconds),
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(slots=True)
class AccountState:
    """An account with its four balance counters, as held in memory during a batch."""

    id: uuid.UUID
    currency: str
    kind: AccountKind
    flags: AccountFlags
    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    credits_pending: int = 0
    version: int = 0
    reference: str | None = None
    created_at: datetime | None = None

    @property
    def balance(self) -> int:
        """Posted balance from the account's point of view: credits minus debits."""
        return self.credits_posted - self.debits_posted

    @property
    def available(self) -> int:
        """What can still be spent: posted credits less posted *and held* debits."""
        return self.credits_posted - self.debits_posted - self.debits_pending

    def counters(self) -> tuple[int, int, int, int]:
        return (self.debits_posted, self.credits_posted, self.debits_pending, self.credits_pending)


@dataclass(slots=True)
class HoldState:
    """A pending transfer's reservation and what became of it."""

    transfer_id: uuid.UUID
    debit_account_id: uuid.UUID
    credit_account_id: uuid.UUID
    amount: int
    currency: str
    expires_at: datetime | None
    status: HoldStatus = HoldStatus.OPEN
    resolved_by: uuid.UUID | None = None
    resolved_at: datetime | None = None

    def is_expired_at(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True, slots=True)
class Transfer:
    """An accepted transfer. Immutable: corrections are new transfers."""

    id: uuid.UUID
    debit_account_id: uuid.UUID
    credit_account_id: uuid.UUID
    amount: int
    currency: str
    code: str
    reference: str | None
    flags: TransferFlags
    pending_id: uuid.UUID | None
    timeout_seconds: int
    created_at: datetime
    fingerprint: str
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """One side of a balance change, with the account's four counters after it."""

    account_id: uuid.UUID
    transfer_id: uuid.UUID
    event: EntryEvent
    side: str  # "D" or "C"
    posted_delta: int
    pending_delta: int
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int
    created_at: datetime
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class TransferOutcome:
    id: uuid.UUID
    result: CreateTransferResult


@dataclass(frozen=True, slots=True)
class AccountOutcome:
    id: uuid.UUID
    result: CreateAccountResult


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class RecomputeReport:
    """Accounts whose cached counters disagree with their entries (empty = healthy)."""

    accounts_checked: int
    mismatches: list[uuid.UUID] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _digest(*parts: object) -> str:
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]

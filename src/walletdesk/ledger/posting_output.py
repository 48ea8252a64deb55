"""What a batch of postings produces, for the store to persist in one transaction.

Kept as plain tuples in the tables' column order (:data:`TransferRow`,
:data:`EntryRow`), not as :class:`~walletdesk.ledger.model.Transfer` and
:class:`~walletdesk.ledger.model.Entry` records: a batch of 8,000 transfers makes
24,000 of them, and building frozen dataclasses cost more than the rules
(posting.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from walletdesk.ledger.model import AccountState, CreateTransferResult, HoldState

# An accepted transfer, in ``ledger_transfers`` column order: id, debit account,
# credit account, amount, currency, code, reference, flags, pending id,
# timeout_seconds, fingerprint, created_at.
TransferRow = tuple[
    uuid.UUID,
    uuid.UUID,
    uuid.UUID,
    int,
    str,
    str,
    str | None,
    int,
    uuid.UUID | None,
    int,
    str,
    datetime,
]
# One side of a balance change, in ``ledger_entries`` column order: account,
# transfer, event, side ("D"/"C"), posted delta, pending delta, then the account's
# debits_posted, credits_posted, debits_pending, credits_pending after it, created_at.
EntryRow = tuple[uuid.UUID, uuid.UUID, str, str, int, int, int, int, int, int, datetime]


@dataclass(frozen=True, slots=True)
class FailedId:
    id: uuid.UUID
    result: CreateTransferResult
    fingerprint: str
    created_at: datetime


@dataclass
class PostingOutput:
    """What a batch produced; the store persists it in one transaction.

    Every transfer and entry row carries ``created_at``, the batch's one moment.
    ``touched_accounts`` holds every account whose counters changed, keyed by
    ``id.int``: sorted by key, they are in the order the store locked them.
    """

    created_at: datetime
    transfers: list[TransferRow] = field(default_factory=list)
    entries: list[EntryRow] = field(default_factory=list)
    new_holds: list[HoldState] = field(default_factory=list)
    resolved_holds: list[HoldState] = field(default_factory=list)
    failed_ids: list[FailedId] = field(default_factory=list)
    touched_accounts: dict[int, AccountState] = field(default_factory=dict)

    def changed_accounts(self) -> list[AccountState]:
        """The accounts to write back, in account-id order."""
        touched = self.touched_accounts
        return [touched[key] for key in sorted(touched)]

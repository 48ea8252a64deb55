"""The posting rules on their own, without a database.

Two promises the store relies on to write a batch while it is still being posted,
and to skip work per transfer:

* at each ``progress`` call, every row already produced is final: whatever
  follows (a failed chain, an undo) never takes it back or changes it;
* the spelled-out transfer fingerprint is the generic digest stored rows carry.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from walletdesk.ledger.model import (
    AccountFlags,
    AccountKind,
    AccountState,
    NewTransfer,
    TransferFlags,
    _digest,
)
from walletdesk.ledger.posting import Posting

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ACCOUNT_IDS = [uuid.UUID(int=n) for n in range(1, 6)]


def fresh_accounts() -> dict[uuid.UUID, AccountState]:
    """A funding account (no limit) and four wallets of 50 each."""
    accounts = {
        ACCOUNT_IDS[0]: AccountState(
            ACCOUNT_IDS[0], "CNY", AccountKind.FUNDING, AccountFlags.NONE, debits_posted=200
        )
    }
    for account_id in ACCOUNT_IDS[1:]:
        accounts[account_id] = AccountState(
            account_id,
            "CNY",
            AccountKind.CUSTOMER_WALLET,
            AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
            credits_posted=50,
        )
    return accounts


items = st.lists(
    st.tuples(
        st.integers(0, 4),
        st.integers(0, 4),
        st.integers(1, 80),
        st.sampled_from([TransferFlags.NONE, TransferFlags.LINKED, TransferFlags.PENDING]),
    ),
    min_size=1,
    max_size=40,
)


def requests_from(drawn: list[tuple[int, int, int, TransferFlags]]) -> list[NewTransfer]:
    return [
        NewTransfer(
            uuid.UUID(int=1000 + n),
            ACCOUNT_IDS[debit],
            ACCOUNT_IDS[credit],
            amount,
            "CNY",
            "test",
            flags=flags,
        )
        for n, (debit, credit, amount, flags) in enumerate(drawn)
    ]


Seen = list[tuple[list[object], list[object]]]


def post(requests: list[NewTransfer], every: int | None) -> tuple[Posting, list[object], Seen]:
    """Apply ``requests`` to fresh accounts; with ``every``, copy the rows at each progress."""
    posting = Posting(now=NOW, accounts=fresh_accounts(), holds={}, existing={}, failed={})
    seen: Seen = []

    def progress() -> None:
        seen.append((list(posting.out.transfers), list(posting.out.entries)))

    if every is None:
        results = posting.apply_batch(requests)
    else:
        results = posting.apply_batch(requests, progress=progress, progress_every=every)
    return posting, list(results), seen


@settings(max_examples=200, deadline=None)
@given(drawn=items, every=st.integers(1, 5))
def test_rows_seen_at_a_progress_call_are_never_taken_back(
    drawn: list[tuple[int, int, int, TransferFlags]], every: int
) -> None:
    requests = requests_from(drawn)

    posting, _, seen = post(requests, every)

    for transfers, entries in seen:
        assert posting.out.transfers[: len(transfers)] == transfers
        assert posting.out.entries[: len(entries)] == entries


@settings(max_examples=200, deadline=None)
@given(drawn=items, every=st.integers(1, 5))
def test_progress_calls_change_nothing_that_posting_decides(
    drawn: list[tuple[int, int, int, TransferFlags]], every: int
) -> None:
    requests = requests_from(drawn)

    plain, plain_results, _ = post(requests, None)
    watched, watched_results, _ = post(requests, every)

    assert watched_results == plain_results
    assert watched.out.transfers == plain.out.transfers
    assert watched.out.entries == plain.out.entries
    assert [a.counters() for a in watched.out.changed_accounts()] == [
        a.counters() for a in plain.out.changed_accounts()
    ]


def test_the_changed_accounts_come_back_in_account_id_order() -> None:
    requests = requests_from([(4, 1, 5, TransferFlags.NONE), (0, 3, 5, TransferFlags.NONE)])

    posting, _, _ = post(requests, None)

    assert [a.id for a in posting.out.changed_accounts()] == [
        ACCOUNT_IDS[0],
        ACCOUNT_IDS[1],
        ACCOUNT_IDS[3],
        ACCOUNT_IDS[4],
    ]


optional_ids = st.none() | st.uuids()


@settings(max_examples=300, deadline=None)
@given(
    transfer_id=st.uuids(),
    debit=optional_ids,
    credit=optional_ids,
    amount=st.none() | st.integers(-(2**64), 2**64),
    currency=st.text(max_size=4),
    code=st.text(max_size=40),
    reference=st.none() | st.text(max_size=40),
    flags=st.integers(0, 15).map(TransferFlags),
    pending_id=optional_ids,
    timeout=st.integers(-5, 10**6),
)
def test_the_transfer_fingerprint_is_the_generic_digest_of_its_fields(
    transfer_id: uuid.UUID,
    debit: uuid.UUID | None,
    credit: uuid.UUID | None,
    amount: int | None,
    currency: str,
    code: str,
    reference: str | None,
    flags: TransferFlags,
    pending_id: uuid.UUID | None,
    timeout: int,
) -> None:
    request = NewTransfer(
        transfer_id,
        debit,
        credit,
        amount,
        currency,
        code,
        reference=reference,
        flags=flags,
        pending_id=pending_id,
        timeout_seconds=timeout,
    )

    assert request.fingerprint() == _digest(
        transfer_id,
        debit,
        credit,
        amount,
        currency,
        code,
        reference,
        int(flags),
        pending_id,
        timeout,
    )

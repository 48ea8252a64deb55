"""Every result code of create_transfers, on SQLite and PostgreSQL.

Each rejection is checked to change nothing: balances, transfers, entries and
holds are byte-identical before and after.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger_world import make_world, open_account, snapshot, transfer
from walletdesk.core.clock import FakeClock
from walletdesk.core.errors import BatchTooLarge
from walletdesk.ledger.model import (
    MAX_AMOUNT,
    MAX_BATCH,
    NIL_ID,
    AccountFlags,
    AccountKind,
    CreateAccountResult,
    NewAccount,
)
from walletdesk.ledger.model import (
    CreateTransferResult as R,
)
from walletdesk.ledger.model import (
    TransferFlags as F,
)
from walletdesk.ledger.service import Ledger


def assert_rejected_without_effect(ledger: Ledger, request: object, expected: R) -> None:
    before = snapshot(ledger)
    assert ledger.create_transfers([request])[0].result is expected  # type: ignore[list-item]
    assert snapshot(ledger) == before
    assert ledger.check_invariants() == []


def test_a_simple_transfer_moves_money_and_records_both_entries(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=10_000)
    result = ledger.create_transfer(transfer(world.alice, world.bob, 2_500))
    assert result is R.OK
    assert world.available(world.alice) == 7_500
    assert world.available(world.bob) == 2_500
    history = ledger.account_history(world.bob).items
    assert [(e.posted_delta, e.credits_posted) for e in history] == [(2_500, 2_500)]
    assert ledger.check_invariants() == []


def test_exceeds_credits_when_a_wallet_would_go_negative(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=100)
    assert_rejected_without_effect(ledger, transfer(world.alice, world.bob, 101), R.EXCEEDS_CREDITS)


def test_exceeds_debits_for_an_account_that_may_not_receive_more_than_it_paid(
    ledger: Ledger,
) -> None:
    world = make_world(ledger)
    capped = open_account(
        ledger, kind=AccountKind.LIMITS, flags=AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
    )
    assert_rejected_without_effect(ledger, transfer(world.alice, capped, 1), R.EXCEEDS_DEBITS)


def test_a_hold_reduces_what_can_be_spent(ledger: Ledger) -> None:
    """Blnk #181: the balance check must count pending debits."""
    world = make_world(ledger, alice_funds=1_000)
    hold = transfer(world.alice, world.bob, 800, flags=F.PENDING)
    assert ledger.create_transfer(hold) is R.OK
    assert world.available(world.alice) == 200
    assert_rejected_without_effect(ledger, transfer(world.alice, world.bob, 201), R.EXCEEDS_CREDITS)
    assert_rejected_without_effect(
        ledger, transfer(world.alice, world.bob, 201, flags=F.PENDING), R.EXCEEDS_CREDITS
    )


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda w: transfer(w.alice, w.alice, 1), R.ACCOUNTS_MUST_BE_DIFFERENT),
        (lambda w: transfer(w.alice, w.bob, 0), R.AMOUNT_MUST_NOT_BE_ZERO),
        (lambda w: transfer(w.alice, w.bob, -5), R.AMOUNT_MUST_NOT_BE_NEGATIVE),
        (lambda w: transfer(w.alice, w.bob, MAX_AMOUNT + 1), R.AMOUNT_TOO_LARGE),
        (lambda w: transfer(w.alice, w.bob, 1, id=NIL_ID), R.ID_MUST_NOT_BE_ZERO),
        (lambda w: transfer(None, w.bob, 1), R.DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO),
        (lambda w: transfer(w.alice, NIL_ID, 1), R.CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO),
        (lambda w: transfer(w.alice, w.bob, 1, code=""), R.CODE_INVALID),
        (lambda w: transfer(w.alice, w.bob, 1, code="x" * 33), R.CODE_INVALID),
        (
            lambda w: transfer(w.alice, w.bob, 1, flags=F.PENDING | F.POST_PENDING),
            R.FLAGS_ARE_MUTUALLY_EXCLUSIVE,
        ),
        (
            lambda w: transfer(w.alice, w.bob, 1, timeout_seconds=5),
            R.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER,
        ),
        (
            lambda w: transfer(w.alice, w.bob, 1, flags=F.PENDING, timeout_seconds=-1),
            R.TIMEOUT_MUST_NOT_BE_NEGATIVE,
        ),
        (lambda w: transfer(w.alice, w.bob, 1, pending_id=w.bank), R.PENDING_ID_MUST_BE_ZERO),
        (lambda w: transfer(None, None, None, flags=F.POST_PENDING), R.PENDING_ID_MUST_NOT_BE_ZERO),
        (lambda w: transfer(w.alice, w.bob, 1, currency="USD"), R.CURRENCY_MISMATCH),
        (lambda w: transfer(w.alice.__class__(int=7), w.bob, 1), R.DEBIT_ACCOUNT_NOT_FOUND),
        (lambda w: transfer(w.alice, w.bob.__class__(int=7), 1), R.CREDIT_ACCOUNT_NOT_FOUND),
        (
            lambda w: transfer(None, None, None, flags=F.VOID_PENDING, pending_id=w.bank),
            R.PENDING_TRANSFER_NOT_FOUND,
        ),
    ],
)
def test_malformed_or_impossible_transfers_are_refused_and_change_nothing(
    ledger: Ledger, build: object, expected: R
) -> None:
    world = make_world(ledger)
    assert_rejected_without_effect(ledger, build(world), expected)  # type: ignore[operator]


def test_reference_longer_than_128_characters_is_refused(ledger: Ledger) -> None:
    from dataclasses import replace

    world = make_world(ledger)
    request = replace(transfer(world.alice, world.bob, 1), reference="r" * 129)
    assert_rejected_without_effect(ledger, request, R.REFERENCE_TOO_LONG)


def test_pending_id_must_differ_from_the_transfer_id(ledger: Ledger) -> None:
    world = make_world(ledger)
    request = transfer(None, None, None, flags=F.POST_PENDING)
    same = transfer(None, None, None, flags=F.POST_PENDING, pending_id=request.id, id=request.id)
    assert_rejected_without_effect(ledger, same, R.PENDING_ID_MUST_BE_DIFFERENT)
    assert world.available(world.alice) == 10_000


def test_accounts_of_different_currencies_cannot_trade(ledger: Ledger) -> None:
    world = make_world(ledger)
    dollars = open_account(ledger, currency="USD")
    assert_rejected_without_effect(
        ledger, transfer(world.alice, dollars, 1), R.ACCOUNTS_MUST_HAVE_THE_SAME_CURRENCY
    )


def test_overflowing_a_counter_is_refused(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=0)
    assert ledger.create_transfer(transfer(world.bank, world.alice, MAX_AMOUNT)) is R.OK
    assert_rejected_without_effect(ledger, transfer(world.bank, world.bob, 1), R.OVERFLOWS_DEBITS)
    other_bank = open_account(ledger, kind=AccountKind.FUNDING, flags=AccountFlags.NONE)
    assert_rejected_without_effect(
        ledger, transfer(other_bank, world.alice, 1), R.OVERFLOWS_CREDITS
    )


# -- idempotency ------------------------------------------------------------------


def test_the_same_transfer_twice_answers_exists_and_moves_money_once(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=1_000)
    request = transfer(world.alice, world.bob, 300)
    assert ledger.create_transfer(request) is R.OK
    assert_rejected_without_effect(ledger, request, R.EXISTS)
    assert world.available(world.bob) == 300


def test_the_same_id_with_other_fields_is_a_distinct_error(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=1_000)
    request = transfer(world.alice, world.bob, 300)
    assert ledger.create_transfer(request) is R.OK
    changed = transfer(world.alice, world.bob, 301, id=request.id)
    assert_rejected_without_effect(ledger, changed, R.EXISTS_WITH_DIFFERENT_FIELDS)


def test_a_failed_id_stays_failed_even_when_it_could_now_succeed(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=100)
    request = transfer(world.alice, world.bob, 500)
    assert ledger.create_transfer(request) is R.EXCEEDS_CREDITS
    world.fund(world.alice, 1_000)
    assert_rejected_without_effect(ledger, request, R.ID_ALREADY_FAILED)
    retry_with_other_amount = transfer(world.alice, world.bob, 50, id=request.id)
    assert_rejected_without_effect(ledger, retry_with_other_amount, R.ID_ALREADY_FAILED)


def test_an_id_reused_within_one_batch_is_applied_once(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=1_000)
    request = transfer(world.alice, world.bob, 100)
    results = [o.result for o in ledger.create_transfers([request, request])]
    assert results == [R.OK, R.EXISTS]
    assert world.available(world.bob) == 100


# -- two-phase transfers ----------------------------------------------------------


def test_posting_part_of_a_hold_releases_the_rest(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=1_000)
    hold = transfer(world.alice, world.bob, 600, flags=F.PENDING)
    assert ledger.create_transfer(hold) is R.OK
    post = transfer(None, None, 250, flags=F.POST_PENDING, pending_id=hold.id)
    assert ledger.create_transfer(post) is R.OK
    alice = ledger.get_account(world.alice)
    assert (alice.debits_posted, alice.debits_pending, alice.available) == (250, 0, 750)
    assert world.available(world.bob) == 250
    assert ledger.check_invariants() == []


def test_voiding_a_hold_gives_everything_back(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=1_000)
    hold = transfer(world.alice, world.bob, 600, flags=F.PENDING)
    ledger.create_transfer(hold)
    assert (
        ledger.create_transfer(transfer(None, None, None, flags=F.VOID_PENDING, pending_id=hold.id))
        is R.OK
    )
    assert world.available(world.alice) == 1_000
    assert ledger.get_account(world.bob).credits_pending == 0


def test_a_hold_is_resolved_only_once(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=1_000)
    hold = transfer(world.alice, world.bob, 600, flags=F.PENDING)
    ledger.create_transfer(hold)
    ledger.create_transfer(transfer(None, None, None, flags=F.POST_PENDING, pending_id=hold.id))
    for flags, expected in [
        (F.POST_PENDING, R.PENDING_TRANSFER_ALREADY_POSTED),
        (F.VOID_PENDING, R.PENDING_TRANSFER_ALREADY_POSTED),
    ]:
        assert_rejected_without_effect(
            ledger, transfer(None, None, None, flags=flags, pending_id=hold.id), expected
        )
    voided = transfer(world.alice, world.bob, 10, flags=F.PENDING)
    ledger.create_transfer(voided)
    ledger.create_transfer(transfer(None, None, None, flags=F.VOID_PENDING, pending_id=voided.id))
    assert_rejected_without_effect(
        ledger,
        transfer(None, None, 5, flags=F.POST_PENDING, pending_id=voided.id),
        R.PENDING_TRANSFER_ALREADY_VOIDED,
    )


def test_resolving_a_hold_checks_amount_accounts_and_kind(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=1_000)
    hold = transfer(world.alice, world.bob, 600, flags=F.PENDING)
    ledger.create_transfer(hold)
    cases = [
        (
            transfer(None, None, 601, flags=F.POST_PENDING, pending_id=hold.id),
            R.EXCEEDS_PENDING_TRANSFER_AMOUNT,
        ),
        (
            transfer(None, None, 5, flags=F.VOID_PENDING, pending_id=hold.id),
            R.PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT,
        ),
        (
            transfer(world.bob, None, None, flags=F.POST_PENDING, pending_id=hold.id),
            R.PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT,
        ),
        (
            transfer(None, world.alice, None, flags=F.POST_PENDING, pending_id=hold.id),
            R.PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT,
        ),
        (
            transfer(None, None, None, flags=F.POST_PENDING, pending_id=hold.id, currency="USD"),
            R.CURRENCY_MISMATCH,
        ),
        (
            transfer(None, None, 0, flags=F.POST_PENDING, pending_id=hold.id),
            R.AMOUNT_MUST_NOT_BE_ZERO,
        ),
    ]
    for request, expected in cases:
        assert_rejected_without_effect(ledger, request, expected)
    plain = transfer(world.alice, world.bob, 1)
    ledger.create_transfer(plain)
    assert_rejected_without_effect(
        ledger,
        transfer(None, None, None, flags=F.POST_PENDING, pending_id=plain.id),
        R.PENDING_TRANSFER_NOT_PENDING,
    )


def test_an_expired_hold_is_released_and_cannot_be_posted(ledger: Ledger, clock: FakeClock) -> None:
    """TigerBeetle #2118: once expired, the hold never shows in balances again."""
    world = make_world(ledger, alice_funds=1_000)
    hold = transfer(world.alice, world.bob, 600, flags=F.PENDING, timeout_seconds=60)
    ledger.create_transfer(hold)
    assert world.available(world.alice) == 400
    clock.advance(timedelta(seconds=60))
    # A read alone releases it: no write needed first.
    assert world.available(world.alice) == 1_000
    assert ledger.get_account(world.bob).credits_pending == 0
    post = transfer(None, None, None, flags=F.POST_PENDING, pending_id=hold.id)
    assert ledger.create_transfer(post) is R.PENDING_TRANSFER_EXPIRED
    assert [e.event.value for e in ledger.account_history(world.alice).items][:2] == [
        "expired",
        "pending",
    ]
    assert ledger.check_invariants() == []


def test_the_expiry_sweep_releases_every_due_hold(ledger: Ledger, clock: FakeClock) -> None:
    world = make_world(ledger, alice_funds=1_000)
    for seconds in (10, 20, 30):
        ledger.create_transfer(
            transfer(world.alice, world.bob, 100, flags=F.PENDING, timeout_seconds=seconds)
        )
    clock.advance(timedelta(seconds=25))
    assert ledger.expire_pending() == 2
    assert ledger.expire_pending() == 0
    assert ledger.get_account(world.alice).debits_pending == 100


# -- linked chains and batches ----------------------------------------------------


def test_a_linked_chain_fails_as_one(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=1_000)
    fees = open_account(ledger, kind=AccountKind.FEES, flags=AccountFlags.NONE)
    payment = transfer(world.alice, world.bob, 990, flags=F.LINKED)
    fee = transfer(world.alice, fees, 20)
    before = snapshot(ledger)
    results = [o.result for o in ledger.create_transfers([payment, fee])]
    assert results == [R.LINKED_EVENT_FAILED, R.EXCEEDS_CREDITS]
    assert snapshot(ledger) == before
    # The bystander's id is not pinned: it may be sent again on its own.
    retry = transfer(world.alice, world.bob, 990, id=payment.id)
    assert ledger.create_transfer(retry) is R.OK


def test_a_linked_chain_succeeds_as_one(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=1_000)
    fees = open_account(ledger, kind=AccountKind.FEES, flags=AccountFlags.NONE)
    results = ledger.create_transfers(
        [transfer(world.alice, world.bob, 900, flags=F.LINKED), transfer(world.alice, fees, 100)]
    )
    assert [o.result for o in results] == [R.OK, R.OK]
    assert world.available(world.alice) == 0


def test_a_chain_left_open_at_the_end_of_the_batch_fails(ledger: Ledger) -> None:
    world = make_world(ledger)
    before = snapshot(ledger)
    results = ledger.create_transfers(
        [transfer(world.alice, world.bob, 1), transfer(world.alice, world.bob, 2, flags=F.LINKED)]
    )
    assert [o.result for o in results] == [R.OK, R.LINKED_EVENT_CHAIN_OPEN]
    assert world.available(world.bob) == 1
    assert len(snapshot(ledger)["transfers"]) == len(before["transfers"]) + 1


def test_a_failed_chain_undoes_a_hold_it_created_and_resolved(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=500)
    hold = transfer(world.alice, world.bob, 400, flags=F.PENDING | F.LINKED)
    post = transfer(None, None, None, flags=F.POST_PENDING | F.LINKED, pending_id=hold.id)
    too_much = transfer(world.alice, world.bob, 200)
    before = snapshot(ledger)
    results = [o.result for o in ledger.create_transfers([hold, post, too_much])]
    assert results == [R.LINKED_EVENT_FAILED, R.LINKED_EVENT_FAILED, R.EXCEEDS_CREDITS]
    assert snapshot(ledger) == before
    assert ledger.check_invariants() == []


def test_a_batch_of_8000_transfers_lands_in_one_call(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=8_000)
    batch = [transfer(world.alice, world.bob, 1) for _ in range(8_000)]
    results = ledger.create_transfers(batch)
    assert all(o.result is R.OK for o in results)
    assert world.available(world.bob) == 8_000
    assert ledger.check_invariants() == []


def test_a_batch_larger_than_the_limit_is_refused_whole(ledger: Ledger) -> None:
    world = make_world(ledger)
    before = snapshot(ledger)
    with pytest.raises(BatchTooLarge):
        ledger.create_transfers([transfer(world.alice, world.bob, 1)] * (MAX_BATCH + 1))
    assert snapshot(ledger) == before


# -- accounts and reads -----------------------------------------------------------


def test_creating_accounts_is_idempotent_and_validated(ledger: Ledger) -> None:
    account = NewAccount(NIL_ID.__class__(int=42), "CNY", AccountKind.MERCHANT)
    both = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
    outcomes = ledger.create_accounts(
        [
            account,
            account,
            NewAccount(account.id, "USD", AccountKind.MERCHANT),
            NewAccount(NIL_ID, "CNY", AccountKind.MERCHANT),
            NewAccount(NIL_ID.__class__(int=43), "XXX", AccountKind.MERCHANT),
            NewAccount(NIL_ID.__class__(int=44), "CNY", AccountKind.MERCHANT, both),
            NewAccount(NIL_ID.__class__(int=45), "CNY", AccountKind.MERCHANT, reference="r" * 129),
        ]
    )
    assert [o.result for o in outcomes] == [
        CreateAccountResult.OK,
        CreateAccountResult.EXISTS,
        CreateAccountResult.EXISTS_WITH_DIFFERENT_FIELDS,
        CreateAccountResult.ID_MUST_NOT_BE_ZERO,
        CreateAccountResult.CURRENCY_NOT_SUPPORTED,
        CreateAccountResult.FLAGS_ARE_MUTUALLY_EXCLUSIVE,
        CreateAccountResult.REFERENCE_TOO_LONG,
    ]
    assert len(ledger.lookup_accounts([account.id, NIL_ID.__class__(int=43)])) == 1


def test_transfers_of_an_account_page_newest_first(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=1_000)
    sent = [transfer(world.alice, world.bob, n) for n in range(1, 8)]
    ledger.create_transfers(sent)
    ledger.create_transfer(transfer(world.bob, world.alice, 3))
    seen: list[object] = []
    cursor = None
    while True:
        page = ledger.account_transfers(world.bob, limit=3, cursor=cursor)
        seen.extend(tr.id for tr in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 8
    assert seen[1:] == [tr.id for tr in reversed(sent)]


def test_balance_history_records_the_balance_after_each_entry(ledger: Ledger) -> None:
    world = make_world(ledger, alice_funds=1_000)
    ledger.create_transfers([transfer(world.alice, world.bob, n) for n in (100, 200, 300)])
    history = ledger.account_history(world.alice, limit=10).items
    assert [e.credits_posted - e.debits_posted for e in history] == [400, 700, 900, 1_000]


def test_recompute_detects_a_tampered_balance(ledger: Ledger) -> None:
    from sqlalchemy import update

    from walletdesk.ledger import tables as t

    world = make_world(ledger)
    assert ledger.recompute().ok
    with ledger.engine.begin() as conn:
        conn.execute(
            update(t.accounts).where(t.accounts.c.id == world.bob).values(credits_posted=5)
        )
    report = ledger.recompute()
    assert report.mismatches == [world.bob]


def test_bad_cursor_and_page_size_are_refused(ledger: Ledger) -> None:
    from walletdesk.core.errors import ValidationError

    world = make_world(ledger)
    with pytest.raises(ValidationError):
        ledger.account_transfers(world.alice, cursor="not-hex")
    with pytest.raises(ValidationError):
        ledger.account_history(world.alice, limit=0)

"""A Hypothesis state machine drives random create/post/void/expire/batch sequences.

After every step: Σ debits = Σ credits per currency (posted and pending), no
account breaks its flags, cached balances equal the entries, pending counters
equal the open holds, every acknowledged transfer is present, and a rejected
single transfer left every row as it was.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, delete

from ledger_world import snapshot, transfer
from walletdesk.core.clock import FakeClock
from walletdesk.core.ids import new_id
from walletdesk.db.schema import metadata
from walletdesk.ledger.model import (
    AccountFlags,
    AccountKind,
    NewAccount,
    NewTransfer,
)
from walletdesk.ledger.model import (
    CreateTransferResult as R,
)
from walletdesk.ledger.model import (
    TransferFlags as F,
)
from walletdesk.ledger.service import Ledger

ACCOUNTS = 5  # index 0 is the unbounded funding account, the rest are wallets


def empty_database(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))


def test_random_ledger_histories_keep_every_invariant(engine: Engine) -> None:
    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            empty_database(engine)
            self.clock = FakeClock()
            self.ledger = Ledger(engine, self.clock)
            self.accounts: list[uuid.UUID] = []
            self.acknowledged: list[uuid.UUID] = []
            self.holds: list[uuid.UUID] = []
            self.sent: list[NewTransfer] = []

        @initialize()
        def open_accounts(self) -> None:
            requests = [NewAccount(new_id(), "CNY", AccountKind.FUNDING, AccountFlags.NONE)]
            requests += [
                NewAccount(
                    new_id(),
                    "CNY",
                    AccountKind.CUSTOMER_WALLET,
                    AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
                )
                for _ in range(ACCOUNTS - 1)
            ]
            self.ledger.create_accounts(requests)
            self.accounts = [r.id for r in requests]

        def _submit(self, requests: list[NewTransfer]) -> list[R]:
            # Every write first releases holds whose timeout passed. For single transfers
            # do that now, so the snapshot isolates what the transfer itself changes;
            # batches keep exercising the release inside the write.
            before = None
            if len(requests) == 1:
                self.ledger.expire_pending()
                before = snapshot(self.ledger)
            results = [o.result for o in self.ledger.create_transfers(requests)]
            for request, result in zip(requests, results, strict=True):
                self.sent.append(request)
                if result is R.OK:
                    self.acknowledged.append(request.id)
                    if request.flags & F.PENDING:
                        self.holds.append(request.id)
            if before is not None and not results[0].succeeded:
                assert snapshot(self.ledger) == before, results[0]
            if before is not None and results[0] is R.EXISTS:
                assert snapshot(self.ledger) == before
            return results

        @rule(
            debit=st.integers(0, ACCOUNTS - 1),
            credit=st.integers(0, ACCOUNTS - 1),
            amount=st.integers(-5, 5_000),
            pending=st.booleans(),
            timeout=st.sampled_from([0, 0, 30, 120]),
        )
        def create(self, debit: int, credit: int, amount: int, pending: bool, timeout: int) -> None:
            flags = F.PENDING if pending else F.NONE
            self._submit(
                [
                    transfer(
                        self.accounts[debit],
                        self.accounts[credit],
                        amount,
                        flags=flags,
                        timeout_seconds=timeout if pending else 0,
                    )
                ]
            )

        @rule(data=st.data(), partial=st.booleans(), void=st.booleans())
        def resolve(self, data: st.DataObject, partial: bool, void: bool) -> None:
            if not self.holds:
                return
            pending_id = data.draw(st.sampled_from(self.holds))
            amount = None
            if partial and not void:
                amount = data.draw(st.integers(1, 3_000))
            flags = F.VOID_PENDING if void else F.POST_PENDING
            self._submit([transfer(None, None, amount, flags=flags, pending_id=pending_id)])

        @rule(seconds=st.integers(1, 150))
        def time_passes(self, seconds: int) -> None:
            self.clock.advance(timedelta(seconds=seconds))
            if seconds % 2:
                self.ledger.expire_pending()

        @rule(
            items=st.lists(
                st.tuples(
                    st.integers(0, ACCOUNTS - 1),
                    st.integers(0, ACCOUNTS - 1),
                    st.integers(1, 4_000),
                    st.booleans(),
                ),
                min_size=1,
                max_size=12,
            )
        )
        def batch(self, items: list[tuple[int, int, int, bool]]) -> None:
            requests = [
                transfer(
                    self.accounts[d], self.accounts[c], amount, flags=F.LINKED if linked else F.NONE
                )
                for d, c, amount, linked in items
            ]
            self._submit(requests)

        @rule(data=st.data())
        def retry(self, data: st.DataObject) -> None:
            if self.sent:
                self._submit([data.draw(st.sampled_from(self.sent))])

        @invariant()
        def ledger_is_consistent(self) -> None:
            if not self.accounts:
                return
            assert self.ledger.check_invariants() == []
            found = self.ledger.lookup_transfers(self.acknowledged)
            assert [t.id for t in found] == self.acknowledged

    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )

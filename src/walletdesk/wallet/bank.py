"""The bank gateway (card top-ups, payouts and refunds to cards) and its local twin.

The twin behaves like a real acquirer, after Stripe's test cards (API.md):
4242424242424242 succeeds, 4000000000000002 is declined, 4000000000009995 has
insufficient funds, 4000000000000119 never answers in time, 4000000000000259
answers late (it succeeds, but only after the client gave up). Any other valid
number succeeds. Answers are keyed by the caller's idempotency key, so a retry
after a timeout gets the original answer and never moves money twice.

The twin is also the card vault (tokenisation), because in production both are
the PSP's: the twin keeps per-token behaviour in its own tables and never stores
a card number.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from walletdesk.core.clock import Clock
from walletdesk.db.transactions import run_transaction
from walletdesk.identity.cards import CardToken, LocalCardVault, clean_number
from walletdesk.wallet import tables as t


class BankOutcome(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"


class Behaviour(StrEnum):
    SUCCEED = "succeed"
    DECLINE = "decline"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    TIMEOUT = "timeout"
    LATE = "late"


TEST_CARDS = {
    "4000000000000002": Behaviour.DECLINE,
    "4000000000009995": Behaviour.INSUFFICIENT_FUNDS,
    "4000000000000119": Behaviour.TIMEOUT,
    "4000000000000259": Behaviour.LATE,
}


class GatewayTimeout(Exception):
    """The bank did not answer within the client's timeout; the outcome is unknown."""


@dataclass(frozen=True, slots=True)
class BankAnswer:
    outcome: BankOutcome
    reference: str
    raw_code: str | None = None


class BankGateway(Protocol):
    def charge(
        self, *, token: str, amount: int, currency: str, idempotency_key: str
    ) -> BankAnswer: ...

    def payout(
        self, *, token: str, amount: int, currency: str, idempotency_key: str
    ) -> BankAnswer: ...


class LocalBank:
    """A working acquirer twin: card vault plus charges and payouts with stored answers."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._vault = LocalCardVault()

    # -- vault --------------------------------------------------------------------

    def tokenize(self, number: str, expiry_month: int, expiry_year: int) -> CardToken:
        token = self._vault.tokenize(number, expiry_month, expiry_year)
        behaviour = TEST_CARDS.get(clean_number(number), Behaviour.SUCCEED)

        def remember(conn: Connection) -> None:
            exists = conn.execute(
                select(t.bank_twin_cards.c.token).where(t.bank_twin_cards.c.token == token.token)
            ).first()
            if exists is None:
                conn.execute(
                    insert(t.bank_twin_cards).values(
                        token=token.token, behaviour=behaviour.value, last4=token.last4
                    )
                )

        run_transaction(self.engine, remember)
        return token

    # -- gateway ------------------------------------------------------------------

    def charge(self, *, token: str, amount: int, currency: str, idempotency_key: str) -> BankAnswer:
        return self._answer("charge", token, amount, currency, idempotency_key)

    def payout(self, *, token: str, amount: int, currency: str, idempotency_key: str) -> BankAnswer:
        return self._answer("payout", token, amount, currency, idempotency_key)

    def _answer(
        self, operation: str, token: str, amount: int, currency: str, key: str
    ) -> BankAnswer:
        with self.engine.connect() as conn:
            stored = conn.execute(
                select(t.bank_twin_requests).where(t.bank_twin_requests.c.idempotency_key == key)
            ).first()
            card = conn.execute(
                select(t.bank_twin_cards).where(t.bank_twin_cards.c.token == token)
            ).first()
        if stored is not None:
            return _from_stored(stored.outcome, stored.reference)
        behaviour = Behaviour(card.behaviour) if card is not None else Behaviour.DECLINE
        if behaviour is Behaviour.TIMEOUT:
            # The bank never processed it: nothing is stored, every try times out.
            raise GatewayTimeout("the bank did not answer in time")
        outcome = {
            Behaviour.DECLINE: BankOutcome.DECLINED,
            Behaviour.INSUFFICIENT_FUNDS: BankOutcome.INSUFFICIENT_FUNDS,
        }.get(behaviour, BankOutcome.APPROVED)
        if operation == "payout" and outcome is BankOutcome.INSUFFICIENT_FUNDS:
            outcome = BankOutcome.APPROVED  # a payout does not draw on the card's funds
        reference = f"bank_{secrets.token_hex(8)}"

        def store(conn: Connection) -> None:
            conn.execute(
                insert(t.bank_twin_requests).values(
                    idempotency_key=key,
                    operation=operation,
                    token=token,
                    amount=amount,
                    currency=currency,
                    outcome=outcome.value,
                    reference=reference,
                    created_at=self.clock.now(),
                )
            )

        try:
            run_transaction(self.engine, store)
        except IntegrityError:
            # Two identical requests raced: the first stored answer is the answer.
            return self._answer(operation, token, amount, currency, key)
        if behaviour is Behaviour.LATE:
            # Processed, but the answer arrives after the client stopped waiting.
            raise GatewayTimeout("the bank answered too late")
        return BankAnswer(
            outcome, reference, None if outcome is BankOutcome.APPROVED else outcome.value
        )


def _from_stored(outcome: str, reference: str) -> BankAnswer:
    result = BankOutcome(outcome)
    return BankAnswer(result, reference, None if result is BankOutcome.APPROVED else result.value)

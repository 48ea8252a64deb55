"""Large P2P transfers and withdrawals need a step-up token, as large payments do.

A session is what an account takeover (or a "move your money to a safe account" call)
has; from ``settings.sca_threshold_minor`` (CNY 2,000.00) up, money leaves a wallet only
with a fresh, unspent step-up token of the owner's. The token is spent in the
transaction that moves the money and only then: every refusal leaves the money, the
limits, the records and the token as they were. A retry of a request that already went
through answers from it and needs no new token. Top-ups bring money in and need none.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from api_world import Customer, enable_totp, sign_up, verify_contact
from fastapi.testclient import TestClient
from money_world import money_snapshot, verified_to_tier_two
from sqlalchemy import select, update
from test_refunds import CTX, GOOD_CARD, LATE_CARD, World
from wallet_world import add_card, available, ledger_is_balanced, top_up

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import accounts, verification
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.model import Principal, User
from walletdesk.identity.tokens import hash_token
from walletdesk.wallet import funding, p2p
from walletdesk.wallet.funding import FundingRefused

BACKENDS = ["sqlite", "postgres"]
THRESHOLD = 200_000  # the default settings.sca_threshold_minor: CNY 2,000.00
KINDS = ["transfer", "withdrawal"]
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def world(container: Container, clock: FakeClock) -> Iterator[World]:
    assert container.settings.sca_threshold_minor == THRESHOLD
    yield World(container, clock)
    assert container.ledger.check_invariants() == []


@dataclass
class Sender:
    """A customer whose limits allow moving CNY 2,000.00 out in one go (tier II, 2FA on),
    someone to send to, and a card past its cooling-off to withdraw to."""

    world: World
    user: User
    receiver: User
    card: uuid.UUID

    def move(
        self,
        kind: str,
        amount: int,
        key: str,
        token: str | None = None,
        card: uuid.UUID | None = None,
    ) -> dict[str, Any]:
        if kind == "transfer":
            return p2p.do_transfer(
                self.world.c.wallet,
                self.user,
                to=str(self.receiver.id),
                amount=amount,
                currency="CNY",
                note=None,
                idempotency_key=key,
                locale="en",
                verification_token=token,
            )
        return funding.do_fund(
            self.world.c.wallet,
            self.user,
            kind="withdrawal",
            amount=amount,
            currency="CNY",
            card_id=card or self.card,
            idempotency_key=key,
            locale="en",
            verification_token=token,
        )

    def refused(self, kind: str, amount: int, key: str, token: str | None = None) -> FundingRefused:
        with pytest.raises(FundingRefused) as refusal:
            self.move(kind, amount, key, token)
        return refusal.value

    def step_up(self) -> str:
        return self.world.step_up(self.user)


def with_two_factor(world: World, user: User) -> User:
    """``user`` with an authenticator turned on (so tier II may spend CNY 5,000 at once)."""
    me = Principal(user, None)
    secret = verification.do_start_totp(world.c.identity, me).secret
    code = pyotp.TOTP(secret).at(world.clock.now().timestamp())
    verification.do_confirm_totp(world.c.identity, me, code, world.step_up(user), CTX)
    return accounts.get_me(world.c.identity, user.id)


def sender(world: World, topup: str = "5000.00") -> Sender:
    user = with_two_factor(world, verified_to_tier_two(world.c, world.customer(topup)))
    return Sender(world, user, world.customer("0.01"), world.card(user, GOOD_CARD))


def token_state(container: Container, token: str) -> tuple[Any, Any]:
    """(used_at, used_for) of a step-up token."""
    v = identity_tables.verifications.c
    with container.engine.connect() as conn:
        row = conn.execute(
            select(v.used_at, v.used_for).where(v.token_hash == hash_token(token))
        ).one()
    return row.used_at, row.used_for


def unspent(container: Container, token: str) -> bool:
    return token_state(container, token) == (None, None)


def assert_nothing_moved(container: Container, before: dict[str, Any]) -> None:
    """Every balance, hold, ledger transfer, limit counter and record as ``before``.

    A transfer opens the receiver's wallet account (empty) before its checks, as it
    always did: a first refused transfer to someone may leave that, with nothing in it.
    """
    after = money_snapshot(container)
    opened = [row for row in after["accounts"] if row not in before["accounts"]]
    assert all(tuple(row[1:]) == (0, 0, 0, 0) for row in opened), opened
    assert {**after, "accounts": [r for r in after["accounts"] if r not in opened]} == before


# -- service: below, at and above the threshold -----------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_below_the_threshold_no_token_is_needed_and_one_sent_anyway_is_left_unspent(
    world: World, kind: str
) -> None:
    s = sender(world)
    token = s.step_up()

    plain = s.move(kind, THRESHOLD - 1, "below-1")
    with_token = s.move(kind, THRESHOLD - 1, "below-2", token)

    assert (plain["status"], with_token["status"]) == ("succeeded", "succeeded")
    assert world.wallet(s.user) == 500_000 - 2 * (THRESHOLD - 1)
    assert unspent(world.c, token)


@pytest.mark.parametrize("kind", KINDS)
def test_at_the_threshold_without_a_token_is_refused_and_changes_nothing(
    world: World, kind: str
) -> None:
    s = sender(world)
    before = money_snapshot(world.c)

    refusal = s.refused(kind, THRESHOLD, "no-token")

    assert refusal.code == "authentication_required"
    assert refusal.http_status == 403
    assert refusal.failure["category"] == "authentication"
    assert refusal.failure["retryable"] is True
    # Balance, ledger transfers and holds, limit usage, p2p and funding records.
    assert money_snapshot(world.c) == before
    assert world.wallet(s.user) == 500_000


@pytest.mark.parametrize("kind", KINDS)
def test_a_valid_token_moves_the_money_once_and_is_spent_with_it(
    world: World, kind: str, clock: FakeClock
) -> None:
    s = sender(world)
    token = s.step_up()

    moved = s.move(kind, THRESHOLD, "with-token", token)

    assert moved["status"] == "succeeded"
    assert world.wallet(s.user) == 500_000 - THRESHOLD
    if kind == "transfer":
        assert world.wallet(s.receiver) == 1 + THRESHOLD
    assert token_state(world.c, token) == (clock.now(), kind)
    # The same token a second time, for a new request: refused, nothing moves.
    before = money_snapshot(world.c)
    again = s.refused(kind, THRESHOLD, "with-token-again", token)
    assert again.code == "authentication_failed"
    assert again.http_status == 403
    assert money_snapshot(world.c) == before


@pytest.mark.parametrize("kind", KINDS)
def test_above_the_threshold_a_token_of_another_customer_is_refused_and_left_unspent(
    world: World, kind: str
) -> None:
    s = sender(world)
    theirs = world.step_up(s.receiver)
    before = money_snapshot(world.c)

    refusal = s.refused(kind, THRESHOLD + 50_000, "not-mine", theirs)

    assert refusal.code == "authentication_failed"
    assert money_snapshot(world.c) == before
    assert unspent(world.c, theirs)


@pytest.mark.parametrize("kind", KINDS)
def test_an_expired_token_is_refused_and_changes_nothing(
    world: World, kind: str, clock: FakeClock
) -> None:
    s = sender(world)
    token = s.step_up()
    clock.advance(timedelta(seconds=world.c.settings.verification_ttl_seconds))
    before = money_snapshot(world.c)

    refusal = s.refused(kind, THRESHOLD, "expired", token)

    assert refusal.code == "authentication_failed"
    assert money_snapshot(world.c) == before
    assert unspent(world.c, token)


@pytest.mark.parametrize("kind", KINDS)
def test_a_forged_token_is_refused_and_changes_nothing(world: World, kind: str) -> None:
    s = sender(world)
    before = money_snapshot(world.c)

    refusal = s.refused(kind, THRESHOLD, "forged", "wdv_forged")

    assert refusal.code == "authentication_failed"
    assert money_snapshot(world.c) == before


@pytest.mark.parametrize("kind", KINDS)
def test_a_refusal_for_the_balance_leaves_the_token_unspent_for_the_retry(
    world: World, kind: str
) -> None:
    # As for a payment: nothing moved, so the customer tops up and tries again within
    # the token's few minutes without typing the password again.
    s = sender(world, topup="2500.00")
    token = s.step_up()
    before = money_snapshot(world.c)

    refusal = s.refused(kind, 300_000, "too-much", token)

    assert refusal.code == "insufficient_funds"
    assert money_snapshot(world.c) == before
    assert unspent(world.c, token)
    assert s.move(kind, THRESHOLD, "affordable", token)["status"] == "succeeded"
    assert not unspent(world.c, token)
    assert world.wallet(s.user) == 250_000 - THRESHOLD


def test_a_refusal_for_the_cards_cooling_off_leaves_the_token_unspent(world: World) -> None:
    s = sender(world)
    fresh_card = world.card(s.user, GOOD_CARD, settled=False)
    token = s.step_up()
    before = money_snapshot(world.c)

    with pytest.raises(FundingRefused) as refusal:
        s.move("withdrawal", THRESHOLD, "cooling", token, card=fresh_card)

    assert refusal.value.code == "card_cooling_off"
    assert money_snapshot(world.c) == before
    assert unspent(world.c, token)


# -- service: retries with the same key -------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_retry_with_the_same_key_answers_from_the_first_without_a_new_token(
    world: World, kind: str
) -> None:
    s = sender(world)
    token = s.step_up()
    first = s.move(kind, THRESHOLD, "once", token)
    after_first = money_snapshot(world.c)

    without = s.move(kind, THRESHOLD, "once")
    with_spent = s.move(kind, THRESHOLD, "once", token)

    for again in (without, with_spent):
        assert (again["id"], again["status"], again["amount"]) == (
            first["id"],
            "succeeded",
            first["amount"],
        )
    assert money_snapshot(world.c) == after_first
    assert world.wallet(s.user) == 500_000 - THRESHOLD


def test_a_withdrawal_waiting_for_the_bank_is_settled_by_a_retry_without_a_new_token(
    world: World,
) -> None:
    s = sender(world)
    late = world.card(s.user, LATE_CARD)
    token = s.step_up()

    waiting = s.move("withdrawal", THRESHOLD, "late", token, card=late)
    assert waiting["status"] == "processing"
    assert token_state(world.c, token)[1] == "withdrawal"  # spent with the hold
    settled = s.move("withdrawal", THRESHOLD, "late", card=late)

    assert (settled["id"], settled["status"]) == (waiting["id"], "succeeded")
    assert world.wallet(s.user) == 500_000 - THRESHOLD


def test_a_large_top_up_needs_no_token(world: World) -> None:
    s = sender(world)

    topped = funding.do_fund(
        world.c.wallet,
        s.user,
        kind="topup",
        amount=THRESHOLD * 2,
        currency="CNY",
        card_id=s.card,
        idempotency_key="big-top-up",
        locale="en",
    )

    assert topped["status"] == "succeeded"
    assert world.wallet(s.user) == 500_000 + THRESHOLD * 2


# -- HTTP -----------------------------------------------------------------------------------


@dataclass
class Account:
    """A customer over HTTP: tier II with 2FA on, CNY 5,000.00 from a card past its
    cooling-off, and a friend at +8613900139000 (verified) to send to."""

    me: Customer
    card: str

    def send(self, kind: str, amount: str, **headers: str) -> Any:
        if kind == "transfer":
            body: dict[str, str] = {"to": "13900139000", "amount": amount}
            return self.me.post("/api/v1/transfers", json=body, headers=headers)
        body = {"amount": amount, "card_id": self.card}
        return self.me.post("/api/v1/withdrawals", json=body, headers=headers)


@pytest.fixture
def account(client: TestClient, container: Container, clock: FakeClock) -> Iterator[Account]:
    me = sign_up(client)
    friend = sign_up(client, phone="+8613900139000", device="friend")
    verify_contact(friend, container, "phone")
    evidence = {"full_name": "李雷", "id_type": "cn_resident_id", "id_number": "11010519491231002X"}
    assert me.post("/api/v1/me/kyc", json={"tier": "II", **evidence}).json()["tier"] == "II"
    enable_totp(me, clock)
    card = add_card(me)
    with container.engine.begin() as conn:
        conn.execute(
            update(identity_tables.cards)
            .where(identity_tables.cards.c.id == uuid.UUID(card))
            .values(cooling_off_until=clock.now())
        )
    assert top_up(me, "5000.00", card_id=card).status_code == 201
    yield Account(me, card)
    ledger_is_balanced(container)


@pytest.mark.parametrize("kind", KINDS)
def test_over_http_a_large_request_needs_the_verification_header(
    account: Account, container: Container, kind: str
) -> None:
    me = account.me
    before = money_snapshot(container)

    refused = account.send(kind, "2000.00", **ZH)

    assert refused.status_code == 403, refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    assert (body["code"], body["failure"]["code"]) == (
        "authentication_required",
        "authentication_required",
    )
    assert body["detail"] == "这笔金额较大，需要验证您的身份。"
    assert_nothing_moved(container, before)
    assert available(me) == "5000.00"

    done = account.send(kind, "2000.00", **{"X-Verification-Token": me.step_up()})
    assert done.status_code == 201, done.json()
    assert done.json()["status"] == "succeeded"
    assert available(me) == "3000.00"


@pytest.mark.parametrize("kind", KINDS)
def test_over_http_a_spent_token_is_refused_and_a_small_request_needs_none(
    account: Account, container: Container, kind: str
) -> None:
    token = account.me.step_up()
    assert account.send(kind, "2000.00", **{"X-Verification-Token": token}).status_code == 201
    before = money_snapshot(container)

    again = account.send(kind, "2000.00", **{"X-Verification-Token": token})

    assert again.status_code == 403
    assert again.json()["code"] == "authentication_failed"
    assert_nothing_moved(container, before)
    assert account.send(kind, "1999.99").status_code == 201
    assert available(account.me) == "1000.01"


@pytest.mark.parametrize("kind", KINDS)
def test_over_http_a_replayed_key_needs_no_new_token_and_a_refusal_is_retried_with_a_new_key(
    account: Account, container: Container, kind: str
) -> None:
    me = account.me
    send = functools.partial(account.send, kind)
    refused = send("2000.00", **{"Idempotency-Key": "k-1"})
    assert refused.status_code == 403
    token = me.step_up()

    # The refusal is that key's answer (docs/api-additions.md): replayed, token unspent.
    same_key = send("2000.00", **{"Idempotency-Key": "k-1", "X-Verification-Token": token})
    assert (same_key.status_code, same_key.headers["Idempotent-Replayed"]) == (403, "true")
    assert unspent(container, token)

    done = send("2000.00", **{"Idempotency-Key": "k-2", "X-Verification-Token": token})
    assert done.status_code == 201, done.json()
    after = money_snapshot(container)
    replay = send("2000.00", **{"Idempotency-Key": "k-2"})
    assert (replay.status_code, replay.json()) == (201, done.json())
    assert money_snapshot(container) == after
    assert available(me) == "3000.00"

"""Refunds: asking, deciding, routes back to the balance or the card, limits and races.

Set-up goes through the real services (sign-up, a card, a top-up, a merchant, a
paid payment); every rejection asserts that nothing changed; every test ends
with the ledger's invariants intact.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_world import STRONG
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from walletdesk.api.app import create_app
from walletdesk.audit import tables as audit_tables
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.core.errors import NotFound, WalletdeskError
from walletdesk.core.money import Money
from walletdesk.identity import accounts, authentication, changes, verification
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.errors import Forbidden
from walletdesk.identity.model import Principal, RequestContext, User, VerificationMethod
from walletdesk.identity.roles import Role
from walletdesk.identity.staff import console_operator
from walletdesk.ledger import tables as ledger_tables
from walletdesk.ledger.model import NewTransfer
from walletdesk.notify import tables as notify_tables
from walletdesk.notify.texts import TEXTS, Texts
from walletdesk.wallet import funding, payments
from walletdesk.wallet import tables as t
from walletdesk.wallet.accounts import SystemRole, system_account, wallet_account
from walletdesk.wallet.merchants import Merchant, do_create_merchant
from walletdesk.wallet.refund_rules import (
    ERRORS,
    MAX_REFUNDS_PER_PAYMENT,
    EvidenceRequired,
    PaymentNotRefundable,
    RefundCardCoolingOff,
    RefundCardRemoved,
    RefundExceedsPayment,
    RefundLimitReached,
    RefundNotPending,
    RefundNotRetryable,
    RefundWindowClosed,
)
from walletdesk.wallet.refund_views import get_refund, list_refunds_for_payment
from walletdesk.wallet.refunds import (
    do_approve_refund,
    do_reject_refund,
    do_request_refund,
    do_retry_refund,
)

BACKENDS = ["sqlite", "postgres"]

CTX = RequestContext()
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
TIMEOUT_CARD = "4000000000000119"
LATE_CARD = "4000000000000259"
AUTOMATIC = {"window_days": 30, "approval": "automatic", "evidence_required_for": ["damaged"]}
BY_MERCHANT = {"window_days": 30, "approval": "merchant", "evidence_required_for": ["damaged"]}


# The card-route alert texts proposed for notify/texts.py TEXTS["refund_status"]
# (the balance-route ones are there already). Patched in by `card_texts` below.
CARD_REFUND_TEXTS = {
    "approved_card": Texts(
        title={"en": "Refund approved", "zh-CN": "退款已通过"},
        body={
            "en": "Your refund of {currency} {amount} from {merchant} was approved and will "
            "go back to your card ending {last4}.",
            "zh-CN": "您向 {merchant} 申请的 {currency} {amount} 退款已通过，将退回尾号 {last4} 的银行卡。",
        },
    ),
    "processing": Texts(
        title={"en": "Refund on its way to your card", "zh-CN": "退款处理中"},
        body={
            "en": "Your refund of {currency} {amount} from {merchant} is with the bank for your "
            "card ending {last4}. Expect it by {expected_by}; you don't need to do anything.",
            "zh-CN": "{merchant} 的 {currency} {amount} 退款正由银行处理，将退回尾号 {last4} 的银行卡，"
            "预计 {expected_by} 前到账，您无需任何操作。",
        },
    ),
    "completed_card": Texts(
        title={"en": "Refund sent to your card", "zh-CN": "退款已退回银行卡"},
        body={
            "en": "{currency} {amount} from {merchant} has been refunded to your card ending "
            "{last4}. Banks take up to 5 business days to show it: expect it by {expected_by}.",
            "zh-CN": "{merchant} 的 {currency} {amount} 退款已退回尾号 {last4} 的银行卡。"
            "银行入账需 1-5 个工作日，预计 {expected_by} 前到账。",
        },
    ),
    "failed": Texts(
        title={"en": "Refund didn't go through", "zh-CN": "退款未成功"},
        body={
            "en": "Your bank declined the refund of {currency} {amount} from {merchant} to your "
            "card ending {last4}. The money is safe with the merchant: you can have it refunded "
            "to your walletdesk balance instead, or contact walletdesk support from Help in the app.",
            "zh-CN": "您的银行拒绝了 {merchant} 退回尾号 {last4} 银行卡的 {currency} {amount} 退款，"
            "款项仍在商户处，资金安全。您可以改为退回 walletdesk 余额，"
            "或通过 App 内的“帮助”联系 walletdesk 客服。",
        },
    ),
}


def cny(amount: str) -> Money:
    return Money.parse(amount, "CNY")


@dataclass
class World:
    """Builds customers, merchants and paid payments through the real services."""

    c: Container
    clock: FakeClock
    phones: int = 0

    def customer(self, topup: str = "500.00") -> User:
        self.phones += 1
        user = accounts.do_register(
            self.c.identity,
            phone=f"+86138001380{self.phones:02d}",
            email=None,
            password=STRONG,
            display_name=f"Customer {self.phones}",
            locale="en",
            ctx=CTX,
        )
        card_id = self.card(user, GOOD_CARD)
        funding.do_fund(
            self.c.wallet,
            user,
            kind="topup",
            amount=cny(topup).minor,
            currency="CNY",
            card_id=card_id,
            idempotency_key=f"topup-{user.id}",
            locale="en",
        )
        return user

    def step_up(self, user: User) -> str:
        step_up = verification.do_verify(
            self.c.identity,
            Principal(user, None),
            method=VerificationMethod.PASSWORD,
            password=STRONG,
            code=None,
            ctx=CTX,
        )
        return step_up.token

    def remove_card(self, user: User, card_id: uuid.UUID) -> None:
        changes.do_remove_card(
            self.c.identity,
            Principal(user, None),
            card_id=card_id,
            verification_token=self.step_up(user),
            ctx=CTX,
        )

    def card(self, user: User, number: str, *, settled: bool = True) -> uuid.UUID:
        """Add a card; ``settled`` backdates its cooling-off so refunds may use it."""
        me = Principal(user, None)
        token = self.step_up(user)
        card = changes.do_add_card(
            self.c.identity,
            me,
            number=number,
            expiry_month=12,
            expiry_year=2031,
            verification_token=token,
            ctx=CTX,
        )
        card_id = uuid.UUID(card["id"])
        if settled:
            with self.c.engine.begin() as conn:
                conn.execute(
                    update(identity_tables.cards)
                    .where(identity_tables.cards.c.id == card_id)
                    .values(cooling_off_until=self.clock.now())
                )
        return card_id

    def staff(self, role: Role = Role.AGENT) -> User:
        self.phones += 1
        return accounts.do_register(
            self.c.identity,
            phone=None,
            email=f"agent{self.phones}@walletdesk.example",
            password=STRONG,
            display_name="Agent Wang",
            locale="en",
            ctx=CTX,
            role=role,
            actor=console_operator(self.clock.now()),
        )

    def merchant(
        self, policy: dict[str, Any] | None = None, name: str = "Tea House"
    ) -> tuple[Merchant, str]:
        return do_create_merchant(
            self.c.wallet,
            actor=console_operator(self.clock.now()),
            name=name,
            currency="CNY",
            refund_policy=policy or AUTOMATIC,
            webhook_url="https://shop.example/hooks",
            ctx=CTX,
        )

    def paid(self, customer: User, merchant: Merchant, amount: str = "100.00") -> uuid.UUID:
        intent = payments.do_create_intent(
            self.c.wallet,
            merchant,
            amount=cny(amount).minor,
            currency="CNY",
            order_ref=f"order-{uuid.uuid4().hex[:12]}",
            description=None,
            expires_in=None,
        )
        paid = payments.do_pay(self.c.wallet, customer, uuid.UUID(intent["id"]), "en")
        assert paid.payment["status"] == "succeeded", paid.payment
        return uuid.UUID(intent["id"])

    # -- reading what happened --------------------------------------------------------

    def balance(self, account_id: uuid.UUID) -> int:
        return self.c.ledger.get_account(account_id).balance

    def wallet(self, user: User) -> int:
        return self.balance(wallet_account(self.c.wallet, user.id, "CNY"))

    def payment(self, payment_id: uuid.UUID) -> Any:
        with self.c.engine.connect() as conn:
            return conn.execute(select(t.payments).where(t.payments.c.id == payment_id)).one()

    def snapshot(self) -> dict[str, Any]:
        """Everything a refused request must leave exactly as it was."""
        with self.c.engine.connect() as conn:
            return {
                "payments": conn.execute(
                    select(
                        t.payments.c.id, t.payments.c.refunded, t.payments.c.refund_count
                    ).order_by(t.payments.c.seq)
                ).all(),
                "refunds": conn.execute(
                    select(
                        t.refunds.c.id,
                        t.refunds.c.status,
                        t.refunds.c.amount,
                        t.refunds.c.failure_code,
                        t.refunds.c.history,
                    ).order_by(t.refunds.c.seq)
                ).all(),
                "ledger": conn.execute(
                    select(
                        ledger_tables.accounts.c.id,
                        ledger_tables.accounts.c.debits_posted,
                        ledger_tables.accounts.c.credits_posted,
                        ledger_tables.accounts.c.debits_pending,
                        ledger_tables.accounts.c.credits_pending,
                    ).order_by(ledger_tables.accounts.c.id)
                ).all(),
                "transfers": conn.execute(
                    select(func.count()).select_from(ledger_tables.transfers)
                ).scalar_one(),
                "alerts": conn.execute(
                    select(func.count()).select_from(notify_tables.outbox)
                ).scalar_one(),
                "webhooks": conn.execute(
                    select(func.count()).select_from(t.webhook_deliveries)
                ).scalar_one(),
            }

    def refund_alerts(self, user: User) -> list[str]:
        with self.c.engine.connect() as conn:
            rows = conn.execute(
                select(notify_tables.outbox.c.payload)
                .where(
                    notify_tables.outbox.c.user_id == user.id,
                    notify_tables.outbox.c.kind == "refund_status",
                )
                .order_by(notify_tables.outbox.c.seq)
            ).all()
        return [r.payload["status"] for r in rows]

    def webhook_events(self, merchant: Merchant) -> list[str]:
        with self.c.engine.connect() as conn:
            rows = conn.execute(
                select(t.webhook_deliveries.c.event)
                .where(t.webhook_deliveries.c.merchant_id == merchant.id)
                .order_by(t.webhook_deliveries.c.seq)
            ).all()
        return [r.event for r in rows if r.event.startswith("refund.")]


@pytest.fixture
def card_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    for variant, texts in CARD_REFUND_TEXTS.items():
        monkeypatch.setitem(TEXTS["refund_status"], variant, texts)  # type: ignore[index]


@pytest.fixture
def world(container: Container, clock: FakeClock) -> Iterator[World]:
    yield World(container, clock)
    assert container.ledger.check_invariants() == []


def ask(world: World, actor: User | None, payment_id: uuid.UUID, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("reason", "not_received")
    merchant = kwargs.pop("merchant", None)
    return do_request_refund(world.c.wallet, actor, merchant, payment_id, **kwargs)


def refused(world: World, error: type[WalletdeskError], action: Any) -> WalletdeskError:
    """Run ``action``, expect ``error``, and check that nothing at all changed."""
    before = world.snapshot()
    with pytest.raises(error) as caught:
        action()
    assert world.snapshot() == before
    return caught.value


# -- to the balance --------------------------------------------------------------------


def test_an_automatic_policy_refunds_to_the_balance_at_once(world: World) -> None:
    customer = world.customer()
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")
    wallet_before, shop_before = world.wallet(customer), world.balance(shop.account_id)

    refund = ask(world, customer, payment_id, amount=cny("30.00"), note="never arrived")

    assert refund["status"] == "succeeded"
    assert (refund["amount"], refund["currency"], refund["route"]) == ("30.00", "CNY", "balance")
    assert refund["expected_by"] == world.clock.now().isoformat()
    assert [(h["status"], h["by"]) for h in refund["history"]] == [
        ("requested", "customer"),
        ("approved", "policy"),
        ("succeeded", "policy"),
    ]
    assert world.wallet(customer) == wallet_before + 3000
    assert world.balance(shop.account_id) == shop_before - 3000
    payment = world.payment(payment_id)
    assert (payment.refunded, payment.refund_count) == (3000, 1)
    assert world.refund_alerts(customer) == ["completed"]
    assert world.webhook_events(shop) == ["refund.created", "refund.succeeded"]


def test_leaving_out_the_amount_refunds_everything_that_is_left(world: World) -> None:
    customer = world.customer()
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")
    ask(world, customer, payment_id, amount=cny("40.00"))

    rest = ask(world, customer, payment_id)

    assert rest["amount"] == "60.00"
    assert world.payment(payment_id).refunded == 10000
    refused(world, RefundExceedsPayment, lambda: ask(world, customer, payment_id))


def test_the_merchant_approves_a_requested_refund_and_the_money_moves_then(
    world: World,
) -> None:
    customer = world.customer()
    shop, _ = world.merchant(BY_MERCHANT)
    payment_id = world.paid(customer, shop, "100.00")
    wallet_before = world.wallet(customer)

    refund = ask(world, customer, payment_id, amount=cny("25.00"))

    assert refund["status"] == "requested"
    assert refund["expected_by"] is None
    assert world.wallet(customer) == wallet_before
    assert world.payment(payment_id).refunded == 2500  # reserved while it waits
    assert world.refund_alerts(customer) == ["requested"]
    assert world.webhook_events(shop) == ["refund.created"]

    approved = do_approve_refund(
        world.c.wallet, None, shop, uuid.UUID(refund["id"]), note="sorry about that"
    )

    assert approved["status"] == "succeeded"
    assert approved["decision"] == {
        "status": "approved",
        "by": "merchant",
        "note": "sorry about that",
    }
    assert world.wallet(customer) == wallet_before + 2500
    assert world.refund_alerts(customer) == ["requested", "completed"]
    assert world.webhook_events(shop) == ["refund.created", "refund.succeeded"]
    refused(
        world,
        RefundNotPending,
        lambda: do_approve_refund(world.c.wallet, None, shop, uuid.UUID(refund["id"])),
    )
    refused(
        world,
        RefundNotPending,
        lambda: do_reject_refund(world.c.wallet, None, shop, uuid.UUID(refund["id"])),
    )


def test_a_rejected_refund_gives_its_reservation_back_and_moves_no_money(world: World) -> None:
    customer = world.customer()
    shop, _ = world.merchant(BY_MERCHANT)
    payment_id = world.paid(customer, shop, "100.00")
    refund = ask(world, customer, payment_id, amount=cny("100.00"))
    balances = world.snapshot()["ledger"]

    rejected = do_reject_refund(
        world.c.wallet, None, shop, uuid.UUID(refund["id"]), note="item was used"
    )

    assert rejected["status"] == "rejected"
    assert rejected["decision"] == {"status": "rejected", "by": "merchant", "note": "item was used"}
    assert world.snapshot()["ledger"] == balances
    payment = world.payment(payment_id)
    assert (payment.refunded, payment.refund_count) == (0, 0)
    assert world.refund_alerts(customer) == ["requested", "rejected"]
    assert world.webhook_events(shop) == ["refund.created", "refund.updated"]
    refused(
        world,
        RefundNotPending,
        lambda: do_reject_refund(world.c.wallet, None, shop, uuid.UUID(refund["id"])),
    )
    # The whole amount can be asked for again.
    assert ask(world, customer, payment_id)["amount"] == "100.00"


def test_only_the_merchant_or_an_agent_decides_and_strangers_see_nothing(world: World) -> None:
    customer, stranger = world.customer(), world.customer()
    shop, _ = world.merchant(BY_MERCHANT)
    other_shop, _ = world.merchant(BY_MERCHANT, name="Other Shop")
    payment_id = world.paid(customer, shop)
    refund_id = uuid.UUID(ask(world, customer, payment_id, amount=cny("10.00"))["id"])
    wallet = world.c.wallet

    refused(world, Forbidden, lambda: do_approve_refund(wallet, customer, None, refund_id))
    refused(world, NotFound, lambda: do_approve_refund(wallet, stranger, None, refund_id))
    refused(world, NotFound, lambda: do_reject_refund(wallet, None, other_shop, refund_id))
    refused(world, NotFound, lambda: ask(world, stranger, payment_id))
    refused(world, NotFound, lambda: ask(world, None, payment_id, merchant=other_shop))
    with pytest.raises(NotFound):
        get_refund(wallet, refund_id, actor=stranger, merchant=None)
    with pytest.raises(NotFound):
        list_refunds_for_payment(wallet, payment_id, actor=None, merchant=other_shop)

    agent = world.staff()
    assert get_refund(wallet, refund_id, actor=agent, merchant=None)["status"] == "requested"
    approved = do_approve_refund(wallet, agent, None, refund_id, note="checked the parcel")
    assert approved["status"] == "succeeded"
    assert approved["decision"]["by"] == "agent"
    with world.c.engine.connect() as conn:
        actions = conn.execute(select(audit_tables.audit_log.c.action)).scalars().all()
    assert "agent.refund.approved" in actions
    mine = list_refunds_for_payment(wallet, payment_id, actor=customer, merchant=None)
    assert [item["id"] for item in mine["items"]] == [str(refund_id)]


def test_a_payment_that_did_not_succeed_cannot_be_refunded(world: World) -> None:
    customer = world.customer()
    shop, _ = world.merchant(AUTOMATIC)
    intent = payments.do_create_intent(
        world.c.wallet,
        shop,
        amount=1000,
        currency="CNY",
        order_ref="unpaid",
        description=None,
        expires_in=None,
    )

    error = refused(
        world,
        PaymentNotRefundable,
        lambda: ask(world, None, uuid.UUID(intent["id"]), merchant=shop),
    )
    assert error.params == {"status": "requires_confirmation"}
    # Nobody has paid it, so no customer is its payer.
    refused(world, NotFound, lambda: ask(world, customer, uuid.UUID(intent["id"])))


# -- how much and how often -------------------------------------------------------------


def test_partial_refunds_add_up_to_the_paid_amount_and_no_further(world: World) -> None:
    customer = world.customer()
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")
    ask(world, customer, payment_id, amount=cny("60.00"))
    ask(world, customer, payment_id, amount=cny("39.99"))

    error = refused(
        world,
        RefundExceedsPayment,
        lambda: ask(world, customer, payment_id, amount=cny("0.02")),
    )

    assert error.params == {"remaining": "0.01", "currency": "CNY"}
    ask(world, customer, payment_id, amount=cny("0.01"))
    payment = world.payment(payment_id)
    assert (payment.refunded, payment.refund_count) == (10000, 3)


def test_asking_for_more_than_was_paid_changes_nothing(world: World) -> None:
    customer = world.customer()
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")

    refused(
        world,
        RefundExceedsPayment,
        lambda: ask(world, customer, payment_id, amount=cny("100.01")),
    )
    with pytest.raises(WalletdeskError) as wrong_currency:
        ask(world, customer, payment_id, amount=Money.parse("1.00", "USD"))
    assert wrong_currency.value.code == "currency_mismatch"
    with pytest.raises(WalletdeskError) as zero:
        ask(world, customer, payment_id, amount=cny("0.00"))
    assert zero.value.code == "validation_error"


def test_the_fifty_first_refund_of_a_payment_is_refused(world: World) -> None:
    customer = world.customer()
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "10.00")
    for _ in range(MAX_REFUNDS_PER_PAYMENT):
        ask(world, customer, payment_id, amount=cny("0.10"))

    error = refused(
        world,
        RefundLimitReached,
        lambda: ask(world, customer, payment_id, amount=cny("0.10")),
    )

    assert error.params == {"limit": 50}
    payment = world.payment(payment_id)
    assert (payment.refunded, payment.refund_count) == (500, 50)


# -- policy: window and evidence --------------------------------------------------------


def test_after_the_window_only_the_merchant_or_an_agent_with_a_reason_can_refund(
    world: World,
) -> None:
    customer = world.customer()
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")
    agent = world.staff()
    world.clock.advance(timedelta(days=31))

    error = refused(
        world,
        RefundWindowClosed,
        lambda: ask(world, customer, payment_id, amount=cny("10.00")),
    )
    assert error.params == {"window_days": 30}
    refused(world, RefundWindowClosed, lambda: ask(world, agent, payment_id))
    refused(
        world,
        Forbidden,
        lambda: ask(world, customer, payment_id, agent_override_reason="please"),
    )
    by_shop = ask(world, None, payment_id, merchant=shop, amount=cny("10.00"))
    assert by_shop["status"] == "succeeded"
    assert by_shop["requested_by"] == "merchant"

    world.clock.advance(timedelta(days=340))  # 371 days after paying
    refused(world, RefundWindowClosed, lambda: ask(world, None, payment_id, merchant=shop))
    overridden = ask(
        world,
        agent,
        payment_id,
        amount=cny("20.00"),
        agent_override_reason="parcel lost by the courier, confirmed on ticket 123",
    )

    assert overridden["status"] == "succeeded"
    assert overridden["requested_by"] == "agent"
    assert overridden["decision"]["by"] == "agent"
    with world.c.engine.connect() as conn:
        audit = conn.execute(
            select(audit_tables.audit_log).where(
                audit_tables.audit_log.c.action == "agent.refund.requested"
            )
        ).one()
    assert audit.reason == "parcel lost by the courier, confirmed on ticket 123"
    assert audit.actor_id == agent.id


def test_reasons_the_policy_names_need_evidence(world: World) -> None:
    customer = world.customer()
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")

    refused(
        world,
        EvidenceRequired,
        lambda: ask(world, customer, payment_id, amount=cny("5.00"), reason="damaged"),
    )
    refund = ask(
        world,
        customer,
        payment_id,
        amount=cny("5.00"),
        reason="damaged",
        evidence=["upload:photo-of-broken-cup"],
    )

    assert refund["status"] == "succeeded"
    assert refund["evidence"] == ["upload:photo-of-broken-cup"]
    # Reasons the policy does not name need none; the merchant itself never does.
    assert ask(world, customer, payment_id, amount=cny("5.00"))["status"] == "succeeded"
    by_shop = ask(world, None, payment_id, merchant=shop, amount=cny("5.00"), reason="damaged")
    assert by_shop["status"] == "succeeded"


# -- the merchant's balance --------------------------------------------------------------


def test_a_merchant_balance_too_low_keeps_the_refund_approved_until_a_retry(
    world: World,
) -> None:
    customer = world.customer()
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")
    bank = system_account(world.c.wallet, "CNY", SystemRole.FUNDING)
    # The merchant was paid out to its bank in the meantime.
    world.c.ledger.create_transfer(
        NewTransfer(uuid.uuid4(), shop.account_id, bank, 10000, "CNY", "merchant_payout")
    )
    wallet_before = world.wallet(customer)

    refund = ask(world, customer, payment_id, amount=cny("30.00"))

    assert refund["status"] == "approved"
    assert refund["failure"]["code"] == "insufficient_funds"
    assert world.wallet(customer) == wallet_before
    assert world.payment(payment_id).refunded == 3000
    assert world.refund_alerts(customer) == ["approved"]

    world.c.ledger.create_transfer(
        NewTransfer(uuid.uuid4(), bank, shop.account_id, 5000, "CNY", "merchant_topup")
    )
    retried = do_retry_refund(world.c.wallet, None, shop, uuid.UUID(refund["id"]))

    assert retried["status"] == "succeeded"
    assert retried["failure"] is None
    assert world.wallet(customer) == wallet_before + 3000
    assert world.refund_alerts(customer) == ["approved", "completed"]
    refused(
        world,
        RefundNotRetryable,
        lambda: do_retry_refund(world.c.wallet, None, shop, uuid.UUID(refund["id"])),
    )


# -- to the card ------------------------------------------------------------------------


def test_a_card_refund_goes_through_the_bank_and_is_expected_after_the_holidays(
    world: World, card_texts: None
) -> None:
    # Tuesday 30 September 2025: China's National Day holidays run Oct 1-8.
    world.clock.set(datetime(2025, 9, 30, 10, tzinfo=UTC))
    customer = world.customer()
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")
    shop_before = world.balance(shop.account_id)
    clearing = system_account(world.c.wallet, "CNY", SystemRole.REFUNDS_CLEARING)
    bank = system_account(world.c.wallet, "CNY", SystemRole.FUNDING)
    bank_before = world.balance(bank)

    refund = ask(world, customer, payment_id, amount=cny("40.00"), route="card")

    assert refund["status"] == "succeeded"
    assert refund["route"] == "card"
    assert refund["card_id"] is not None
    assert refund["expected_by"] == "2025-10-15T10:00:00+00:00"
    assert [h["status"] for h in refund["history"]] == [
        "requested",
        "approved",
        "processing",
        "succeeded",
    ]
    assert world.balance(shop.account_id) == shop_before - 4000
    assert world.balance(bank) == bank_before + 4000
    clearing_account = world.c.ledger.get_account(clearing)
    assert clearing_account.counters() == (4000, 4000, 0, 0)
    with world.c.engine.connect() as conn:
        asked = conn.execute(
            select(t.bank_twin_requests).where(
                t.bank_twin_requests.c.idempotency_key == f"refund:{refund['id']}"
            )
        ).one()
    assert (asked.operation, asked.amount, asked.outcome) == ("payout", 4000, "approved")
    assert world.webhook_events(shop) == ["refund.created", "refund.succeeded"]
    # One message, with the outcome: never "completed" (that one says "to your balance").
    assert world.refund_alerts(customer) == ["completed_card"]


def test_a_declined_card_refund_fails_and_the_money_stays_with_the_merchant(
    world: World, card_texts: None
) -> None:
    customer = world.customer()
    declined_card = world.card(customer, DECLINED_CARD)
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")
    shop_before = world.balance(shop.account_id)
    wallet_before = world.wallet(customer)

    refund = ask(
        world, customer, payment_id, amount=cny("40.00"), route="card", card_id=declined_card
    )

    assert refund["status"] == "failed"
    assert refund["failure"]["code"] == "bank_declined"
    assert refund["expected_by"] is None
    assert world.c.ledger.get_account(shop.account_id).counters()[2] == 0  # no hold left
    assert world.balance(shop.account_id) == shop_before
    payment = world.payment(payment_id)
    assert (payment.refunded, payment.refund_count) == (0, 0)
    assert world.webhook_events(shop) == ["refund.created", "refund.failed"]
    assert world.refund_alerts(customer) == ["failed"]

    again = do_retry_refund(
        world.c.wallet, customer, None, uuid.UUID(refund["id"]), route="balance"
    )

    assert again["status"] == "succeeded"
    assert again["route"] == "balance"
    assert again["card_id"] is None
    assert world.wallet(customer) == wallet_before + 4000
    assert world.balance(shop.account_id) == shop_before - 4000
    assert world.payment(payment_id).refunded == 4000
    assert world.refund_alerts(customer) == ["failed", "completed"]


def failed_card_refund(world: World) -> tuple[User, uuid.UUID, uuid.UUID, uuid.UUID]:
    """A customer's refund of 40.00 of a 100.00 payment, declined by their card's bank:
    (customer, card, payment, refund)."""
    customer = world.customer()
    declined_card = world.card(customer, DECLINED_CARD)
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")
    refund = ask(
        world, customer, payment_id, amount=cny("40.00"), route="card", card_id=declined_card
    )
    assert refund["status"] == "failed"
    return customer, declined_card, payment_id, uuid.UUID(refund["id"])


def test_a_failed_refund_is_retried_with_a_new_bank_key_and_needs_room_again(
    world: World,
) -> None:
    customer, _, payment_id, refund_id = failed_card_refund(world)

    again = do_retry_refund(world.c.wallet, customer, None, refund_id)

    assert again["status"] == "failed"
    assert [h["status"] for h in again["history"]].count("failed") == 2
    with world.c.engine.connect() as conn:
        keys = (
            conn.execute(
                select(t.bank_twin_requests.c.idempotency_key).order_by(
                    t.bank_twin_requests.c.created_at, t.bank_twin_requests.c.idempotency_key
                )
            )
            .scalars()
            .all()
        )
    assert [k for k in keys if k.startswith("refund:")] == [
        f"refund:{refund_id}",
        f"refund:{refund_id}:2",
    ]

    ask(world, customer, payment_id, amount=cny("70.00"))
    error = refused(
        world,
        RefundExceedsPayment,
        lambda: do_retry_refund(world.c.wallet, customer, None, refund_id, route="balance"),
    )
    assert error.params == {"remaining": "30.00", "currency": "CNY"}


def test_a_failed_card_refund_is_not_tried_again_on_a_card_removed_since(
    world: World,
) -> None:
    customer, declined_card, _, refund_id = failed_card_refund(world)
    world.remove_card(customer, declined_card)

    # On the card it was going to: refused, and nothing at all changed.
    error = refused(
        world, RefundCardRemoved, lambda: do_retry_refund(world.c.wallet, customer, None, refund_id)
    )
    assert error.params == {"field": "card_id"}
    for locale in ("en", "zh-CN"):
        assert ERRORS["refund_card_removed"][locale]
    # To the balance instead, it goes through.
    wallet_before = world.wallet(customer)
    again = do_retry_refund(world.c.wallet, customer, None, refund_id, route="balance")
    assert again["status"] == "succeeded"
    assert world.wallet(customer) == wallet_before + 4000


def test_a_card_removed_while_its_refund_waited_gets_it_on_the_balance(world: World) -> None:
    customer = world.customer()
    card_id = world.card(customer, GOOD_CARD)
    shop, _ = world.merchant(BY_MERCHANT)
    payment_id = world.paid(customer, shop, "100.00")
    refund = ask(world, customer, payment_id, amount=cny("40.00"), route="card", card_id=card_id)
    assert refund["status"] == "requested"
    world.remove_card(customer, card_id)
    wallet_before = world.wallet(customer)

    approved = do_approve_refund(world.c.wallet, None, shop, uuid.UUID(refund["id"]))

    assert approved["status"] == "succeeded"
    assert approved["route"] == "balance"
    assert world.wallet(customer) == wallet_before + 4000
    with world.c.engine.connect() as conn:  # the bank was never asked to pay the card
        asked = conn.execute(
            select(func.count())
            .select_from(t.bank_twin_requests)
            .where(t.bank_twin_requests.c.idempotency_key.like(f"refund:{refund['id']}%"))
        ).scalar_one()
    assert asked == 0


def test_a_card_refund_the_bank_does_not_answer_stays_processing(
    world: World, card_texts: None
) -> None:
    customer = world.customer()
    silent_card = world.card(customer, TIMEOUT_CARD)
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")
    shop_before = world.balance(shop.account_id)

    refund = ask(
        world, customer, payment_id, amount=cny("40.00"), route="card", card_id=silent_card
    )

    assert refund["status"] == "processing"
    assert refund["failure"]["code"] == "gateway_timeout"
    assert refund["expected_by"] is not None
    shop_account = world.c.ledger.get_account(shop.account_id)
    assert shop_account.balance == shop_before  # held, not gone
    assert shop_account.available == shop_before - 4000
    assert world.payment(payment_id).refunded == 4000

    again = do_retry_refund(world.c.wallet, None, shop, uuid.UUID(refund["id"]))

    assert again["status"] == "processing"
    assert world.refund_alerts(customer) == ["processing"]  # told once, not on every retry
    assert world.webhook_events(shop) == ["refund.created", "refund.updated"]
    refused(
        world,
        RefundNotRetryable,
        lambda: do_retry_refund(
            world.c.wallet, None, shop, uuid.UUID(refund["id"]), route="balance"
        ),
    )


def test_a_late_bank_answer_is_settled_by_a_retry_with_the_same_key(
    world: World, card_texts: None
) -> None:
    customer = world.customer()
    late_card = world.card(customer, LATE_CARD)
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")
    shop_before = world.balance(shop.account_id)

    refund = ask(world, customer, payment_id, amount=cny("40.00"), route="card", card_id=late_card)
    assert refund["status"] == "processing"

    settled = do_retry_refund(world.c.wallet, customer, None, uuid.UUID(refund["id"]))

    assert settled["status"] == "succeeded"
    assert settled["failure"] is None
    assert world.balance(shop.account_id) == shop_before - 4000
    with world.c.engine.connect() as conn:
        payouts = conn.execute(
            select(func.count())
            .select_from(t.bank_twin_requests)
            .where(t.bank_twin_requests.c.operation == "payout")
        ).scalar_one()
    assert payouts == 1  # asked twice, paid once
    assert world.refund_alerts(customer) == ["processing", "completed_card"]


# -- concurrency ------------------------------------------------------------------------


def test_eight_simultaneous_partial_refunds_never_exceed_the_payment(world: World) -> None:
    customer = world.customer()
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")
    wallet_before = world.wallet(customer)
    start = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def one() -> None:
        start.wait()
        try:
            refund = ask(world, customer, payment_id, amount=cny("30.00"))
            outcome = refund["status"]
        except WalletdeskError as exc:
            outcome = exc.code
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refund_exceeds_payment"] * 5 + ["succeeded"] * 3
    payment = world.payment(payment_id)
    assert (payment.refunded, payment.refund_count) == (9000, 3)
    assert world.wallet(customer) == wallet_before + 9000
    with world.c.engine.connect() as conn:
        total = conn.execute(
            select(func.sum(t.refunds.c.amount)).where(t.refunds.c.payment_id == payment_id)
        ).scalar_one()
    assert total == 9000


# -- HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def api(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as client:
        yield client


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def session(world: World, user: User) -> str:
    return authentication.do_login(
        world.c.identity,
        login=user.phone or user.email or "",
        password=STRONG,
        totp_code=None,
        recovery_code=None,
        ctx=CTX,
    ).token


def test_a_customer_asks_over_http_and_the_merchant_approves_with_its_api_key(
    world: World, api: TestClient
) -> None:
    customer = world.customer()
    shop, api_key = world.merchant(BY_MERCHANT)
    payment_id = world.paid(customer, shop, "100.00")
    token = session(world, customer)

    created = api.post(
        f"/api/v1/payments/{payment_id}/refunds",
        json={"amount": "12.30", "currency": "CNY", "reason": "not_received"},
        headers=bearer(token),
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert {k: body[k] for k in ("status", "route", "expected_by", "amount", "currency")} == {
        "status": "requested",
        "route": "balance",
        "expected_by": None,
        "amount": "12.30",
        "currency": "CNY",
    }
    approved = api.post(
        f"/api/v1/merchant/refunds/{body['id']}/approve",
        json={"note": "ok"},
        headers=bearer(api_key),
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "succeeded"
    seen = api.get(f"/api/v1/refunds/{body['id']}", headers=bearer(token))
    assert seen.json()["status"] == "succeeded"
    listed = api.get(f"/api/v1/payments/{payment_id}/refunds", headers=bearer(api_key))
    assert [item["id"] for item in listed.json()["items"]] == [body["id"]]

    twice = api.post(f"/api/v1/merchant/refunds/{body['id']}/approve", headers=bearer(api_key))
    assert twice.status_code == 409
    assert twice.json()["code"] == "refund_not_pending"
    as_customer = api.post(f"/api/v1/merchant/refunds/{body['id']}/reject", headers=bearer(token))
    assert as_customer.status_code == 403
    stranger = session(world, world.customer())
    assert api.get(f"/api/v1/refunds/{body['id']}", headers=bearer(stranger)).status_code == 404
    bad_key = api.get(f"/api/v1/refunds/{body['id']}", headers=bearer("wdk_live_nope"))
    assert bad_key.status_code == 401
    retry = api.post(f"/api/v1/refunds/{body['id']}/retry", headers=bearer(token))
    assert (retry.status_code, retry.json()["code"]) == (409, "refund_not_retryable")


def test_refusals_are_explained_in_chinese_and_english(world: World, api: TestClient) -> None:
    customer = world.customer()
    shop, api_key = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")
    token = session(world, customer)
    path = f"/api/v1/payments/{payment_id}/refunds"
    too_much = {"amount": "100.01", "currency": "CNY", "reason": "not_received"}

    zh = api.post(path, json=too_much, headers=bearer(token, **{"Accept-Language": "zh-CN"}))
    en = api.post(path, json=too_much, headers=bearer(token, **{"Accept-Language": "en"}))

    assert zh.status_code == en.status_code == 422
    assert zh.json()["code"] == en.json()["code"] == "refund_exceeds_payment"
    assert zh.json()["detail"] == "该笔付款最多还可退款 100.00 CNY。"
    assert en.json()["detail"] == "You can refund at most 100.00 CNY more of this payment."
    assert zh.json()["title"] == "退款金额过大"

    no_evidence = {"amount": "1.00", "currency": "CNY", "reason": "damaged"}
    zh = api.post(path, json=no_evidence, headers=bearer(token, **{"Accept-Language": "zh-CN"}))
    assert (zh.status_code, zh.json()["code"]) == (422, "evidence_required")
    assert zh.json()["detail"] == "该退款原因需要提供凭证，例如照片或收据。"

    world.clock.advance(timedelta(days=31))
    token = session(world, customer)
    late = api.post(
        path,
        json={"reason": "not_received"},
        headers=bearer(token, **{"Accept-Language": "zh-CN"}),
    )
    assert (late.status_code, late.json()["code"]) == (409, "refund_window_closed")
    assert "30 天" in late.json()["detail"]
    by_shop = api.post(path, json={"reason": "other"}, headers=bearer(api_key))
    assert by_shop.status_code == 201
    assert by_shop.json()["amount"] == "100.00"
    nothing_left = api.post(path, json={"reason": "other"}, headers=bearer(api_key))
    assert nothing_left.json()["detail"] == "You can refund at most 0.00 CNY more of this payment."
    no_currency = api.post(
        path, json={"amount": "1.00", "reason": "other"}, headers=bearer(api_key)
    )
    assert no_currency.status_code == 422


def test_every_refusal_code_has_both_languages_with_the_same_placeholders() -> None:
    import string

    codes = [key for key in ERRORS if not key.startswith("title.")]
    assert set(codes) >= {
        "refund_exceeds_payment",
        "refund_limit_reached",
        "refund_window_closed",
        "evidence_required",
        "payment_not_refundable",
        "refund_not_pending",
    }
    for code in codes:
        assert f"title.{code}" in ERRORS
        for key in (code, f"title.{code}"):
            assert set(ERRORS[key]) == {"en", "zh-CN"}
            names = [
                {f for _, f, _, _ in string.Formatter().parse(text) if f}
                for text in ERRORS[key].values()
            ]
            assert names[0] == names[1], key


def test_a_card_still_in_cooling_off_never_receives_a_refund(world: World) -> None:
    """After a takeover the thief's new card is where a refund would go: refuse it."""
    customer = world.customer()
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")
    fresh = world.card(customer, GOOD_CARD, settled=False)
    error = refused(
        world,
        RefundCardCoolingOff,
        lambda: ask(world, customer, payment_id, amount=cny("40.00"), route="card", card_id=fresh),
    )
    assert error.code == "refund_card_cooling_off"
    # Without a choice, the most recent card past its cooling-off is used instead.
    refund = ask(world, customer, payment_id, amount=cny("40.00"), route="card")
    assert refund["card_id"] != str(fresh)
    assert world.c.ledger.check_invariants() == []


def test_one_agent_cannot_refund_outside_the_policy_over_http_in_either_language(
    world: World, api: TestClient
) -> None:
    """Outside the policy is the four-eyes agent action ``refund``, never one agent's say."""
    customer = world.customer()
    shop, _ = world.merchant(AUTOMATIC)
    payment_id = world.paid(customer, shop, "100.00")
    agent = world.staff()
    world.clock.advance(timedelta(days=200))  # far outside the 30-day window
    token = session(world, agent)
    before = world.snapshot()

    answers = {
        locale: api.post(
            f"/api/v1/payments/{payment_id}/refunds",
            json={"reason": "not_received", "override_reason": "parcel lost, trust me"},
            headers=bearer(token, **{"Accept-Language": locale}),
        )
        for locale in ("en", "zh-CN")
    }

    for answer in answers.values():
        assert answer.status_code == 403, answer.json()
        assert answer.json()["code"] == "refund_override_needs_approval"
    assert "second agent" in answers["en"].json()["detail"]
    assert "另一位客服批准" in answers["zh-CN"].json()["detail"]
    assert world.snapshot() == before

"""Demo data for ``make run``: staff, customers, a merchant, payments, refunds, tickets.

Idempotent: running it again on a database that already has the demo users does
nothing. The demo password is public on purpose (it is printed and documented);
never load the demo into a production database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import Connection

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import accounts, changes, store, verification
from walletdesk.identity.errors import LoginTaken
from walletdesk.identity.model import Principal, RequestContext, User, VerificationMethod
from walletdesk.identity.roles import Role
from walletdesk.identity.staff import console_operator
from walletdesk.support.tickets import service as tickets
from walletdesk.support.tickets.macros import seed_default_macros
from walletdesk.support.tickets.rules import Channel, TicketStatus
from walletdesk.support.tickets.service import TicketDeps
from walletdesk.wallet import funding, p2p, payments, refunds
from walletdesk.wallet.merchant_users import do_create_merchant_user
from walletdesk.wallet.merchants import Merchant, do_create_merchant

DEMO_PASSWORD = "Demo-Wallet-2026!"  # noqa: S105 - public by design: demo data only


@dataclass(frozen=True, slots=True)
class DemoSummary:
    created: bool
    logins: list[tuple[str, str]]
    merchant_api_key: str | None


def load_demo(container: Container) -> DemoSummary:
    ctx = RequestContext(user_agent="walletdesk-demo", device_id="demo", country="CN")
    identity = container.identity
    operator = console_operator(container.clock.now())
    logins = [
        ("admin@walletdesk.dev", "admin"),
        ("supervisor@walletdesk.dev", "supervisor"),
        ("agent@walletdesk.dev", "agent"),
        ("+8613800138000", "customer (zh-CN)"),
        ("alice@example.com", "customer (en)"),
        ("+8613900139000", "customer (zh-CN)"),
        ("merchant@walletdesk.dev", "merchant (Tea House)"),
    ]
    staff: dict[Role, User] = {}
    try:
        for email, role in (
            ("admin@walletdesk.dev", Role.ADMIN),
            ("supervisor@walletdesk.dev", Role.SUPERVISOR),
            ("agent@walletdesk.dev", Role.AGENT),
        ):
            staff[role] = accounts.do_register(
                identity,
                phone=None,
                email=email,
                password=DEMO_PASSWORD,
                display_name=f"Demo {role.value}",
                locale="en",
                ctx=ctx,
                role=role,
                actor=operator,
            )
    except LoginTaken:
        return DemoSummary(created=False, logins=logins, merchant_api_key=None)
    li = accounts.do_register(
        identity,
        phone="+8613800138000",
        email=None,
        password=DEMO_PASSWORD,
        display_name="李雷",
        locale="zh-CN",
        ctx=ctx,
    )
    alice = accounts.do_register(
        identity,
        phone=None,
        email="alice@example.com",
        password=DEMO_PASSWORD,
        display_name="Alice",
        locale="en",
        ctx=ctx,
    )
    wang = accounts.do_register(
        identity,
        phone="+8613900139000",
        email=None,
        password=DEMO_PASSWORD,
        display_name="王芳",
        locale="zh-CN",
        ctx=ctx,
    )
    _contacts_confirmed(container, li, alice, wang)
    merchant, api_key = do_create_merchant(
        container.wallet,
        actor=operator,
        name="Tea House 茶馆",
        currency="CNY",
        refund_policy={"window_days": 30, "approval": "merchant"},
        webhook_url=None,
        ctx=ctx,
    )
    do_create_merchant_user(
        container.wallet,
        actor=operator,
        merchant_id=merchant.id,
        email="merchant@walletdesk.dev",
        phone=None,
        password=DEMO_PASSWORD,
        display_name="Tea House 茶馆",
        locale="zh-CN",
        ctx=ctx,
    )
    # Cards were "added" three days ago, so their 24 h cooling-off is over and card
    # refunds may go to them. The bank twin's test numbers give each card its behaviour.
    card = _add_card(container, li, ctx, "4242424242424242")
    slow_card = _add_card(container, li, ctx, "4000000000000119")  # never answers in time
    closed_card = _add_card(container, li, ctx, "4000000000000002")  # declines
    _add_card(container, alice, ctx, "4242424242424242")
    funding.do_fund(
        container.wallet,
        li,
        kind="topup",
        amount=80_000,
        currency="CNY",
        card_id=card,
        idempotency_key="demo-topup",
        locale="zh-CN",
    )
    paid = {
        ref: _buy(container, merchant, li, ref, amount, description)
        for ref, amount, description in (
            ("demo-tea", 3_800, "Longjing tea 龙井茶"),
            ("demo-puer", 12_800, "Pu'er cake 普洱茶饼"),
            ("demo-oolong", 5_600, "Oolong 乌龙茶"),
            ("demo-teaset", 26_800, "Tea set 茶具"),
            ("demo-giftbox", 9_900, "Gift box 礼盒"),
        )
    }
    teapot = payments.do_create_intent(
        container.wallet,
        merchant,
        amount=38_800,
        currency="CNY",
        order_ref="demo-teapot",
        description="Yixing teapot 紫砂壶",
        expires_in=3600,
    )
    # Fails for insufficient funds: the story the service centre demo starts from.
    payments.do_pay(container.wallet, li, uuid.UUID(teapot["id"]), "zh-CN")
    # Opened three days ago and paid only now: the "transaction timed out" case.
    late = payments.do_create_intent(
        _in_the_past(container).wallet,
        merchant,
        amount=4_500,
        currency="CNY",
        order_ref="demo-late",
        description="Jasmine tea 茉莉花茶",
        expires_in=None,
    )
    payments.do_pay(container.wallet, li, uuid.UUID(late["id"]), "zh-CN")
    p2p.do_transfer(
        container.wallet,
        li,
        to="alice@example.com",
        amount=2_000,
        currency="CNY",
        note="奶茶 bubble tea",
        idempotency_key="demo-p2p",
        locale="zh-CN",
    )
    _refund_in_every_state(container, li, merchant, paid, slow_card, closed_card)
    _tickets(container, staff[Role.AGENT], li, alice, wang, uuid.UUID(teapot["id"]))
    container.dispatcher.run_once()
    return DemoSummary(created=True, logins=logins, merchant_api_key=api_key)


def _contacts_confirmed(container: Container, *customers: User) -> None:
    """Mark the demo customers' phone numbers and email addresses verified, as if each had
    typed back the code sent there (those codes would go to made-up numbers and addresses
    nobody reads). Without it the inbound channels would treat the demo customers' own
    emails and calls as a stranger's (support/channels/inbound.py)."""
    now = container.clock.now()

    def work(conn: Connection) -> None:
        for user in customers:
            store.update_user(
                conn,
                user.id,
                phone_verified_at=now if user.phone else None,
                email_verified_at=now if user.email else None,
            )

    container.identity.transaction(work)


def _in_the_past(container: Container, days: int = 3) -> Container:
    """The same services reading a clock ``days`` behind: for facts that take time
    (a card past its cooling-off, an intent long expired). Never used for ledger writes."""
    past = FakeClock(container.clock.now() - timedelta(days=days))
    identity = replace(container.identity, clock=past)
    wallet = replace(container.wallet, clock=past, identity=identity)
    return replace(container, clock=past, identity=identity, wallet=wallet)


def _buy(
    container: Container, merchant: Merchant, user: User, ref: str, amount: int, description: str
) -> uuid.UUID:
    intent = payments.do_create_intent(
        container.wallet,
        merchant,
        amount=amount,
        currency="CNY",
        order_ref=ref,
        description=description,
        expires_in=None,
    )
    payments.do_pay(container.wallet, user, uuid.UUID(intent["id"]), user.locale)
    return uuid.UUID(intent["id"])


def _refund_in_every_state(
    container: Container,
    li: User,
    merchant: Merchant,
    paid: dict[str, uuid.UUID],
    slow_card: uuid.UUID,
    closed_card: uuid.UUID,
) -> None:
    """requested, rejected, succeeded (to balance), processing (the bank is slow) and
    failed (the card was closed): what people call about, one of each."""
    deps = container.wallet

    def ask(
        ref: str, reason: str, route: str = "balance", card: uuid.UUID | None = None
    ) -> uuid.UUID:
        refund = refunds.do_request_refund(
            deps, li, None, paid[ref], reason=reason, route=route, card_id=card, locale="zh-CN"
        )
        return uuid.UUID(refund["id"])

    refunds.do_approve_refund(deps, None, merchant, ask("demo-tea", "changed_mind"))
    ask("demo-puer", "not_received")
    refunds.do_reject_refund(
        deps,
        None,
        merchant,
        ask("demo-oolong", "changed_mind"),
        note="Opened tea cannot be returned 已拆封茶叶不支持退货",
    )
    refunds.do_approve_refund(
        deps, None, merchant, ask("demo-teaset", "duplicate", "card", slow_card)
    )
    refunds.do_approve_refund(
        deps, None, merchant, ask("demo-giftbox", "not_received", "card", closed_card)
    )


def _tickets(
    container: Container,
    agent: User,
    li: User,
    alice: User,
    wang: User,
    failed_payment: uuid.UUID,
) -> None:
    """Open tickets from several channels, one answered and solved."""
    deps = TicketDeps.of(container.engine, container.clock, container.settings)
    seed_default_macros(container.engine, container.clock)
    tickets.do_create_ticket(
        deps,
        li,
        subject="付款失败",
        body="买紫砂壶的时候付款失败了，提示余额不足，可是我刚充过值。",
        channel=Channel.APP,
        payment_id=failed_payment,
    )
    tickets.do_create_ticket(
        deps,
        wang,
        subject="有人打电话说是客服",
        body="有人打电话说是 walletdesk 客服，说我的账户有风险，让我把验证码告诉他，还要把钱转到安全账户。",
        channel=Channel.PHONE,
    )
    tickets.do_create_ticket(
        deps,
        alice,
        subject="Raise my daily limit",
        body="I need to pay my rent next week, can you raise my daily payment limit?",
        channel=Channel.EMAIL,
    )
    answered = tickets.do_create_ticket(
        deps,
        alice,
        subject="Where is my refund?",
        body="I returned an order last week, when will the money be back?",
        channel=Channel.CHAT,
    )
    ticket_id = uuid.UUID(answered["id"])
    tickets.do_agent_reply(
        deps,
        agent,
        ticket_id,
        "Refunds to your balance arrive at once; to a card, within 3-5 business days. "
        "You can follow each one under Wallet → Refunds.",
    )
    tickets.do_change_status(deps, agent, ticket_id, TicketStatus.SOLVED)


def _add_card(container: Container, user: User, ctx: RequestContext, number: str) -> uuid.UUID:
    past = _in_the_past(container)
    principal = Principal(user=user, session_id=None)
    proof = verification.do_verify(
        past.identity,
        principal,
        method=VerificationMethod.PASSWORD,
        password=DEMO_PASSWORD,
        code=None,
        ctx=ctx,
    )
    card = changes.do_add_card(
        past.identity,
        principal,
        number=number,
        expiry_month=12,
        expiry_year=2030,
        verification_token=proof.token,
        ctx=ctx,
    )
    return uuid.UUID(card["id"])

"""Demo data for ``make run``: staff, two customers, a merchant, and a few payments.

Idempotent: running it again on a database that already has the demo users does
nothing. The demo password is public on purpose (it is printed and documented);
never load the demo into a production database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from walletdesk.bootstrap import Container
from walletdesk.identity import accounts, changes, verification
from walletdesk.identity.errors import LoginTaken
from walletdesk.identity.model import Principal, RequestContext, User, VerificationMethod
from walletdesk.identity.roles import Role
from walletdesk.identity.staff import console_operator
from walletdesk.wallet import funding, p2p, payments
from walletdesk.wallet.merchants import do_create_merchant

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
    ]
    try:
        for email, role in (
            ("admin@walletdesk.dev", Role.ADMIN),
            ("supervisor@walletdesk.dev", Role.SUPERVISOR),
            ("agent@walletdesk.dev", Role.AGENT),
        ):
            accounts.do_register(
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
    accounts.do_register(
        identity,
        phone=None,
        email="alice@example.com",
        password=DEMO_PASSWORD,
        display_name="Alice",
        locale="en",
        ctx=ctx,
    )
    merchant, api_key = do_create_merchant(
        container.wallet,
        actor=operator,
        name="Tea House 茶馆",
        currency="CNY",
        refund_policy={"window_days": 30, "approval": "merchant"},
        webhook_url=None,
        ctx=ctx,
    )
    card = _add_card(container, li, ctx)
    funding.do_fund(
        container.wallet,
        li,
        kind="topup",
        amount=50_000,
        currency="CNY",
        card_id=card,
        idempotency_key="demo-topup",
        locale="zh-CN",
    )
    tea = payments.do_create_intent(
        container.wallet,
        merchant,
        amount=3_800,
        currency="CNY",
        order_ref="demo-tea",
        description="Longjing tea 龙井茶",
        expires_in=None,
    )
    payments.do_pay(container.wallet, li, uuid.UUID(tea["id"]), "zh-CN")
    teapot = payments.do_create_intent(
        container.wallet,
        merchant,
        amount=88_800,
        currency="CNY",
        order_ref="demo-teapot",
        description="Yixing teapot 紫砂壶",
        expires_in=3600,
    )
    # Fails for insufficient funds: the story the service centre demo starts from.
    payments.do_pay(container.wallet, li, uuid.UUID(teapot["id"]), "zh-CN")
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
    container.dispatcher.run_once()
    return DemoSummary(created=True, logins=logins, merchant_api_key=api_key)


def _add_card(container: Container, user: User, ctx: RequestContext) -> uuid.UUID:
    principal = Principal(user=user, session_id=None)
    proof = verification.do_verify(
        container.identity,
        principal,
        method=VerificationMethod.PASSWORD,
        password=DEMO_PASSWORD,
        code=None,
        ctx=ctx,
    )
    card = changes.do_add_card(
        container.identity,
        principal,
        number="4242424242424242",
        expiry_month=12,
        expiry_year=2030,
        verification_token=proof.token,
        ctx=ctx,
    )
    return uuid.UUID(card["id"])

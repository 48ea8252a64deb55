"""The HTTP benchmark's data, prepared through the services, not over HTTP:
one merchant, funded tier III customers with sessions, and payment intents.
"""

from __future__ import annotations

import uuid

from walletdesk.bootstrap import Container
from walletdesk.identity import changes, verification
from walletdesk.identity.accounts import do_register
from walletdesk.identity.authentication import do_login
from walletdesk.identity.model import KycTier, Principal, RequestContext, VerificationMethod
from walletdesk.identity.staff import console_operator
from walletdesk.wallet.funding import do_fund
from walletdesk.wallet.merchants import Merchant, do_create_merchant
from walletdesk.wallet.payments import do_create_intent

CURRENCY = "CNY"
# 0.10 CNY: tier III's single-factor daily spend limit (1,000 CNY) allows 10,000 a day each.
PAYMENT_AMOUNT = 10
TOPUP_AMOUNT = 10_000_000  # 100,000 CNY per customer: never short of funds
PASSWORD = "Bench-Wallet-2026!"  # noqa: S105 - throwaway accounts in a scratch database
ID_NUMBER = "11010519491231002X"  # a valid (checksummed) test resident ID


def prepare_data(container: Container, customers: int) -> tuple[Merchant, list[str]]:
    """One merchant and ``customers`` funded, tier III customers; returns their session tokens."""
    ctx = RequestContext(source_ip="127.0.0.1", user_agent="walletdesk-bench", country="CN")
    merchant, _key = do_create_merchant(
        container.wallet,
        actor=console_operator(container.clock.now()),
        name="Bench Tea House",
        currency=CURRENCY,
        refund_policy=None,
        webhook_url="https://shop.example/hooks",
        ctx=ctx,
    )
    tokens = []
    for index in range(customers):
        phone = f"+86139{index:08d}"
        user = do_register(
            container.identity,
            phone=phone,
            email=None,
            password=PASSWORD,
            display_name=f"Bench customer {index}",
            locale="zh-CN",
            ctx=ctx,
        )
        principal = Principal(user=user, session_id=None)
        proof = verification.do_verify(
            container.identity,
            principal,
            method=VerificationMethod.PASSWORD,
            password=PASSWORD,
            code=None,
            ctx=ctx,
        )
        card = changes.do_add_card(
            container.identity,
            principal,
            number="4242424242424242",
            expiry_month=12,
            expiry_year=2031,
            verification_token=proof.token,
            ctx=ctx,
        )
        kyc = changes.do_submit_kyc(
            container.identity,
            principal,
            requested=KycTier.III,
            full_name="李雷",
            id_type="cn_resident_id",
            id_number=ID_NUMBER,
            selfie_provided=True,
            ctx=ctx,
        )
        if kyc["tier"] != KycTier.III.value:
            raise RuntimeError(f"KYC granted {kyc['tier']}, not III: {kyc['reasons']}")
        funded = do_fund(
            container.wallet,
            user,
            kind="topup",
            amount=TOPUP_AMOUNT,
            currency=CURRENCY,
            card_id=uuid.UUID(card["id"]),
            idempotency_key=f"bench-topup-{index}",
            locale="en",
        )
        if funded["status"] != "succeeded":
            raise RuntimeError(f"the bench top-up did not succeed: {funded['status']}")
        session = do_login(
            container.identity,
            login=phone,
            password=PASSWORD,
            totp_code=None,
            recovery_code=None,
            ctx=ctx,
        )
        tokens.append(session.token)
    return merchant, tokens


def create_intents(container: Container, merchant: Merchant, count: int, prefix: str) -> list[str]:
    return [
        do_create_intent(
            container.wallet,
            merchant,
            amount=PAYMENT_AMOUNT,
            currency=CURRENCY,
            order_ref=f"{prefix}-{index}",
            description="bench",
            expires_in=3600,
        )["id"]
        for index in range(count)
    ]

"""A large transfer or withdrawal is confirmed with the password on the same form, as a
large payment is: without it (or with a wrong one) nothing moves and the page says why
in the reader's language; with it the money goes. Balances are checked through the
services."""

from __future__ import annotations

import random
import uuid

from browser_steps import (
    PASSWORD,
    available,
    enable_two_factor,
    funded_customer,
    log_in,
    verified_email,
)
from playwright.sync_api import Page, expect
from sqlalchemy import update

from walletdesk.identity import accounts, changes, verification
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.changes import do_submit_kyc
from walletdesk.identity.model import KycTier, Principal, RequestContext, VerificationMethod
from walletdesk.wallet import funding
from walletdesk.wallet.customer_views import get_balances

CTX = RequestContext(user_agent="browser-test set-up", country="CN")


def large_sender(page: Page, container: object, amount: int, locale: str = "en") -> uuid.UUID:
    """A customer who may move CNY 5,000 out at once (tier II, which needs a phone on
    file, and 2FA on), signed in on ``page``, with ``amount`` minor units topped up from
    a card past its cooling-off; returns the user's id."""
    phone = f"+86139{random.randrange(10**8):08d}"
    user = accounts.do_register(
        container.identity,  # type: ignore[attr-defined]
        phone=phone,
        email=None,
        password=PASSWORD,
        display_name="Large Sender",
        locale=locale,
        ctx=CTX,
    )
    me = Principal(user, None)
    do_submit_kyc(
        container.identity,  # type: ignore[attr-defined]
        me,
        requested=KycTier.II,
        full_name="李雷",
        id_type="cn_resident_id",
        id_number="11010519491231002X",
        selfie_provided=False,
        ctx=CTX,
    )
    proof = verification.do_verify(
        container.identity,  # type: ignore[attr-defined]
        me,
        method=VerificationMethod.PASSWORD,
        password=PASSWORD,
        code=None,
        ctx=CTX,
    )
    card = changes.do_add_card(
        container.identity,  # type: ignore[attr-defined]
        me,
        number="4242424242424242",
        expiry_month=12,
        expiry_year=2030,
        verification_token=proof.token,
        ctx=CTX,
    )
    with container.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(
            update(identity_tables.cards)
            .where(identity_tables.cards.c.id == uuid.UUID(card["id"]))
            .values(cooling_off_until=container.clock.now())  # type: ignore[attr-defined]
        )
    funding.do_fund(
        container.wallet,  # type: ignore[attr-defined]
        user,
        kind="topup",
        amount=amount,
        currency="CNY",
        card_id=uuid.UUID(card["id"]),
        idempotency_key=f"test-{uuid.uuid4().hex}",
        locale=locale,
    )
    log_in(page, phone, PASSWORD)
    enable_two_factor(page)
    return user.id


def balance(container: object, user_id: uuid.UUID) -> str:
    """Available CNY, as the wallet page shows it."""
    items = get_balances(container.wallet, user_id)  # type: ignore[attr-defined]
    return next(item["available"] for item in items if item["currency"] == "CNY")


def test_a_large_transfer_needs_the_password_typed_again(page: Page, live_server) -> None:
    container = live_server.container
    me = large_sender(page, container, 5_000_00)
    friend = verified_email(container, funded_customer(container, amount=1))
    page.goto("/wallet/transfer")
    expect(page.locator("#transfer-password-hint")).to_contain_text("2,000.00")
    page.fill("#transfer-to", friend)
    page.fill("#amount", "2000.00")

    page.click("form[action='/wallet/transfer'] button[type=submit]")
    expect(page.locator(".flash.error")).to_have_text(
        "Enter your password to confirm this large transfer. Nothing was sent."
    )
    expect(page.locator("#transfer-to")).to_have_value(friend)
    assert (balance(container, me), available(container, friend)) == ("5000.00", "0.01")

    page.fill("#transfer-password", "wrong-password-123")
    page.click("form[action='/wallet/transfer'] button[type=submit]")
    expect(page.locator(".flash.error")).to_have_text(
        "That code or password is not right, has expired, or was already used."
    )
    assert (balance(container, me), available(container, friend)) == ("5000.00", "0.01")

    page.fill("#transfer-password", PASSWORD)
    page.click("form[action='/wallet/transfer'] button[type=submit]")
    page.wait_for_url("**/wallet?notice=notice.transfer_sent")
    assert (balance(container, me), available(container, friend)) == ("3000.00", "2000.01")

    # A small one needs no password.
    page.goto("/wallet/transfer")
    page.fill("#transfer-to", friend)
    page.fill("#amount", "10.00")
    page.click("form[action='/wallet/transfer'] button[type=submit]")
    page.wait_for_url("**/wallet?notice=notice.transfer_sent")
    assert balance(container, me) == "2990.00"


def test_a_large_withdrawal_needs_the_password_typed_again_in_chinese(
    zh_page: Page, live_server
) -> None:
    container = live_server.container
    me = large_sender(zh_page, container, 5_000_00, locale="zh-CN")
    zh_page.goto("/wallet/withdraw")
    zh_page.fill("#amount", "2500.00")

    zh_page.click("form[action='/wallet/withdraw'] button[type=submit]")
    expect(zh_page.locator(".flash.error")).to_have_text(
        "请输入登录密码确认这笔大额提现。尚未提现。"
    )
    expect(zh_page.locator("#amount")).to_have_value("2500.00")
    assert balance(container, me) == "5000.00"

    zh_page.fill("#withdraw-password", PASSWORD)
    zh_page.click("form[action='/wallet/withdraw'] button[type=submit]")
    zh_page.wait_for_url("**/wallet?notice=notice.withdraw_succeeded")
    expect(zh_page.locator(".flash.ok")).to_have_text("提现成功，款项已转至您的银行卡。")
    assert balance(container, me) == "2500.00"

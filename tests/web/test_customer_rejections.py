"""Every money or security form refuses clearly, in the reader's language, and changes
nothing: each test checks the words on the page and, through the services, the balance."""

from __future__ import annotations

import re
import uuid

from browser_steps import (
    PASSWORD,
    available,
    funded_customer,
    log_in,
    new_merchant,
    payment_link,
    sign_up,
    user_id_of,
)
from playwright.sync_api import Page, expect

from walletdesk.identity.changes import list_cards
from walletdesk.wallet.customer_views import list_my_refunds
from walletdesk.wallet.payment_views import get_payment_for


def test_transfer_to_someone_who_does_not_use_walletdesk_is_refused(
    page: Page, live_server
) -> None:
    email = funded_customer(live_server.container, amount=80_00)
    log_in(page, email, PASSWORD)
    page.goto("/wallet/transfer")
    page.fill("#transfer-to", "nobody-here@example.com")
    page.fill("#amount", "10.00")
    page.click("form[action='/wallet/transfer'] button[type=submit]")
    expect(page.locator(".flash.error")).to_have_text(
        "Nobody with that phone number, email or id uses walletdesk."
    )
    expect(page.locator("#transfer-to")).to_have_value("nobody-here@example.com")
    assert available(live_server.container, email) == "80.00"


def test_transfer_of_a_malformed_amount_is_refused_in_chinese(zh_page: Page, live_server) -> None:
    email = funded_customer(live_server.container, amount=80_00, locale="zh-CN")
    log_in(zh_page, email, PASSWORD)
    zh_page.goto("/wallet/transfer")
    zh_page.fill("#transfer-to", "alice@example.com")
    zh_page.fill("#amount", "12.345")
    zh_page.click("form[action='/wallet/transfer'] button[type=submit]")
    expect(zh_page.locator(".flash.error")).to_have_text("金额格式无效，请按币种的小数位填写。")
    assert available(live_server.container, email) == "80.00"


def test_top_up_of_zero_is_refused_and_a_card_needs_the_right_password(
    page: Page, live_server
) -> None:
    email = funded_customer(live_server.container, amount=5_00)
    log_in(page, email, PASSWORD)
    page.goto("/wallet/topup")
    page.fill("#amount", "0")
    page.click("form[action='/wallet/topup'] button[type=submit]")
    expect(page.locator(".flash.error")).to_have_text("Enter an amount above zero, such as 12.50.")
    assert available(live_server.container, email) == "5.00"

    # Adding a second card with a wrong password adds nothing.
    page.fill("#card-number", "4000000000000002")
    page.fill("#card-expiry", "12/30")
    page.fill("#card-password", "not-my-password-at-all")
    page.click("form[action='/wallet/cards'] button[type=submit]")
    expect(page.locator(".flash.error")).to_have_text(
        "That code or password is not right, has expired, or was already used."
    )
    user_id = user_id_of(live_server.container, email)
    assert len(list_cards(live_server.container.identity, user_id)) == 1


def test_a_large_payment_with_a_wrong_password_is_not_paid(page: Page, live_server) -> None:
    # At or above the SCA threshold (CNY 2,000 by default) the password is asked again.
    email = funded_customer(live_server.container, amount=100_00)
    merchant = new_merchant(live_server.container)
    payment_id = payment_link(live_server.container, merchant, 2_500_00, "Rosewood table")
    log_in(page, email, PASSWORD)
    page.goto(f"/pay/{payment_id}")
    expect(page.locator(".flash.info")).to_contain_text("confirm it with your password")
    page.fill("#pay-password", "wrong-password-123")
    page.get_by_role("button", name=re.compile("^Pay ")).click()
    expect(page.locator(".flash.error")).to_have_text(
        "That code or password is not right, has expired, or was already used."
    )
    payment = get_payment_for(
        live_server.container.wallet,
        uuid.UUID(payment_id),
        customer_id=user_id_of(live_server.container, email),
    )
    assert payment["status"] == "requires_confirmation"
    assert available(live_server.container, email) == "100.00"


def test_a_refund_above_what_was_paid_is_refused(page: Page, live_server) -> None:
    email = funded_customer(live_server.container, amount=100_00)
    merchant = new_merchant(live_server.container)
    payment_id = payment_link(live_server.container, merchant, 38_00)
    log_in(page, email, PASSWORD)
    page.goto(f"/pay/{payment_id}")
    page.get_by_role("button", name=re.compile("^Pay ")).click()
    page.wait_for_url(f"**/wallet/payments/{payment_id}?notice=notice.paid")

    page.fill("#refund-amount", "50.00")
    page.get_by_test_id("refund-submit").click()
    expect(page.locator(".flash.error")).to_have_text(
        "You can refund at most 38.00 CNY more of this payment."
    )
    expect(page.locator("#refund-amount")).to_have_value("50.00")
    user_id = user_id_of(live_server.container, email)
    assert list_my_refunds(live_server.container.wallet, user_id, "en", cursor=None)["items"] == []
    assert available(live_server.container, email) == "62.00"


def test_a_limit_increase_without_two_factor_is_declined_with_its_reason(
    page: Page, live_server
) -> None:
    sign_up(page, name="Limits")
    page.goto("/wallet/limits")
    expect(page.locator("#scope-spend")).to_have_text("Payments and transfers")
    expect(page.locator("tr[data-window='lifetime']")).to_contain_text("1,000.00")
    page.check("input[name=kind][value=permanent]")
    page.select_option("#limit-window", "day")
    page.fill("#limit-amount", "2000")
    page.fill("#limit-reason", "Buying a bicycle")
    page.fill("#limit-password", PASSWORD)
    page.click("form[action='/wallet/limits/requests'] button[type=submit]")
    decision = page.locator("section.decision")
    expect(decision).to_contain_text("Rejected")
    expect(decision).to_contain_text("Verify your identity")
    expect(page.locator("li[data-request-id]")).to_have_count(1)

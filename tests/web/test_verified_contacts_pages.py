"""Verified contacts on the pages: money sent to a phone or email reaches only an account
that verified it, and the transfer form says so, in English and Chinese."""

from __future__ import annotations

from browser_steps import PASSWORD, available, funded_customer, log_in, verified_email
from playwright.sync_api import Page, expect


def test_money_to_an_email_reaches_its_holder_only_once_they_verified_it(
    page: Page, live_server
) -> None:
    container = live_server.container
    sender = funded_customer(container, amount=80_00)
    holder = funded_customer(container, amount=1)
    log_in(page, sender, PASSWORD)
    page.goto("/wallet/transfer")
    expect(page.locator("#transfer-to-hint")).to_contain_text(
        "It works once they have verified it in walletdesk (under Me)."
    )

    page.fill("#transfer-to", holder)
    page.fill("#amount", "10.00")
    page.click("form[action='/wallet/transfer'] button[type=submit]")
    expect(page.locator(".flash.error")).to_have_text(
        "Nobody with that phone number, email or id uses walletdesk."
    )
    expect(page.locator("#transfer-to")).to_have_value(holder)
    assert (available(container, sender), available(container, holder)) == ("80.00", "0.01")

    verified_email(container, holder)
    page.click("form[action='/wallet/transfer'] button[type=submit]")
    page.wait_for_url("**/wallet?notice=notice.transfer_sent")
    assert (available(container, sender), available(container, holder)) == ("70.00", "10.01")


def test_the_chinese_transfer_form_says_the_contact_must_be_verified(
    zh_page: Page, live_server
) -> None:
    sender = funded_customer(live_server.container, amount=5_00, locale="zh-CN")
    log_in(zh_page, sender, PASSWORD)
    zh_page.goto("/wallet/transfer")
    expect(zh_page.locator("#transfer-to-hint")).to_contain_text(
        "对方须已在 walletdesk（“我的”页面）验证该手机号或邮箱。"
    )

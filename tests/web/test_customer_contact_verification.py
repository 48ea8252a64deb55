"""Me: verifying the email (or phone) on the account with a code sent there, in a real
browser, in English and Chinese."""

from __future__ import annotations

import re

from browser_steps import sign_up, user_id_of
from playwright.sync_api import Page, expect

from walletdesk.identity.accounts import get_me


def emailed_code(container: object, address: str) -> str:
    container.dispatcher.run_once()  # type: ignore[attr-defined]
    mails = container.email.messages_to(address)  # type: ignore[attr-defined]
    assert mails, f"no email to {address}"
    found = re.findall(r"(?<!\d)\d{6}(?!\d)", mails[-1].body)
    assert found, mails[-1].body
    return str(found[0])


def test_a_customer_verifies_their_email_from_the_account_page(page: Page, live_server) -> None:
    container = live_server.container
    email = sign_up(page, name="Verifies")
    user_id = user_id_of(container, email)
    page.goto("/me")
    expect(page.get_by_test_id("email-unverified")).to_have_text("Not verified")
    box = page.get_by_test_id("verify-email")
    expect(box).to_contain_text(email)

    box.get_by_role("button", name="Send a code").click()
    expect(page.locator(".flash.ok")).to_have_text(
        "We sent a code. Type it below before it expires."
    )
    code = emailed_code(container, email)

    # A wrong code is refused and verifies nothing.
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page.get_by_test_id("verify-email").get_by_label("Code").fill(wrong)
    page.get_by_test_id("verify-email").get_by_role("button", name="Verify").click()
    expect(page.locator(".flash.error")).to_contain_text("not right")
    assert get_me(container.identity, user_id).email_verified_at is None

    page.get_by_test_id("verify-email").get_by_label("Code").fill(code)
    page.get_by_test_id("verify-email").get_by_role("button", name="Verify").click()
    expect(page.locator(".flash.ok")).to_have_text("Email verified.")
    expect(page.get_by_test_id("email-verified")).to_have_text("Verified")
    expect(page.get_by_test_id("verify-email")).to_have_count(0)
    assert get_me(container.identity, user_id).email_verified_at is not None

    page.goto("/me/security")
    expect(page.locator("li[data-item='verified_contacts']")).to_have_class(re.compile("ok"))


def test_the_check_up_sends_a_chinese_customer_to_verify_their_contacts(
    zh_page: Page, live_server
) -> None:
    page = zh_page
    sign_up(page, name="验证")
    page.goto("/me/security")
    item = page.locator("li[data-item='verified_contacts']")
    expect(item).to_contain_text("请在“我的”页面验证您的手机号和邮箱")
    item.get_by_role("link", name="立即验证").click()
    expect(page.locator("#verify-h")).to_have_text("验证手机号和邮箱")
    expect(page.get_by_test_id("email-unverified")).to_have_text("未验证")
    expect(
        page.get_by_test_id("verify-email").get_by_role("button", name="发送验证码")
    ).to_be_visible()

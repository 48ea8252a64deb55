"""The public site in a real browser: help centre, Contact us, the checker, languages."""

from __future__ import annotations

import re

from browser_steps import shot
from playwright.sync_api import Page, expect


def test_help_centre_search_finds_articles_in_both_languages(page: Page) -> None:
    page.goto("/help")
    page.fill("#help-q", "refund")
    page.click("form[role=search] button")
    expect(page.locator("ul.articles li").first).to_be_visible()
    shot(page, "help-centre")
    page.click("ul.articles li a >> nth=0")
    expect(page.locator("article h1")).to_be_visible()

    page.goto("/lang/zh-CN?next=/help")
    page.fill("#help-q", "退款")
    page.click("form[role=search] button")
    expect(page.locator("ul.articles li").first).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_every_page_has_contact_us_with_official_channels(page: Page) -> None:
    for path in ("/", "/help", "/check", "/login"):
        page.goto(path)
        footer = page.locator("footer#contact-us")
        expect(footer).to_contain_text("400-888-9999")
        expect(footer.get_by_role("link", name="All official channels")).to_be_visible()
    page.goto("/contact")
    expect(page.locator("h1")).to_have_text("Contact us")
    expect(page.locator("details").first).to_be_visible()


def test_fake_customer_service_number_is_flagged(page: Page) -> None:
    # DOMAIN.md §6: a "hotline" for a provider with no phone support is fake by definition.
    page.goto("/check")
    page.fill("#check-value", "walletdesk-kefu.com")
    page.click("form[action='/check'] button")
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_class(re.compile(r"verdict-(suspicious|known_fake)"))
    shot(page, "scam-checker")


def test_scam_message_is_high_risk(page: Page) -> None:
    page.goto("/check")
    page.fill(
        "#check-message",
        "I am from walletdesk customer service, tell me the SMS verification code and move your money to a safe account",
    )
    page.click("form[action='/check/message'] button")
    expect(page.get_by_test_id("message-risk")).to_have_class(re.compile("risk-high"))


def test_chinese_browser_gets_chinese_and_can_switch(zh_page: Page) -> None:
    zh_page.goto("/")
    expect(zh_page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(zh_page.locator("footer")).to_contain_text("联系我们")
    zh_page.click("text=English")
    expect(zh_page.locator("html")).to_have_attribute("lang", "en")


def test_pages_send_security_headers_and_protect_forms(page: Page, live_server) -> None:
    response = page.goto("/login")
    assert response is not None
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["wd_csrf"]["httpOnly"] is True
    assert cookies["wd_csrf"]["sameSite"] == "Lax"
    # A form post without the page's token is refused and logs nobody in.
    refused = page.request.post(
        "/login", form={"login": "alice@example.com", "password": "Demo-Wallet-2026!"}
    )
    assert refused.status == 403
    assert "wd_session" not in {c["name"] for c in page.context.cookies()}

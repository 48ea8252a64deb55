"""Verified contacts on the pages: money sent to a phone or email reaches only an account
that verified it, the transfer form says so, and the agent's customer 360 shows which of
a customer's contacts are verified, in English and Chinese."""

from __future__ import annotations

import uuid

from browser_steps import PASSWORD, available, funded_customer, log_in, verified_email
from playwright.sync_api import Page, expect

from walletdesk.identity import accounts
from walletdesk.identity.model import RequestContext
from walletdesk.support.tickets import service as tickets
from walletdesk.support.tickets.deps import TicketDeps

AGENT = "agent@walletdesk.dev"
CTX = RequestContext(user_agent="browser-test set-up", country="CN")


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


def _customer_with_a_ticket(container: object, locale: str) -> tuple[str, str]:
    """A customer with a phone (unverified) and an email (verified) and an open ticket;
    returns the email and the ticket's id."""
    email = f"contacts-{uuid.uuid4().hex[:10]}@example.com"
    customer = accounts.do_register(
        container.identity,  # type: ignore[attr-defined]
        phone=f"+86139{uuid.uuid4().int % 10**8:08d}",
        email=email,
        password=PASSWORD,
        display_name="Contact Customer",
        locale=locale,
        ctx=CTX,
    )
    verified_email(container, email)
    ticket = tickets.do_create_ticket(
        TicketDeps.of(container.engine, container.clock),  # type: ignore[attr-defined]
        customer,
        subject="Help",
        body="I need help with my account",
    )
    return email, str(ticket["id"])


def test_the_customer_360_shows_which_contacts_are_verified(page: Page, live_server) -> None:
    _email, ticket_id = _customer_with_a_ticket(live_server.container, "en")
    log_in(page, AGENT)
    page.goto(f"/agent/tickets/{ticket_id}")
    panel = page.get_by_test_id("customer-360")
    expect(panel.get_by_test_id("phone-unverified")).to_have_text("Not verified")
    expect(panel.get_by_test_id("phone-unverified")).to_have_attribute(
        "title",
        "The customer has not proven this contact reaches them: it may be anyone's, "
        "typed in at sign-up. Do not trust it to identify them.",
    )
    expect(panel.get_by_test_id("email-verified")).to_have_text("Verified")


def test_the_chinese_customer_360_shows_which_contacts_are_verified(
    zh_page: Page, live_server
) -> None:
    _email, ticket_id = _customer_with_a_ticket(live_server.container, "zh-CN")
    log_in(zh_page, AGENT)
    zh_page.goto(f"/agent/tickets/{ticket_id}")
    panel = zh_page.get_by_test_id("customer-360")
    expect(panel.get_by_test_id("phone-unverified")).to_have_text("未验证")
    expect(panel.get_by_test_id("email-verified")).to_have_text("已验证")

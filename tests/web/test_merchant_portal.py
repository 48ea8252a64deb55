"""The merchant portal in a real browser: payment links with their QR code, and refunds
the shop decides while the customer watches the status and the expected date."""

from __future__ import annotations

import re

from browser_steps import (
    PASSWORD,
    available,
    funded_customer,
    log_in,
    new_merchant,
    new_merchant_user,
    payment_link,
    shot,
    user_id_of,
)
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from walletdesk.audit.tables import audit_log


def test_a_refund_asked_by_the_customer_and_approved_by_the_shop_reaches_the_balance(
    page: Page, browser: Browser, live_server
) -> None:
    # Story 3. Given a customer who paid a shop CNY 38.00, and a person at that shop
    container = live_server.container
    merchant = new_merchant(container, name="Dumpling Bar")
    shop_login = new_merchant_user(container, merchant)
    customer = funded_customer(container, amount=100_00)
    payment_id = payment_link(container, merchant, 38_00, "Pork dumplings")
    log_in(page, customer, PASSWORD)
    page.goto(f"/pay/{payment_id}")
    page.get_by_role("button", name=re.compile("^Pay ")).click()
    page.wait_for_url(f"**/wallet/payments/{payment_id}?notice=notice.paid")

    # When the customer asks for CNY 10.00 back because part never arrived
    page.select_option("#refund-reason", "not_received")
    page.fill("#refund-amount", "10.00")
    page.fill("#refund-note", "Half the order was missing")
    page.get_by_test_id("refund-submit").click()
    page.wait_for_url("**/wallet/refunds/*")
    refund_url = page.url.split("?")[0]
    expect(page.get_by_test_id("refund-status")).to_have_text("Requested")
    expect(page.get_by_test_id("refund-expected")).to_have_text(
        "Straight to your balance once approved"
    )

    # And the shop approves it in the merchant portal
    shop = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        tab = shop.new_page()
        tab.on("dialog", lambda dialog: dialog.accept())
        log_in(tab, shop_login, PASSWORD)
        expect(tab).to_have_url(re.compile(r"/merchant$"))
        expect(tab.locator("h1")).to_have_text("Merchant portal")
        request = tab.locator("li.refund-request", has_text="Half the order was missing")
        expect(request).to_contain_text("10.00")
        expect(request).to_contain_text("I did not receive it")
        shot(tab, "merchant-portal")
        request.get_by_role("button", name="Approve refund").click()
        expect(tab.locator(".flash.ok")).to_have_text(
            "Refund approved; the customer has been told."
        )
        expect(tab.locator("li.refund-request").first).to_contain_text("Succeeded")
    finally:
        shop.close()
    # The audit trail names the person at the shop who decided, not just the shop.
    with container.engine.connect() as conn:
        decided = conn.execute(
            select(audit_log.c.actor_id, audit_log.c.actor_role, audit_log.c.after).where(
                audit_log.c.action == "merchant.refund.approved"
            )
        ).all()
    assert [(row.actor_id, row.actor_role) for row in decided] == [
        (user_id_of(container, shop_login), "merchant")
    ]
    assert decided[0].after["amount"] == 10_00

    # Then the customer sees it arrived, and the balance has it
    page.goto(refund_url)
    expect(page.get_by_test_id("refund-status")).to_have_text("Succeeded")
    expect(page.get_by_test_id("refund-expected")).to_have_text(
        "Arrived (My walletdesk balance (fastest))"
    )
    assert available(container, customer) == "72.00"
    page.goto("/wallet/refunds")
    expect(page.locator("tr[data-refund-id]").first).to_contain_text("Dumpling Bar")


def test_the_shop_makes_a_payment_link_with_its_pay_url_and_qr_code(
    page: Page, browser: Browser, live_server
) -> None:
    merchant = new_merchant(live_server.container, name="Noodle Stall")
    log_in(page, new_merchant_user(live_server.container, merchant), PASSWORD)
    page.goto("/merchant")
    page.fill("#link-amount", "25.50")
    page.fill("#link-description", "Beef noodles")
    page.select_option("#link-expiry", "60")
    page.click("form[action='/merchant/payment-links'] button[type=submit]")
    expect(page.locator(".flash.ok")).to_have_text("Payment link ready.")
    expect(page.get_by_test_id("link-status")).to_have_text("Waiting for payment")
    link = page.get_by_test_id("pay-link").input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/pay/[0-9a-f-]{{36}}", link)
    expect(page.locator(".qr svg")).to_be_visible()
    # A forged Host header cannot put another domain into the link or its QR code.
    forged = page.request.get(page.url, headers={"Host": "pay-help.example"})
    assert forged.ok
    assert "pay-help.example" not in forged.text()
    assert f'value="{link}"' in forged.text()
    shot(page, "merchant-payment-link")

    # The customer who opens the link signs in and lands back on it.
    customer = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        tab = customer.new_page()
        tab.goto(link)
        expect(tab).to_have_url(re.compile(r"/login\?next=/pay/"))
        tab.fill("#login", funded_customer(live_server.container, amount=30_00))
        tab.fill("#password", PASSWORD)
        tab.click("form[action='/login'] button[type=submit]")
        expect(tab).to_have_url(link)
        expect(tab.locator("#pay-h")).to_have_text("Noodle Stall")
        expect(tab.get_by_test_id("pay-amount")).to_contain_text("25.50")
    finally:
        customer.close()

    # A bad amount is refused and makes no link.
    page.goto("/merchant")
    page.fill("#link-amount", "-3")
    page.click("form[action='/merchant/payment-links'] button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("amount")
    expect(page.locator("tr[data-payment-id]")).to_have_count(1)


def test_customers_cannot_open_the_merchant_portal_nor_merchants_the_wallet(
    page: Page, live_server
) -> None:
    log_in(page, "alice@example.com")
    response = page.goto("/merchant")
    assert response is not None
    assert response.status == 403
    merchant = new_merchant(live_server.container)
    log_in(page, new_merchant_user(live_server.container, merchant), PASSWORD)
    response = page.goto("/wallet")
    assert response is not None
    assert response.status == 403

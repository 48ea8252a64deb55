"""The customer's stories in a real browser: from signing up to paying a merchant, and
from a failed payment to a person who can help."""

from __future__ import annotations

import re

from browser_steps import (
    add_card_and_top_up,
    available,
    enable_two_factor,
    log_in,
    new_merchant,
    payment_link,
    shot,
    sign_up,
    user_id_of,
)
from playwright.sync_api import Browser, Page, expect

from walletdesk.support.tickets.service import list_my_tickets


def test_sign_up_secure_top_up_pay_a_merchant_and_find_it_in_history(
    page: Page, live_server
) -> None:
    # Story 1. Given a new customer and a shop's payment link of CNY 38.00
    email = sign_up(page, name="Mei")
    merchant = new_merchant(live_server.container, name="Tea Garden")
    payment_id = payment_link(live_server.container, merchant, 38_00, "Jasmine tea")

    # When they turn on two-factor authentication
    _secret, codes = enable_two_factor(page)
    expect(page.locator("h1")).to_have_text("Your recovery codes")
    assert len(codes) == 10
    page.goto("/me/security")
    expect(page.get_by_test_id("2fa-on")).to_be_visible()

    # And add a card and top up CNY 200.00
    add_card_and_top_up(page, "200.00")
    expect(page.locator(".flash.ok")).to_contain_text("Top-up done")
    expect(page.get_by_test_id("available-CNY")).to_contain_text("200.00")
    shot(page, "customer-home")

    # And pay the shop's link
    page.goto(f"/pay/{payment_id}")
    expect(page.locator("#pay-h")).to_have_text("Tea Garden")
    expect(page.locator(".qr svg")).to_be_visible()
    page.get_by_role("button", name=re.compile("^Pay ")).click()

    # Then the payment's page says it succeeded, and the money left the balance
    page.wait_for_url(f"**/wallet/payments/{payment_id}?notice=notice.paid")
    expect(page.get_by_test_id("payment-status")).to_have_text("Succeeded")
    assert available(live_server.container, email) == "162.00"

    # And the history lists it, filtered by kind, with a way to its details
    page.goto("/wallet/history")
    page.select_option("#f-kind", "payment")
    page.click("form.filters button[type=submit]")
    row = page.locator(f"tr[data-id='{payment_id}']")
    expect(row).to_contain_text("38.00")
    expect(page.locator("tr[data-kind='topup']")).to_have_count(0)
    row.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text("Payment details")
    expect(page.get_by_test_id("diagnosis-cause")).to_have_text("The payment succeeded.")


def test_a_payment_failed_for_insufficient_funds_leads_to_a_ticket_linked_to_it(
    page: Page, browser: Browser, live_server
) -> None:
    # Story 2. Given a customer with an empty wallet and a shop's link of CNY 50.00
    email = sign_up(page, name="Lei")
    merchant = new_merchant(live_server.container)
    payment_id = payment_link(live_server.container, merchant, 50_00, "Teapot")

    # When they try to pay it
    page.goto(f"/pay/{payment_id}")
    page.get_by_role("button", name=re.compile("^Pay ")).click()

    # Then the page says why, and nothing was taken
    expect(page.locator(".flash.error")).to_have_text(
        "Your balance is not enough for this transaction."
    )
    expect(page.get_by_test_id("pay-failure")).to_contain_text("Top up your wallet")
    assert available(live_server.container, email) == "0.00"

    # When they open the diagnosis
    page.get_by_role("link", name="What happened and what to do").click()
    expect(page.get_by_test_id("diagnosis-cause")).to_contain_text("was below the payment")
    expect(page.get_by_test_id("diagnosis-retry")).to_have_text("Yes, after you top up.")
    expect(page.get_by_test_id("diagnosis")).to_contain_text("Top up your wallet")
    shot(page, "payment-diagnosis")

    # And ask for help with it
    page.get_by_test_id("payment-help").click()

    # Then a ticket exists, linked to the payment: on the page and in the service desk
    page.wait_for_url("**/me/help/tickets/*")
    expect(page.locator(".flash.ok")).to_contain_text("We have your request")
    expect(page.get_by_test_id("ticket-payment")).to_have_attribute(
        "href", f"/wallet/payments/{payment_id}"
    )
    ticket_id = page.url.split("/me/help/tickets/")[1].split("?")[0]
    tickets = list_my_tickets(
        live_server.container.engine, user_id_of(live_server.container, email)
    )
    assert [(t["id"], t["payment_id"]) for t in tickets] == [(ticket_id, payment_id)]
    page.goto("/me/help")
    expect(page.locator(f"li[data-ticket-id='{ticket_id}']")).to_be_visible()

    # And an agent finds it in the queue, with the payment linked.
    agent = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        tab = agent.new_page()
        log_in(tab, "agent@walletdesk.dev")
        tab.goto("/agent")
        row = tab.locator(f"tr[data-ticket-id='{ticket_id}']")
        expect(row).to_be_visible()
        row.get_by_role("link").first.click()
        expect(tab.get_by_test_id("linked-payment")).to_contain_text("Teapot")
    finally:
        agent.close()


def test_the_whole_first_story_in_chinese_on_a_phone(zh_page: Page, live_server) -> None:
    # Story 6: story 1 with a Chinese browser on a 390 px wide screen.
    page = zh_page
    email = sign_up(page, name="韩梅梅")
    merchant = new_merchant(live_server.container, name="茶馆 Tea House")
    payment_id = payment_link(live_server.container, merchant, 38_00, "龙井茶")

    page.goto("/wallet")
    expect(page.locator("h1")).to_have_text("我的钱包")
    expect(page.get_by_role("link", name="充值").first).to_be_visible()

    page.goto("/me/security")
    expect(page.locator("h1")).to_have_text("安全中心")
    expect(page.get_by_role("button", name="开启双重验证")).to_be_visible()
    _secret, codes = enable_two_factor(page)
    expect(page.locator("h1")).to_have_text("您的恢复码")
    assert len(codes) == 10

    page.goto("/wallet/topup")
    expect(page.locator("h1")).to_have_text("充值")
    expect(page.get_by_role("button", name="添加银行卡")).to_be_visible()
    add_card_and_top_up(page, "200.00")
    expect(page.locator(".flash.ok")).to_have_text("充值成功，款项已到账。")
    expect(page.get_by_test_id("available-CNY")).to_contain_text("200.00")
    shot(page, "customer-home-zh")

    page.goto(f"/pay/{payment_id}")
    expect(page.locator("h1")).to_have_text("付款")
    pay = page.get_by_role("button", name=re.compile("^支付"))
    expect(pay).to_be_visible()
    # Usable at 390 px: the button fits the screen.
    box = pay.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390
    pay.click()
    page.wait_for_url(f"**/wallet/payments/{payment_id}?notice=notice.paid")
    expect(page.locator(".flash.ok")).to_have_text("付款成功！")
    expect(page.locator("h1")).to_have_text("付款详情")
    expect(page.get_by_test_id("payment-status")).to_have_text("成功")
    assert available(live_server.container, email) == "162.00"

    page.goto("/wallet/history")
    expect(page.locator("h1")).to_have_text("账单")
    expect(page.locator(f"tr[data-id='{payment_id}']")).to_contain_text("付款")

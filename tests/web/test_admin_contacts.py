"""Directory changes through the admin pages: one admin proposes, another approves."""

from __future__ import annotations

import re

from browser_steps import log_in, unique_email
from playwright.sync_api import Page, expect

from walletdesk.identity import accounts
from walletdesk.identity.model import RequestContext
from walletdesk.identity.roles import Role
from walletdesk.identity.staff import console_operator

PASSWORD = "Correct-Horse-Battery-9"


def new_admin(container) -> str:
    email = unique_email("admin")
    accounts.do_register(
        container.identity,
        phone=None,
        email=email,
        password=PASSWORD,
        display_name="Second admin",
        locale="en",
        ctx=RequestContext(),
        role=Role.ADMIN,
        actor=console_operator(container.clock.now()),
    )
    return email


def test_a_reported_fake_number_is_flagged_once_a_second_admin_approves(
    page: Page, browser, live_server
) -> None:
    fake = "400-888-7777"
    log_in(page, "admin@walletdesk.dev")
    page.goto("/admin/contacts")
    page.select_option("#cc-provider", "walletdesk")
    page.select_option("#cc-kind", "phone")
    page.fill("#cc-value", fake)
    page.fill("#cc-region", "CN")
    page.select_option("#cc-status", "known_fake")
    page.select_option("#cc-tier", "official")
    page.fill("#cc-source", "walletdesk fraud team")
    page.fill("#cc-reason", "Customers report calls from it asking for codes")
    page.click("form[action='/admin/contacts/changes'] button[type=submit]")
    change = page.locator("[data-change-id]").filter(has_text=fake)
    expect(change).to_contain_text("awaiting review")

    # The proposer cannot approve their own change; the checker does not know it yet.
    change.get_by_role("button", name="Approve").click()
    expect(page.locator(".flash.error")).to_contain_text("second admin")
    page.goto(f"/check?value={fake}")
    expect(page.get_by_test_id("verdict")).not_to_have_class(re.compile("verdict-known_fake"))

    other = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        tab = other.new_page()
        tab.on("dialog", lambda dialog: dialog.accept())
        log_in(tab, new_admin(live_server.container), PASSWORD)
        tab.goto("/admin/contacts")
        tab.locator("[data-change-id]").filter(has_text=fake).get_by_role(
            "button", name="Approve"
        ).click()
        expect(tab.locator(".flash.ok")).to_contain_text("approved")
    finally:
        other.close()

    page.goto(f"/check?value={fake}")
    expect(page.get_by_test_id("verdict")).to_have_class(re.compile("verdict-known_fake"))

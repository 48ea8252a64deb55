"""Me -> Help & feedback (assistant, tickets, CSAT) and the security centre (sessions,
account changes with step-up) in a real browser."""

from __future__ import annotations

import re
import uuid

from browser_steps import PASSWORD, log_in, sign_up, unique_email, user_id_of
from playwright.sync_api import Browser, Page, expect

from walletdesk.identity import store
from walletdesk.identity.accounts import get_me
from walletdesk.identity.model import User
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.rules import TicketStatus
from walletdesk.support.tickets.service import do_agent_reply, do_change_status, get_my_ticket


def demo_agent(container: object) -> User:
    with container.engine.connect() as conn:  # type: ignore[attr-defined]
        row = store.user_row_by_login(conn, "email", "agent@walletdesk.dev")
    assert row is not None
    return User.from_row(row)


def test_the_assistant_answers_with_sources_and_hands_over_to_a_person(page: Page) -> None:
    sign_up(page, name="Asks")
    page.goto("/me/help")
    expect(page.locator("h1")).to_have_text("Help & feedback")
    expect(page.get_by_role("link", name="All official channels").first).to_have_attribute(
        "href", "/contact"
    )

    page.fill("#assistant-text", "How long does a refund take?")
    page.click("form[action='/me/help/assistant'] button[type=submit]")
    answer = page.get_by_test_id("assistant-answer")
    expect(answer).to_be_visible()
    expect(answer.locator("ul.citations a").first).to_have_attribute(
        "href", "/help/articles/how-long-does-a-refund-take"
    )

    page.fill("#assistant-text", "I want to talk to a human agent please")
    page.click("form[action='/me/help/assistant'] button[type=submit]")
    page.get_by_test_id("handoff-ticket").click()
    expect(page.get_by_test_id("ticket-status")).to_have_text("New")
    expect(page.locator("ol.chat")).to_contain_text("talk to a human agent")


def test_an_answer_that_did_not_help_leads_to_a_person_with_the_conversation(
    page: Page, live_server
) -> None:
    sign_up(page, name="Unhelped")
    page.goto("/me/help")
    page.fill("#assistant-text", "How long does a refund take?")
    page.click("form[action='/me/help/assistant'] button[type=submit]")
    feedback = page.get_by_test_id("assistant-feedback")
    feedback.get_by_role("button", name="No, I still need help").click()
    expect(page.get_by_test_id("assistant-sorry")).to_contain_text("Sorry that did not help")
    page.get_by_test_id("ask-person").click()
    page.get_by_test_id("handoff-ticket").click()
    # The person sees what was asked before: nobody has to repeat themselves.
    expect(page.locator("ol.chat")).to_contain_text("How long does a refund take?")

    page.goto("/me/help")
    page.fill("#assistant-text", "How do I top up?")
    page.click("form[action='/me/help/assistant'] button[type=submit]")
    page.get_by_test_id("assistant-feedback").get_by_role("button", name="Yes, thanks").click()
    expect(page.locator(".flash.ok")).to_have_text(
        "Thanks for telling us. It helps us improve the answers."
    )


def test_a_ticket_conversation_with_a_reply_and_a_rating_once_solved(
    page: Page, live_server
) -> None:
    container = live_server.container
    sign_up(page, name="Writes")
    page.goto("/me/help")
    page.click("details summary")
    page.fill("#ticket-subject", "Cannot find my receipt")
    page.fill("#ticket-body", "Where do I download a receipt for last week's payment?")
    page.click("form[action='/me/help/tickets'] button[type=submit]")
    page.wait_for_url("**/me/help/tickets/*")
    ticket_id = uuid.UUID(page.url.split("/me/help/tickets/")[1].split("?")[0])

    # An agent answers and solves it (through the service desk's own functions).
    deps = TicketDeps.of(container.engine, container.clock)
    agent = demo_agent(container)
    do_agent_reply(deps, agent, ticket_id, "History -> Download CSV has every payment.")
    do_change_status(deps, agent, ticket_id, TicketStatus.SOLVED)

    page.reload()
    expect(page.locator("ol.chat li")).to_have_count(2)
    expect(page.locator("ol.chat li").last).to_contain_text("walletdesk customer service")
    page.check("input[name=score][value='5']")
    page.fill("#csat-comment", "Quick and clear")
    page.click("form[action$='/csat'] button[type=submit]")
    expect(page.locator(".flash.ok").first).to_have_text("Thank you for your rating.")
    expect(page.locator("form[action$='/csat']")).to_have_count(0)

    # Replying to a solved ticket opens it again.
    page.fill("#reply-body", "Found it, thanks!")
    page.click("form[action$='/replies'] button[type=submit]")
    expect(page.get_by_test_id("ticket-status")).to_have_text("Open")


def test_sign_out_another_device_and_change_email_with_the_password(
    page: Page, browser: Browser, live_server
) -> None:
    email = sign_up(page, name="Moves")
    other = browser.new_context(base_url=live_server.url, user_agent="Other phone")
    try:
        tab = other.new_page()
        log_in(tab, email, PASSWORD)
        page.goto("/me/security")
        other_device = page.locator("li[data-session-id]", has_text="Other phone")
        expect(other_device).to_be_visible()
        page.on("dialog", lambda dialog: dialog.accept())
        other_device.get_by_role("button", name="Sign out").click()
        expect(page.locator(".flash.ok")).to_have_text("That device is signed out.")
        expect(page.locator("li[data-session-id]")).to_have_count(1)
        tab.goto("/wallet")
        expect(tab).to_have_url(f"{live_server.url}/login?next=/wallet")
    finally:
        other.close()

    new_email = unique_email("moved")
    page.goto("/me")
    page.fill("#new-email", new_email)
    page.fill("#email-password", "not-the-password-1")
    page.click("form[action='/me/email'] button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("not right")
    user_id = user_id_of(live_server.container, email)
    assert get_me(live_server.container.identity, user_id).email == email

    page.fill("#new-email", new_email)
    page.fill("#email-password", PASSWORD)
    page.click("form[action='/me/email'] button[type=submit]")
    expect(page.locator(".flash.ok")).to_have_text("Email changed.")
    expect(page.get_by_test_id("my-email")).to_have_text(new_email)


def test_control_characters_typed_into_a_ticket_form_are_not_stored(
    page: Page, live_server
) -> None:
    # A NUL is a 500 on PostgreSQL, and the other control characters are invisible:
    # the web forms drop them as the API does (api/text.py FreeText).
    container = live_server.container
    email = sign_up(page, name="Pastes")
    page.goto("/me/help")
    csrf = page.locator("input[name=csrf_token]").first.input_value()
    posted = page.request.post(
        "/me/help/tickets",
        form={
            "csrf_token": csrf,
            "subject": "Receipt\x00 missing\x07",
            "body": "Where\x00 is my receipt?\x1b\nThanks",
        },
    )
    assert posted.ok, posted.status
    ticket_id = uuid.UUID(posted.url.split("/me/help/tickets/")[1].split("?")[0])
    seen = get_my_ticket(container.engine, ticket_id, user_id_of(container, email))
    assert seen["subject"] == "Receipt missing"
    assert seen["messages"][0]["body"] == "Where is my receipt?\nThanks"


def test_a_chinese_question_on_the_english_page_is_answered_in_chinese(page: Page) -> None:
    sign_up(page, name="Asks in Chinese")
    page.goto("/me/help")
    expect(page.locator("h1")).to_have_text("Help & feedback")
    page.fill("#assistant-text", "退款多久能到账？")
    page.click("form[action='/me/help/assistant'] button[type=submit]")
    answer = page.get_by_test_id("assistant-answer")
    expect(answer).to_contain_text("退款")
    expect(answer.locator("ul.citations a").first).to_have_text(re.compile(r"[\u4e00-\u9fff]"))

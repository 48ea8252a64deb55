"""The rating link from the "ticket solved" email, opened in a browser without logging in."""

from __future__ import annotations

import uuid

from browser_steps import unique_email
from playwright.sync_api import Page, expect

from walletdesk.identity import accounts
from walletdesk.identity.model import RequestContext
from walletdesk.identity.roles import Role
from walletdesk.identity.staff import console_operator
from walletdesk.support.tickets import csat
from walletdesk.support.tickets import service as tickets
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.rules import TicketStatus
from walletdesk.support.tickets.views import csat_of


def solved_ticket_link(container) -> tuple[uuid.UUID, str]:
    deps = TicketDeps.of(container.engine, container.clock, container.settings)
    operator = console_operator(container.clock.now())
    customer = accounts.do_register(
        container.identity,
        phone=None,
        email=unique_email("rater"),
        password="Correct-Horse-Battery-9",
        display_name="Rater",
        locale="en",
        ctx=RequestContext(),
    )
    agent = accounts.do_register(
        container.identity,
        phone=None,
        email=unique_email("agent"),
        password="Correct-Horse-Battery-9",
        display_name="Agent",
        locale="en",
        ctx=RequestContext(),
        role=Role.AGENT,
        actor=operator,
    )
    ticket = tickets.do_create_ticket(
        deps, customer, subject="Where is my refund?", body="It has been a week"
    )
    ticket_id = uuid.UUID(ticket["id"])
    tickets.do_change_status(deps, agent, ticket_id, TicketStatus.SOLVED)
    assert deps.csat_secret is not None
    return ticket_id, csat.csat_link_for(deps, deps.csat_secret, ticket_id).token


def test_a_customer_rates_from_the_link_once(page: Page, live_server) -> None:
    _, token = solved_ticket_link(live_server.container)
    page.goto(f"/csat/{token}")
    expect(page.locator("h1")).to_have_text("How did we do?")
    expect(page.locator("main")).to_contain_text("Where is my refund?")
    page.check("input[name=score][value='5']")
    page.fill("#csat-comment", "Quick and clear")
    page.click("form[action^='/csat/'] button[type=submit]")
    expect(page.get_by_test_id("csat-thanks")).to_contain_text("5")
    # The same link afterwards shows the answer, not the form.
    page.goto(f"/csat/{token}")
    expect(page.locator("form[action^='/csat/']")).to_have_count(0)


def test_a_tampered_link_is_refused_and_records_nothing(page: Page, live_server) -> None:
    ticket_id, token = solved_ticket_link(live_server.container)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = page.goto(f"/csat/{tampered}")
    assert response is not None
    assert response.status in {400, 403, 404, 410, 422}
    expect(page.locator("form[action^='/csat/']")).to_have_count(0)
    # A post to the tampered link from the real page's form is refused too.
    page.goto(f"/csat/{token}")
    csrf = page.locator("input[name=csrf_token]").input_value()
    posted = page.request.post(f"/csat/{tampered}", form={"csrf_token": csrf, "score": "1"})
    assert posted.status in {400, 403, 404, 410, 422}
    with live_server.container.engine.connect() as conn:
        assert csat_of(conn, ticket_id) is None

"""Basic accessibility checks on every main page, in both languages.

Not a full audit (no axe here: the app and its tests work offline), but the
failures people actually meet: a field with no label, an image with no text, a
button or link with no name, a missing page language or main heading, and a page
wider than a phone.
"""

from __future__ import annotations

import pytest
from browser_steps import log_in
from playwright.sync_api import Browser, Page

from walletdesk.demo import DEMO_PASSWORD

# Each element is reported by its outerHTML's start, so a failure says where to look.
PROBLEMS_JS = """
() => {
  const problems = [];
  const named = (el) => (el.getAttribute('aria-label') || el.getAttribute('title') ||
    (el.getAttribute('aria-labelledby') && document.getElementById(el.getAttribute('aria-labelledby'))) ||
    el.textContent.trim() || (el.querySelector('img[alt]:not([alt=""])')) || el.value);
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') continue;
    const byFor = el.id && document.querySelector(`label[for="${el.id}"]`);
    if (!byFor && !el.closest('label') && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
      problems.push('unlabelled field: ' + el.outerHTML.slice(0, 120));
  }
  for (const el of document.querySelectorAll('img')) {
    if (!el.hasAttribute('alt')) problems.push('image without alt: ' + el.outerHTML.slice(0, 120));
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (!named(el)) problems.push('nameless control: ' + el.outerHTML.slice(0, 120));
  }
  if (!document.documentElement.lang) problems.push('no lang on <html>');
  if (document.querySelectorAll('h1').length !== 1) problems.push('h1 count ' + document.querySelectorAll('h1').length);
  const ids = {};
  for (const el of document.querySelectorAll('[id]')) {
    if (ids[el.id]) problems.push('duplicate id ' + el.id);
    ids[el.id] = true;
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    problems.push('wider than the screen: ' + document.documentElement.scrollWidth);
  return problems;
}
"""

PUBLIC = [
    "/",
    "/help",
    "/contact",
    "/check?value=400-888-9999",
    "/announcements",
    "/login",
    "/signup",
]
BY_ROLE = {
    "+8613800138000": [
        "/wallet",
        "/wallet/topup",
        "/wallet/transfer",
        "/wallet/history",
        "/wallet/refunds",
        "/wallet/limits",
        "/me",
        "/me/security",
        "/me/help",
    ],
    "merchant@walletdesk.dev": ["/merchant"],
    "agent@walletdesk.dev": ["/agent"],
    "supervisor@walletdesk.dev": ["/agent/approvals", "/admin/reports"],
    "admin@walletdesk.dev": [
        "/admin",
        "/admin/contacts",
        "/admin/articles",
        "/admin/merchants",
        "/admin/sla",
    ],
}


def problems_on(page: Page, path: str) -> list[str]:
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, (path, response.status)
    return [f"{path}: {p}" for p in page.evaluate(PROBLEMS_JS)]


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_public_pages_on_a_phone(browser: Browser, live_server, locale: str) -> None:
    context = browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": 360, "height": 740}
    )
    try:
        page = context.new_page()
        found = [p for path in PUBLIC for p in problems_on(page, path)]
    finally:
        context.close()
    assert found == []


@pytest.mark.parametrize("login", list(BY_ROLE))
def test_signed_in_pages(browser: Browser, live_server, login: str) -> None:
    # Phone-sized for customers and merchants; agents and admins work on a laptop.
    width = 390 if login.startswith("+") or login.startswith("merchant") else 1280
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": width, "height": 900}
    )
    try:
        page = context.new_page()
        log_in(page, login, DEMO_PASSWORD)
        found = [p for path in BY_ROLE[login] for p in problems_on(page, path)]
        # And one ticket view, with the whole console.
        if login.startswith("agent"):
            page.locator("tr[data-ticket-id] a").first.click()  # the demo has open tickets
            page.wait_for_url("**/agent/tickets/**")
            found += [f"ticket view: {p}" for p in page.evaluate(PROBLEMS_JS)]
    finally:
        context.close()
    assert found == []

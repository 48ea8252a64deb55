"""The admin pages in a real browser: the contact directory's review, help articles,
merchants (the API key shown once) and the SLA policies."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from browser_steps import log_in
from playwright.sync_api import Page, expect

from walletdesk.support.contacts.admin import current_directory
from walletdesk.support.contacts.directory import default_directory
from walletdesk.support.helpcenter.service import get_article, list_articles
from walletdesk.web.pages.admin import directory_review

ADMIN = "admin@walletdesk.dev"


def test_contact_directory_review_lists_every_channel_with_its_source(
    page: Page, live_server: Any
) -> None:
    # As served: the shipped directory plus changes other tests approved on this server.
    served = current_directory(live_server.container.engine)
    channels = sum(len(p.channels) for p in served.providers)
    log_in(page, ADMIN)
    page.goto("/admin/contacts")
    rows = page.locator("table.contacts-review tbody tr")
    expect(rows).to_have_count(channels)
    expect(page.locator("table.contacts-review")).to_contain_text("400-888-9999")
    expect(rows.first).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
    stale = page.locator("tr[data-stale=true]").count()
    page.goto("/admin/contacts?stale=true")
    expect(page.locator("table.contacts-review tbody tr")).to_have_count(stale)


def test_a_new_merchants_api_key_is_shown_once(page: Page) -> None:
    name = f"Noodle Bar {uuid.uuid4().hex[:6]}"
    log_in(page, ADMIN)
    page.goto("/admin/merchants")
    page.fill("#merchant-name", name)
    page.fill("#merchant-window", "14")
    page.check("input[name=approval][value=automatic]")
    page.click("form[action='/admin/merchants'] button[type=submit]")
    key = page.get_by_test_id("api-key")
    expect(key).to_contain_text(name)
    expect(key.locator("code")).to_have_text(re.compile(r"^wdk_live_\S{20,}$"))
    api_key = key.locator("code").inner_text()
    row = page.locator("tr", has_text=name)
    expect(row).to_contain_text("14 days; approved automatically within policy")
    expect(row).to_contain_text(api_key[:14])

    page.goto("/admin/merchants")
    expect(page.get_by_test_id("api-key")).to_have_count(0)
    assert api_key not in page.content()
    expect(page.locator("tr", has_text=name)).to_be_visible()


def test_an_invalid_merchant_is_refused_with_the_services_words(page: Page) -> None:
    log_in(page, ADMIN)
    page.goto("/admin/merchants")
    page.fill("#merchant-name", "Shop")
    page.fill("#merchant-webhook", "ftp://shop.example/hooks")
    # The browser's own URL check would stop this form; the server must refuse it too.
    page.eval_on_selector("#merchant-webhook", "el => el.type = 'text'")
    page.click("form[action='/admin/merchants'] button[type=submit]")
    expect(page.locator(".flash.error")).to_be_visible()
    expect(page.locator("#merchant-name")).to_have_value("Shop")


def test_editing_an_article_changes_the_help_centre_and_can_be_undone(
    page: Page, live_server: Any
) -> None:
    engine = live_server.container.engine
    slug = list_articles(engine, "zh-CN")[0].slug
    original = get_article(engine, slug, "zh-CN").article
    log_in(page, ADMIN)
    page.goto("/admin/articles")
    page.locator(f'tr[data-slug="{slug}"] a[lang="zh-CN"]').click()
    expect(page.locator("#article-title")).to_have_value(original.title)
    try:
        page.fill("#article-title", original.title + "（已更新）")
        page.click("form.card button[type=submit]")
        expect(page.locator(".flash.ok")).to_have_text("Article saved and re-indexed.")
        page.goto(f"/lang/zh-CN?next=/help/articles/{slug}")
        expect(page.locator("article h1")).to_have_text(original.title + "（已更新）")
    finally:
        page.goto(f"/lang/en?next=/admin/articles/{slug}/zh-CN")
        page.fill("#article-title", original.title)
        page.click("form.card button[type=submit]")
        expect(page.locator(".flash.ok")).to_be_visible()
    assert get_article(engine, slug, "zh-CN").article.title == original.title


def test_an_article_edit_without_a_title_is_refused(page: Page, live_server: Any) -> None:
    slug = list_articles(live_server.container.engine, "en")[0].slug
    log_in(page, ADMIN)
    page.goto(f"/admin/articles/{slug}/en")
    page.eval_on_selector("#article-title", "el => el.removeAttribute('required')")
    page.fill("#article-title", "   ")
    page.click("form.card button[type=submit]")
    expect(page.locator(".flash.error")).to_be_visible()


def test_sla_policies_are_shown_by_priority_with_the_calendar(zh_page: Page) -> None:
    log_in(zh_page, ADMIN)
    zh_page.goto("/admin/sla")
    expect(zh_page.locator("h1")).to_have_text("SLA 策略")
    urgent = zh_page.locator("tr[data-priority=urgent]")
    expect(urgent).to_contain_text("1 个工作小时")
    expect(urgent).to_contain_text("8 个工作小时")
    expect(zh_page.locator("main")).to_contain_text("Asia/Shanghai")


def test_staff_who_are_not_admins_cannot_open_admin_pages(page: Page) -> None:
    log_in(page, "agent@walletdesk.dev")
    for path in ("/admin", "/admin/merchants", "/admin/contacts"):
        response = page.goto(path)
        assert response is not None, path
        assert response.status == 403, path
    response = page.goto("/admin/reports")  # reports are for every staff member
    assert response is not None
    assert response.status == 200


def test_entries_not_verified_for_180_days_are_flagged_for_review() -> None:
    directory = default_directory()
    newest = max(c.last_verified for p in directory.providers for c in p.channels)
    assert not any(r.stale for r in directory_review(directory, newest))
    later = directory_review(directory, newest + timedelta(days=181))
    assert all(r.stale for r in later if r.channel.last_verified == newest)
    assert {r.age_days for r in later if r.channel.last_verified == newest} == {181}
    boundary = directory_review(directory, newest + timedelta(days=180))
    assert not any(r.stale for r in boundary if r.channel.last_verified == newest)

"""Help-centre API (API.md "Customer service"): public search, lists and articles in zh-CN and en."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from walletdesk.api.app import create_app
from walletdesk.api.routes import help as help_routes
from walletdesk.bootstrap import Container
from walletdesk.support.helpcenter import tables as help_tables
from walletdesk.support.helpcenter.service import load_articles

# Until the lead wires them in, importing the tables puts them on the shared metadata.
assert help_tables.help_articles.name == "help_articles"

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def help_client(container: Container) -> Iterator[TestClient]:
    load_articles(container.engine, container.clock)
    app = create_app(container)
    if not any(getattr(route, "path", "") == "/api/v1/help/articles" for route in app.routes):
        app.include_router(help_routes.router)
    with TestClient(app, raise_server_exceptions=True) as client:
        yield client


def test_an_english_question_finds_the_card_refund_article(help_client: TestClient) -> None:
    response = help_client.get(
        "/api/v1/help/articles",
        params={"q": "how long does a refund to my card take", "locale": "en"},
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert items[0]["slug"] == "how-long-does-a-refund-take"
    assert set(items[0]) == {"slug", "title", "category", "snippet"}
    assert items[0]["category"] == "refund"
    assert "<mark>" in items[0]["snippet"]


def test_a_chinese_question_finds_the_password_reset_article(help_client: TestClient) -> None:
    response = help_client.get(
        "/api/v1/help/articles", params={"q": "忘记密码怎么办", "locale": "zh-CN"}
    )
    assert response.status_code == 200
    first = response.json()["items"][0]
    assert first["slug"] == "forgot-password"
    assert first["title"] == "忘记密码怎么办？安全地重置密码"


def test_the_language_comes_from_accept_language_when_not_given(help_client: TestClient) -> None:
    response = help_client.get(
        "/api/v1/help/articles",
        params={"q": "客服电话"},
        headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"},
    )
    items = response.json()["items"]
    assert "contact-official-customer-service" in [item["slug"] for item in items[:3]]
    assert {item["category"] for item in items[:2]} == {"contact"}
    assert "客服" in items[0]["title"]


def test_without_a_query_the_list_is_by_category_and_filterable(help_client: TestClient) -> None:
    response = help_client.get(
        "/api/v1/help/articles", params={"locale": "en", "category": "limit_increase"}
    )
    items = response.json()["items"]
    assert {item["category"] for item in items} == {"limit_increase"}
    assert {item["slug"] for item in items} == {
        "payment-limits-explained",
        "how-to-raise-your-limit",
        "verify-identity-to-upgrade-tier",
    }


def test_limit_caps_the_number_of_results(help_client: TestClient) -> None:
    response = help_client.get("/api/v1/help/articles", params={"q": "refund", "limit": 2})
    assert len(response.json()["items"]) == 2


def test_bad_parameters_are_a_validation_problem(help_client: TestClient) -> None:
    for params in ({"limit": 0}, {"limit": 51}, {"category": "nope"}, {"locale": "fr"}):
        response = help_client.get("/api/v1/help/articles", params=params)
        assert response.status_code == 422, params
        assert response.json()["code"] == "validation_error"


def test_an_article_is_served_in_the_asked_language(help_client: TestClient) -> None:
    response = help_client.get(
        "/api/v1/help/articles/payment-limits-explained", params={"locale": "zh-CN"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["locale"] == "zh-CN"
    assert body["fallback"] is False
    assert body["title"] == "支付限额说明：I 类、II 类、III 类账户"
    assert "5,000 元" in body["body_markdown"]
    assert body["category"] == "limit_increase"


def test_an_article_defaults_to_the_accept_language(help_client: TestClient) -> None:
    response = help_client.get(
        "/api/v1/help/articles/two-factor-authentication", headers={"Accept-Language": "en-GB"}
    )
    assert response.json()["title"].startswith("Two-factor authentication")


def test_an_unknown_article_is_a_404_problem_in_the_request_language(
    help_client: TestClient,
) -> None:
    response = help_client.get(
        "/api/v1/help/articles/no-such-thing", headers={"Accept-Language": "zh-CN"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "not_found"
    assert response.json()["detail"] == "未找到。"

"""The app starts, answers its health check and publishes its OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from walletdesk.api.app import create_app
from walletdesk.api.i18n import negotiate
from walletdesk.bootstrap import build
from walletdesk.settings import Settings

BACKENDS = ["sqlite"]


@pytest.fixture
def client(database_settings: Settings) -> Iterator[TestClient]:
    container = build(database_settings)
    with TestClient(create_app(container)) as test_client:
        yield test_client
    container.close()


def test_health_reports_the_database_it_talks_to(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "sqlite"


def test_openapi_document_is_served_under_api_v1(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/health" in response.json()["paths"]


def test_unknown_path_is_a_404(client: TestClient) -> None:
    assert client.get("/api/v1/nothing-here").status_code == 404


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.5", "en"),
        ("fr-FR", "en"),
        ("zh-TW", "zh-CN"),
        ("en;q=0.2, zh;q=0.8", "zh-CN"),
        ("zh;q=abc, en", "en"),
    ],
)
def test_the_request_language_is_negotiated(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected

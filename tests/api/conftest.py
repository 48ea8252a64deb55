"""An app per test, on SQLite and PostgreSQL, with a fake clock and cheap argon2 settings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient

from walletdesk.api.app import create_app
from walletdesk.bootstrap import Container, build
from walletdesk.core.clock import FakeClock
from walletdesk.settings import Settings

STRONG = "Correct-Horse-Battery-9"


@pytest.fixture
def container(database_settings: Settings, clock: FakeClock) -> Iterator[Container]:
    # Cheap argon2 keeps the suite fast; the production cost is measured in bench/.
    settings = database_settings.model_copy(
        update={"argon2_time_cost": 1, "argon2_memory_kib": 64, "argon2_parallelism": 1}
    )
    built = build(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@dataclass
class Customer:
    """A signed-up, logged-in customer and the headers that act as them."""

    client: TestClient
    user: dict[str, Any]
    token: str
    password: str = STRONG
    totp_secret: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **self.extra_headers}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(
            path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        )

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.client.post(
            path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        )

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.client.put(
            path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        )

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.client.delete(
            path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        )

    def step_up(self) -> str:
        response = self.post(
            "/api/v1/me/verifications", json={"method": "password", "password": self.password}
        )
        assert response.status_code == 201, response.json()
        return str(response.json()["verification_token"])


def sign_up(
    client: TestClient,
    *,
    phone: str | None = "+8613800138000",
    email: str | None = None,
    locale: str = "en",
    name: str = "Li Lei",
    device: str = "phone-1",
) -> Customer:
    body = {
        "phone": phone,
        "email": email,
        "password": STRONG,
        "display_name": name,
        "locale": locale,
    }
    created = client.post("/api/v1/users", json=body)
    assert created.status_code == 201, created.json()
    login = email or phone
    session = client.post(
        "/api/v1/sessions",
        json={"login": login, "password": STRONG},
        headers={"X-Device-Id": device, "User-Agent": f"walletdesk-app/{device}"},
    )
    assert session.status_code == 201, session.json()
    return Customer(client, created.json(), session.json()["token"])


def totp_now(secret: str, clock: FakeClock, offset_steps: int = 0) -> str:
    return str(pyotp.TOTP(secret).at(clock.now().timestamp() + 30 * offset_steps))

"""An app per test, on SQLite and PostgreSQL, with a fake clock and cheap argon2 settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from walletdesk.api.app import create_app
from walletdesk.bootstrap import Container, build
from walletdesk.core.clock import FakeClock
from walletdesk.settings import Settings


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

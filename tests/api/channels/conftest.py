"""The inbound-channel tests' world: an app on a Monday morning in Shanghai that knows
the channels' signing secret, and a customer the channels recognise (channel_world)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_world import Customer
from channel_world import MONDAY_9, SECRET, channel_customer
from fastapi.testclient import TestClient
from pydantic import SecretStr

from walletdesk.api.app import create_app
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock


@pytest.fixture
def client(
    container: Container, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    monkeypatch.setattr(container.settings, "channels_secret", SecretStr(SECRET))
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def me(client: TestClient, container: Container) -> Customer:
    return channel_customer(client, container)

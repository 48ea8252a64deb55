"""The agent desk's tests share one world: a client on a Monday morning in Shanghai with
the help articles loaded, a customer, an agent and a supervisor (the second pair of eyes).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from agent_world import PHONE, staff
from api_world import Customer, sign_up
from fastapi.testclient import TestClient

from walletdesk.api.app import create_app
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity.roles import Role
from walletdesk.support.helpcenter.service import load_articles

# Monday 2 March 2026, 09:00 in Shanghai: inside business hours, so SLA clocks run.
MONDAY_9 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def client(container: Container, clock: FakeClock) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    load_articles(container.engine, container.clock)
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def me(client: TestClient) -> Customer:
    return sign_up(client, phone=PHONE)


@pytest.fixture
def agent(client: TestClient, container: Container) -> Customer:
    return staff(client, container, 1)


@pytest.fixture
def supervisor(client: TestClient, container: Container) -> Customer:
    return staff(client, container, 2, Role.SUPERVISOR)

"""Fixtures for the notify tests: the message twins and a dispatcher over them.

The shared fixtures build each test database from ``walletdesk.db.schema.metadata``.
Until the notify tables are imported there, importing them here, when pytest
loads this conftest and before any fixture runs, registers them on that same
metadata so ``create_all`` (SQLite) and the session's PostgreSQL schema include them.
"""

from __future__ import annotations

import pytest
from notify_world import UpperBoundRandom
from sqlalchemy import Engine

import walletdesk.notify.tables  # noqa: F401  (registers the tables at collection time)
from walletdesk.core.clock import FakeClock
from walletdesk.notify.channels import StoredEmailSender, StoredSmsSender
from walletdesk.notify.dispatcher import Dispatcher


@pytest.fixture
def email_twin(engine: Engine, clock: FakeClock) -> StoredEmailSender:
    return StoredEmailSender(engine, clock)


@pytest.fixture
def sms_twin(engine: Engine, clock: FakeClock) -> StoredSmsSender:
    return StoredSmsSender(engine, clock)


@pytest.fixture
def dispatcher(
    engine: Engine, clock: FakeClock, email_twin: StoredEmailSender, sms_twin: StoredSmsSender
) -> Dispatcher:
    return Dispatcher(engine, clock, email_twin, sms_twin, rng=UpperBoundRandom())

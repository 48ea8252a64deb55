"""Housekeeping forgets throttle rows that no longer count, and only those.

Failed logins (per source address and per unknown login) and codes texted to a phone
are counted in the throttle table, one row per key, in fixed windows read from the
settings (15 minutes for failures and the short SMS cap, a day for the daily SMS cap),
with a lockout on top for failures. A row is deleted once its window has ended and
no lockout runs; until then it stays and keeps counting.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from api_world import sign_up
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.housekeeping import Housekeeper
from walletdesk.identity import tables as t
from walletdesk.identity import throttle

BACKENDS = ["sqlite", "postgres"]
UNKNOWN_LOGIN = "+8613900000000"


def kinds(container: Container) -> list[str]:
    """The kind (key prefix) of every throttle row, sorted: keys are hashed."""
    with container.engine.connect() as conn:
        sources = conn.execute(select(t.source_throttle.c.source)).scalars().all()
    return sorted(source.split(":")[0] for source in sources)


def rows(container: Container) -> list[tuple[Any, ...]]:
    with container.engine.connect() as conn:
        query = select(t.source_throttle).order_by(t.source_throttle.c.source)
        return [tuple(r) for r in conn.execute(query)]


def prune(container: Container) -> int:
    return Housekeeper(container).run_once().throttle_rows_purged


def fail_login(client: TestClient) -> Any:
    return client.post("/api/v1/sessions", json={"login": UNKNOWN_LOGIN, "password": "wrong"})


def seed(container: Container, *keys: tuple[str, datetime, datetime | None]) -> None:
    """Throttle rows written directly: (key, first_failure_at, locked_until)."""
    with container.engine.begin() as conn:
        conn.execute(
            insert(t.source_throttle),
            [
                {"source": key, "failures": 1, "first_failure_at": first, "locked_until": locked}
                for key, first, locked in keys
            ],
        )


def test_rows_stay_while_their_window_runs_and_go_when_it_has_ended(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    # Given a failed login for a login nobody has, and a step-up code texted
    me = sign_up(client)
    assert fail_login(client).status_code == 401
    assert me.post("/api/v1/me/verifications/sms").status_code == 202
    assert kinds(container) == ["ip", "login", "sms-day", "sms-short"]
    # Inside every window nothing goes
    clock.advance(timedelta(minutes=15) - timedelta(seconds=1))
    before = rows(container)
    assert prune(container) == 0
    assert rows(container) == before
    # When the 15-minute windows end, their rows go; the daily cap's stays
    clock.advance(timedelta(seconds=1))
    assert prune(container) == 3
    assert kinds(container) == ["sms-day"]
    # and it still counts: that phone has had 1 of its 10 codes today
    with container.engine.connect() as conn:
        (day,) = conn.execute(select(t.source_throttle)).all()
    assert day.failures == 1
    # until its day is over
    clock.advance(timedelta(days=1) - timedelta(minutes=15))
    assert prune(container) == 1
    assert kinds(container) == []
    assert prune(container) == 0


def test_a_lockout_in_force_survives_a_prune_after_its_window_ended(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    # Given an unknown login (and its source address, at a lower limit here) locked out
    # by five failures, the first ten minutes before the other four
    container.settings.max_failed_logins_per_source = 5
    assert fail_login(client).status_code == 401
    clock.advance(timedelta(minutes=10))
    answers = [fail_login(client).json()["code"] for _ in range(4)]
    assert answers == ["invalid_credentials"] * 3 + ["account_locked"]
    # When housekeeping runs after the counting window ended, with the lockout running
    clock.advance(timedelta(minutes=6))
    before = rows(container)
    assert prune(container) == 0
    # Then both rows stay, and the lockout still answers
    assert rows(container) == before
    assert kinds(container) == ["ip", "login"]
    assert fail_login(client).json()["code"] == "account_locked"
    # Once the lockout is over the rows count for nothing, and go
    clock.advance(timedelta(minutes=9))
    assert prune(container) == 2
    assert kinds(container) == []
    assert fail_login(client).json()["code"] == "invalid_credentials"


def test_the_windows_are_the_settings(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    # Given longer windows than the defaults
    container.settings.failure_window_minutes = 60
    container.settings.sms_short_window_minutes = 30
    me = sign_up(client)
    assert fail_login(client).status_code == 401
    assert me.post("/api/v1/me/verifications/sms").status_code == 202
    # Then 15 minutes on everything stays, at 30 the short SMS cap goes, at 60 the rest
    clock.advance(timedelta(minutes=15))
    assert prune(container) == 0
    clock.advance(timedelta(minutes=15))
    assert prune(container) == 1
    assert kinds(container) == ["ip", "login", "sms-day"]
    clock.advance(timedelta(minutes=30))
    assert prune(container) == 2
    assert kinds(container) == ["sms-day"]


def test_a_key_of_no_known_kind_is_never_pruned(container: Container, clock: FakeClock) -> None:
    long_ago = clock.now() - timedelta(days=400)
    seed(container, ("someday:x", long_ago, None), ("ip:198.51.100.7", long_ago, None))
    assert prune(container) == 1
    assert kinds(container) == ["someday"]


def test_a_pass_deletes_in_batches_and_stops_at_its_bound(
    container: Container, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(throttle, "PURGE_BATCH", 2)
    monkeypatch.setattr(throttle, "PURGE_BATCHES", 2)
    now = clock.now()
    expired = [(f"ip:198.51.100.{n}", now - timedelta(hours=n), None) for n in range(1, 6)]
    live = ("ip:203.0.113.1", now - timedelta(minutes=1), None)
    locked = ("ip:203.0.113.2", now - timedelta(hours=9), now + timedelta(minutes=1))
    seed(container, *expired, live, locked)
    # Two batches of two, oldest first; the fifth waits for the next pass
    assert throttle.purge_expired(container.identity) == 4
    with container.engine.connect() as conn:
        left = sorted(conn.execute(select(t.source_throttle.c.source)).scalars().all())
    assert left == ["ip:198.51.100.1", "ip:203.0.113.1", "ip:203.0.113.2"]
    assert throttle.purge_expired(container.identity) == 1
    assert throttle.purge_expired(container.identity) == 0
    assert kinds(container) == ["ip", "ip"]

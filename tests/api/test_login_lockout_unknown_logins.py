"""POST /sessions: the lockout must not tell which logins are registered.

An unknown login's failures are counted per normalised login and locked with the
account's limit and window, so it gets the same answers, in the same order, as a
registered login would; nothing is created for it but a hashed counter.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api_world import STRONG, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as t

BACKENDS = ["sqlite", "postgres"]
KNOWN = "+8613800138000"
UNKNOWN = "+8613900139000"


def count(container: Container, table: Any) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def attempt(client: TestClient, login: str, password: str = "wrong-password-1") -> Any:
    return client.post(
        "/api/v1/sessions",
        json={"login": login, "password": password},
        headers={"Accept-Language": "zh-CN"},
    )


def answers(client: TestClient, login: str, times: int) -> list[tuple[int, Any]]:
    return [(r.status_code, r.json()) for r in (attempt(client, login) for _ in range(times))]


def test_an_unknown_login_is_answered_exactly_like_a_known_one_at_every_attempt(
    client: TestClient, container: Container
) -> None:
    # Given one registered login and one that no account has
    sign_up(client, phone=KNOWN)
    users, sessions = count(container, t.users), count(container, t.sessions)
    # When each gets six wrong passwords (the fifth reaches the limit, the sixth is locked)
    known = answers(client, KNOWN, 6)
    unknown = answers(client, UNKNOWN, 6)
    # Then the two are indistinguishable, body and all (the fake clock stands still, so
    # even locked_until agrees)
    assert unknown == known
    assert [status for status, _ in known] == [401, 401, 401, 401, 423, 423]
    assert known[-1][1]["code"] == "account_locked"
    # and nothing was created for the unknown login: no user, no session
    assert count(container, t.users) == users
    assert count(container, t.sessions) == sessions


def test_the_unknown_logins_counter_is_kept_hashed_and_per_normalised_login(
    client: TestClient, container: Container
) -> None:
    # Five spellings of one phone number share one counter...
    for login in ("13900139000", "+86 139 0013 9000", "+8613900139000", "139-0013-9000"):
        assert attempt(client, login).status_code == 401
    fifth = attempt(client, "(+86) 13900139000")
    assert fifth.status_code == 423
    assert fifth.json()["code"] == "account_locked"
    with container.engine.connect() as conn:
        keys = [r.source for r in conn.execute(select(t.source_throttle.c.source)).all()]
    # ...under a key that does not hold the number people typed.
    login_keys = [k for k in keys if k.startswith("login:")]
    assert len(login_keys) == 1
    assert "13900139000" not in login_keys[0]
    assert len(login_keys[0]) <= 64
    assert count(container, t.users) == 0


def test_an_unknown_logins_lock_ends_like_an_accounts(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    answers(client, UNKNOWN, 5)
    assert attempt(client, UNKNOWN).status_code == 423
    clock.advance(timedelta(minutes=15, seconds=1))
    after = attempt(client, UNKNOWN)
    assert after.status_code == 401
    assert after.json()["code"] == "invalid_credentials"
    assert count(container, t.users) == 0


def test_failures_counted_before_a_sign_up_do_not_lock_the_new_account(
    client: TestClient, container: Container
) -> None:
    # The counter stands in for an account that does not exist; once one does, its own
    # counters decide.
    answers(client, UNKNOWN, 5)
    sign_up(client, phone=UNKNOWN, device="new-phone")
    assert attempt(client, UNKNOWN, STRONG).status_code == 201


def test_failures_on_different_unknown_logins_do_not_lock_each_other(
    client: TestClient, container: Container
) -> None:
    answers(client, UNKNOWN, 5)
    other = attempt(client, "+8613700137000")
    assert other.status_code == 401
    assert other.json()["code"] == "invalid_credentials"

"""Texting one-time codes is capped per phone number: 5 per 15 minutes, 10 per day.

Past a cap the answer is 429 `sms_rate_limited` with Retry-After, in the request's
language, and nothing is sent, stored or counted.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from agent_world import open_ticket, staff, start_check
from api_world import sign_up
from fastapi.testclient import TestClient
from sqlalchemy import select

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as t
from walletdesk.notify import tables as notify_tables

BACKENDS = ["sqlite", "postgres"]
PHONE = "+8613800138000"


def state(container: Container) -> dict[str, Any]:
    with container.engine.connect() as conn:
        return {
            "challenges": conn.execute(select(t.sms_challenges.c.id)).all(),
            "throttle": conn.execute(
                select(t.source_throttle).order_by(t.source_throttle.c.source)
            ).all(),
            "outbox": conn.execute(select(notify_tables.outbox.c.id)).all(),
        }


@pytest.mark.parametrize(("lang", "words"), [("en", "Too many codes"), ("zh-CN", "次数过多")])
def test_the_sixth_code_in_15_minutes_is_refused_and_nothing_is_sent(
    client: TestClient, container: Container, clock: FakeClock, lang: str, words: str
) -> None:
    me = sign_up(client, phone=PHONE)
    for _ in range(5):
        assert me.post("/api/v1/me/verifications/sms").status_code == 202
    before = state(container)
    refused = me.post("/api/v1/me/verifications/sms", headers={"Accept-Language": lang})
    assert refused.status_code == 429
    assert refused.json()["code"] == "sms_rate_limited"
    assert words in refused.json()["detail"]
    assert refused.headers["Retry-After"] == str(15 * 60)
    assert state(container) == before
    # The window over, codes go out again
    clock.advance(timedelta(minutes=15))
    assert me.post("/api/v1/me/verifications/sms").status_code == 202


def test_no_more_than_ten_codes_a_day(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client, phone=PHONE)
    for _ in range(2):
        for _ in range(5):
            assert me.post("/api/v1/me/verifications/sms").status_code == 202
        clock.advance(timedelta(minutes=15))
    before = state(container)
    refused = me.post("/api/v1/me/verifications/sms")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(24 * 3600 - 30 * 60)
    assert state(container) == before


def test_an_agents_sms_check_counts_towards_the_same_cap(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE)
    agent = staff(client, container, 1)
    ticket = open_ticket(me)
    for _ in range(5):
        assert me.post("/api/v1/me/verifications/sms").status_code == 202
    before = state(container)
    refused = start_check(agent, ticket, "sms", lang="zh-CN")
    assert refused.status_code == 429
    assert "次数过多" in refused.json()["detail"]
    assert "Retry-After" in refused.headers
    assert state(container) == before

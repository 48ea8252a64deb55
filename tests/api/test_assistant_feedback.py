"""The customer's "did this help?" on an assistant conversation, and the honest resolution rate.

Resolved = the customer confirmed it helped, or (signed in) did not hand over and
opened no ticket in the next 24 hours. Anonymous conversations count only when
confirmed; conversations younger than 24 hours without an answer are pending.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_world import sign_up
from fastapi.testclient import TestClient
from sqlalchemy import select

from walletdesk.api.app import create_app
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.support.assistant_feedback import resolution
from walletdesk.support.channels.tables import assistant_conversations
from walletdesk.support.helpcenter.service import load_articles

BACKENDS = ["sqlite", "postgres"]
MONDAY_9 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
QUESTION = "how do I top up my wallet"


@pytest.fixture
def client(container: Container, clock: FakeClock) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    load_articles(container.engine, container.clock)
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


def ask(client: TestClient, text: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.post("/api/v1/assistant/messages", json={"text": text}, headers=headers)
    assert response.status_code == 200, response.json()
    answer: dict[str, Any] = response.json()
    return answer


def stored_feedback(container: Container, conversation_id: str) -> Any:
    c = assistant_conversations.c
    with container.engine.connect() as conn:
        return conn.execute(
            select(c.feedback, c.feedback_at).where(c.id == uuid.UUID(conversation_id))
        ).one()


def test_the_customer_says_whether_it_helped_and_the_last_answer_counts(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client)
    chat = ask(client, QUESTION, me.headers)
    assert chat["handed_off"] is False
    path = f"/api/v1/assistant/conversations/{chat['conversation_id']}/feedback"

    no = me.post(path, json={"helpful": False})
    assert no.status_code == 200
    assert no.json() == {"conversation_id": chat["conversation_id"], "feedback": "not_helpful"}
    yes = me.post(path, json={"helpful": True})
    assert yes.json()["feedback"] == "helpful"
    assert stored_feedback(container, chat["conversation_id"]).feedback == "helpful"


def test_only_the_conversations_owner_can_answer_and_a_refusal_changes_nothing(
    client: TestClient, container: Container
) -> None:
    owner = sign_up(client)
    stranger = sign_up(client, phone="+8613900139000", device="phone-2")
    chat = ask(client, QUESTION, owner.headers)
    path = f"/api/v1/assistant/conversations/{chat['conversation_id']}/feedback"
    before = stored_feedback(container, chat["conversation_id"])

    assert stranger.post(path, json={"helpful": True}).status_code == 404
    assert client.post(path, json={"helpful": True}).status_code == 404  # anonymous
    missing = f"/api/v1/assistant/conversations/{uuid.uuid4()}/feedback"
    assert owner.post(missing, json={"helpful": True}).status_code == 404
    bad = owner.post(path, json={"helpful": "maybe"}, headers={"Accept-Language": "zh-CN"})
    assert bad.status_code == 422
    assert bad.json()["detail"] == "请求中有无效的字段。"
    assert stored_feedback(container, chat["conversation_id"]) == before


def test_an_anonymous_conversation_takes_feedback_from_whoever_holds_its_id(
    client: TestClient, container: Container
) -> None:
    chat = ask(client, QUESTION)
    path = f"/api/v1/assistant/conversations/{chat['conversation_id']}/feedback"
    assert client.post(path, json={"helpful": True}).json()["feedback"] == "helpful"


def test_the_resolution_rate_counts_only_what_really_helped(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    start = clock.now()
    confirmed, silent, came_back, unhelpful, handed = (
        sign_up(client, phone=f"+86139001390{n:02d}", device=f"d{n}") for n in range(5)
    )
    # Confirmed: resolved whatever happens next.
    chat = ask(client, QUESTION, confirmed.headers)
    confirmed.post(
        f"/api/v1/assistant/conversations/{chat['conversation_id']}/feedback",
        json={"helpful": True},
    )
    # Silent, and asked nothing more: resolved once 24 hours have passed.
    ask(client, QUESTION, silent.headers)
    # Silent, but wrote in two hours later: not resolved.
    ask(client, QUESTION, came_back.headers)
    # Said it did not help.
    chat = ask(client, QUESTION, unhelpful.headers)
    unhelpful.post(
        f"/api/v1/assistant/conversations/{chat['conversation_id']}/feedback",
        json={"helpful": False},
    )
    # Asked for a person: handed over, never the assistant's success.
    assert ask(client, "转人工", handed.headers)["handed_off"] is True
    # Anonymous and silent: never counted as resolved.
    ask(client, QUESTION)

    # Within the day, the silent ones are too recent to judge.
    early = resolution(container.engine, start, clock.now())
    assert (early.conversations, early.pending, early.resolved) == (6, 3, 1)

    clock.advance(timedelta(hours=2))
    wrote_in = came_back.post("/api/v1/tickets", json={"subject": "top up", "body": "still stuck"})
    assert wrote_in.status_code == 201, wrote_in.json()
    clock.advance(timedelta(hours=23))
    final = resolution(container.engine, start, clock.now())
    assert final.conversations == 6
    assert final.pending == 0
    assert final.handed_over == 1
    assert final.confirmed_helpful == 1
    assert final.not_helpful == 1
    assert final.resolved == 2  # confirmed + silent
    assert final.rate_percent == 33  # 2 of 6, rounded down

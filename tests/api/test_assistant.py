"""The help assistant (API.md "Customer service"): answers with citations in the
customer's language, the customer's own data, scam warnings, and hand-over to a person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from api_world import Customer, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from wallet_world import open_shop, top_up

from walletdesk.api.app import create_app
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.support.helpcenter.service import load_articles
from walletdesk.support.tickets import tables as ticket_tables

BACKENDS = ["sqlite", "postgres"]
ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
MONDAY_9 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SCAM = "有人自称客服打电话给我，说我的账户有风险，让我提供验证码并把钱转到安全账户"
PATH = "/api/v1/assistant/messages"


@pytest.fixture
def client(container: Container, clock: FakeClock) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    load_articles(container.engine, container.clock)
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def me(client: TestClient) -> Customer:
    return sign_up(client, locale="zh-CN", phone="+8613800138000")


def ask(client: TestClient, text: str, **kwargs: Any) -> dict[str, Any]:
    response = client.post(PATH, json={"text": text, **kwargs.pop("json", {})}, **kwargs)
    assert response.status_code == 200, response.json()
    answer: dict[str, Any] = response.json()
    return answer


def ticket_count(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(ticket_tables.tickets)).scalar_one()
        )


def test_answers_a_chinese_question_from_the_help_centre_with_citations(
    client: TestClient, container: Container
) -> None:
    answer = ask(client, "怎么申请退款", headers=ZH)
    assert answer["handed_off"] is False
    assert answer["ticket_id"] is None
    slugs = [c["slug"] for c in answer["citations"]]
    assert slugs[0] == "how-to-request-a-refund"
    assert 1 <= len(slugs) <= 3
    assert answer["citations"][0]["title"] == "如何申请退款"
    assert "如何申请退款" in answer["answer"]
    english = ask(client, "how do I turn on two-factor authentication", headers=EN)
    assert english["citations"][0]["slug"] == "two-factor-authentication"
    assert ticket_count(container) == 0


def test_uses_the_customers_failed_payment_diagnosis(
    client: TestClient, container: Container, me: Customer
) -> None:
    shop = open_shop(client, container)
    top_up(me, "10.00")
    intent = shop.intent("38.00", "order-1").json()
    assert me.post(f"/api/v1/payment-intents/{intent['id']}/pay").status_code == 402

    # No Accept-Language: the logged-in customer's locale (zh-CN) is used.
    answer = ask(client, "为什么付款失败", headers=me.headers)
    assert answer["handed_off"] is False
    assert "38.00 CNY" in answer["answer"]
    assert "余额" in answer["answer"]
    english = ask(client, "why did my payment fail?", headers={**me.headers, **EN})
    assert "38.00 CNY" in english["answer"]
    assert "balance" in english["answer"].lower()
    # Anonymous: no data answer, only the help centre.
    anonymous = ask(client, "为什么付款失败", headers=ZH)
    assert "38.00" not in anonymous["answer"]


def test_no_refund_yet_is_said_plainly(client: TestClient, me: Customer) -> None:
    answer = ask(client, "退款到哪了", headers=me.headers)
    assert "没有找到您账户中的退款申请" in answer["answer"]


def test_hands_over_with_a_ticket_holding_the_transcript(
    client: TestClient, container: Container, me: Customer
) -> None:
    first = ask(client, "怎么申请退款", headers=me.headers)
    assert first["handed_off"] is False
    second = ask(
        client, "转人工", headers=me.headers, json={"conversation_id": first["conversation_id"]}
    )
    assert second["handed_off"] is True
    assert second["conversation_id"] == first["conversation_id"]
    ticket = me.get(f"/api/v1/tickets/{second['ticket_id']}").json()
    assert ticket["channel"] == "chat"
    transcript = ticket["messages"][0]["body"]
    assert "怎么申请退款" in transcript
    assert "转人工" in transcript
    assert "如何申请退款" in transcript  # the assistant's earlier answer
    # Later messages in the conversation go onto the same ticket.
    third = ask(
        client,
        "补充：订单号 123",
        headers=me.headers,
        json={"conversation_id": first["conversation_id"]},
    )
    assert third["ticket_id"] == second["ticket_id"]
    assert ticket_count(container) == 1
    assert len(me.get(f"/api/v1/tickets/{second['ticket_id']}").json()["messages"]) == 2


def test_not_confident_hands_over_and_anonymous_get_official_contacts(
    client: TestClient, container: Container, me: Customer
) -> None:
    unsure = ask(client, "I love pizza", headers={**me.headers, **EN})
    assert unsure["handed_off"] is True
    assert unsure["citations"] == []
    assert ticket_count(container) == 1

    anonymous = ask(client, "talk to a human", headers=EN)
    assert anonymous["handed_off"] is False
    assert anonymous["ticket_id"] is None
    assert "Help & feedback" in anonymous["answer"]
    assert ticket_count(container) == 1


def test_warns_about_a_scam_first(client: TestClient) -> None:
    answer = ask(client, SCAM, headers=ZH)
    assert answer["answer"].startswith("⚠️")
    assert "安全账户" in answer["answer"]
    assert answer["scam_warning"] is True


def test_someone_elses_conversation_does_not_exist(client: TestClient, me: Customer) -> None:
    mine = ask(client, "怎么申请退款", headers=me.headers)
    response = client.post(
        PATH, json={"text": "hi", "conversation_id": mine["conversation_id"]}, headers=ZH
    )
    assert response.status_code == 404


# -- the language of the answer ---------------------------------------------------------


def test_a_chinese_question_is_answered_in_chinese_from_an_english_browser(
    client: TestClient, me: Customer
) -> None:
    # Many Chinese customers run an English-UI browser: its Accept-Language is not theirs.
    answer = ask(
        client, "怎么申请退款", headers={**me.headers, "Accept-Language": "en-US,en;q=0.9"}
    )
    assert answer["locale"] == "zh-CN"
    assert answer["citations"][0]["title"] == "如何申请退款"
    anonymous = ask(client, "怎么申请退款", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert anonymous["locale"] == "zh-CN"


def test_an_english_question_is_answered_in_english_whatever_the_profile_says(
    client: TestClient, me: Customer
) -> None:
    answer = ask(client, "how do I turn on two-factor authentication", headers={**me.headers, **ZH})
    assert answer["locale"] == "en"
    assert answer["citations"][0]["slug"] == "two-factor-authentication"


def test_an_unclear_message_is_answered_in_the_profiles_language_then_the_browsers(
    client: TestClient, me: Customer
) -> None:
    # "WD-000123" says nothing of a language: the zh-CN profile wins over an English header.
    assert ask(client, "WD-000123", headers={**me.headers, **EN})["locale"] == "zh-CN"
    # Anonymous: no profile, so the header.
    assert ask(client, "WD-000123", headers=EN)["locale"] == "en"
    assert ask(client, "WD-000123", headers=ZH)["locale"] == "zh-CN"

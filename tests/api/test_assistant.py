"""The help assistant (API.md "Customer service"): answers with citations in the
customer's language, the customer's own data, scam warnings, and hand-over to a person."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
from walletdesk.identity import store as identity_store
from walletdesk.identity.model import User
from walletdesk.support import assistant as assistant_module
from walletdesk.support.assistant import AssistantDeps, respond
from walletdesk.support.channels.tables import assistant_conversations as conv_table
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


# -- two messages on one conversation at once ---------------------------------------------


def conversation(container: Container, conversation_id: str) -> Any:
    with container.engine.connect() as conn:
        return conn.execute(
            select(conv_table).where(conv_table.c.id == uuid.UUID(conversation_id))
        ).one()


def customer_user(container: Container, me: Customer) -> User:
    with container.engine.connect() as conn:
        return identity_store.get_user(conn, uuid.UUID(me.user["id"]))


def at_once(monkeypatch: pytest.MonkeyPatch, name: str, send: Callable[[], Any]) -> list[Any]:
    """Run ``send`` twice at the same moment: both wait at ``assistant.<name>`` until the
    other is there too, so both have read the conversation before either writes."""
    barrier = threading.Barrier(2, timeout=10)
    original = getattr(assistant_module, name)

    def meet_then_go(*args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(assistant_module, name, meet_then_go)
    with ThreadPoolExecutor(2) as pool:
        return [f.result() for f in [pool.submit(send), pool.submit(send)]]


def ticket_number(me: Customer, answers: list[dict[str, Any]]) -> str:
    return str(me.get(f"/api/v1/tickets/{answers[0]['ticket_id']}").json()["number"])


def test_two_hand_offs_of_one_conversation_at_once_open_one_ticket(
    client: TestClient, container: Container, me: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double-tapped "talk to a person" (or a client's retry): one ticket, both answers
    name it, the second message is on it, and no turn is lost from the conversation."""
    first = ask(client, "怎么申请退款", headers=me.headers)
    user = customer_user(container, me)
    deps = AssistantDeps(container.engine, container.clock)
    conversation_id = uuid.UUID(first["conversation_id"])

    answers = at_once(
        monkeypatch,
        "do_create_ticket",
        lambda: respond(deps, "转人工", user=user, locale="zh-CN", conversation_id=conversation_id),
    )
    assert ticket_count(container) == 1
    assert {a["ticket_id"] for a in answers} == {
        str(conversation(container, str(conversation_id)).ticket_id)
    }
    assert all(a["handed_off"] for a in answers)
    # One opened it, the other joined it.
    said = sorted(a["answer"].split("，")[0] for a in answers)
    assert said == ["已为您转接人工客服", f"已补充到您的工单 {ticket_number(me, answers)}"]
    ticket = me.get(f"/api/v1/tickets/{answers[0]['ticket_id']}").json()
    assert "怎么申请退款" in ticket["messages"][0]["body"]  # the transcript
    assert [m["body"] for m in ticket["messages"][1:]] == ["转人工"]  # the second message
    stored = conversation(container, str(conversation_id)).messages
    assert [m["text"] for m in stored if m["role"] == "user"] == [
        "怎么申请退款",
        "转人工",
        "转人工",
    ]
    assert len(stored) == 6


def test_two_answers_at_once_on_one_conversation_are_both_kept(
    client: TestClient, container: Container, me: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ask(client, "怎么申请退款", headers=me.headers)
    user = customer_user(container, me)
    deps = AssistantDeps(container.engine, container.clock)
    conversation_id = uuid.UUID(first["conversation_id"])
    texts = iter(["退款多久到账", "怎么开启双重验证"])
    lock = threading.Lock()

    def send() -> dict[str, Any]:
        with lock:
            text = next(texts)
        return respond(deps, text, user=user, locale="zh-CN", conversation_id=conversation_id)

    answers = at_once(monkeypatch, "_hits", send)
    assert not any(a["handed_off"] for a in answers)
    stored = conversation(container, str(conversation_id)).messages
    asked = [m["text"] for m in stored if m["role"] == "user"]
    assert asked[0] == "怎么申请退款"
    assert sorted(asked[1:]) == sorted(["退款多久到账", "怎么开启双重验证"])
    # Each turn stays whole: a question, then its answer.
    assert [m["role"] for m in stored] == ["user", "assistant"] * 3
    assert ticket_count(container) == 0


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


# -- control characters -------------------------------------------------------------------


def test_a_nul_in_a_message_is_dropped_not_a_crash(
    client: TestClient, container: Container, me: Customer
) -> None:
    """PostgreSQL refuses NUL in text: the hand-off's ticket once failed with a 500."""
    answer = ask(client, "hello\u0000 I love pizza", headers={**me.headers, **EN})
    assert answer["handed_off"] is True
    ticket = me.get(f"/api/v1/tickets/{answer['ticket_id']}").json()
    assert "hello I love pizza" in ticket["messages"][0]["body"]
    assert "\u0000" not in ticket["subject"] + ticket["messages"][0]["body"]
    stored = conversation(container, answer["conversation_id"]).messages
    assert stored[0]["text"] == "hello I love pizza"


def test_a_message_of_nothing_but_control_characters_is_refused_in_both_languages(
    client: TestClient, container: Container, me: Customer
) -> None:
    for lang, title in (("en", "Invalid request"), ("zh-CN", "请求无效")):
        refused = client.post(
            PATH,
            json={"text": "\u0000\u0007"},
            headers={**me.headers, "Accept-Language": lang},
        )
        assert refused.status_code == 422, refused.json()
        assert refused.json()["code"] == "validation_error"
        assert refused.json()["title"] == title
        assert refused.json()["errors"][0]["field"] == "text"
    with container.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(conv_table)).scalar_one() == 0
    assert ticket_count(container) == 0

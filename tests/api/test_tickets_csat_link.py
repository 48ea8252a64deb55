"""CSAT by a signed link: no login, one answer per ticket, tampered or expired links refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from api_world import Customer, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_tickets import MONDAY_9, assert_refused, desk_snapshot, open_ticket, staff

from walletdesk.api.app import create_app
from walletdesk.audit import tables as audit_tables
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.support.tickets.csat import LINK_TTL, csat_link_for, sign_link
from walletdesk.support.tickets.errors import CsatNotOpen
from walletdesk.support.tickets.service import TicketDeps

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def client(container: Container, clock: FakeClock) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def me(client: TestClient) -> Customer:
    return sign_up(client, phone="+8613800138000", locale="zh-CN")


@pytest.fixture
def agent(client: TestClient, container: Container) -> Customer:
    return staff(client, container)


def secret(container: Container) -> bytes:
    return container.settings.csat_secret.get_secret_value().encode()


def solved_ticket(me: Customer, agent: Customer) -> dict[str, Any]:
    ticket = open_ticket(me, "退款进度", "退款什么时候到账？")
    solved = agent.post(f"/api/v1/agent/tickets/{ticket['id']}/status", json={"status": "solved"})
    assert solved.status_code == 200, solved.json()
    return ticket


def link_token(container: Container, ticket: dict[str, Any]) -> str:
    deps = TicketDeps.of(container.engine, container.clock)
    return csat_link_for(deps, secret(container), uuid.UUID(ticket["id"])).token


def test_a_signed_link_shows_the_ticket_and_takes_one_rating_without_login(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    ticket = solved_ticket(me, agent)
    token = link_token(container, ticket)

    page = client.get(f"/api/v1/csat/{token}")
    assert page.status_code == 200, page.json()
    assert page.json() == {
        "ticket_number": ticket["number"],
        "subject": "退款进度",
        "status": "solved",
        "expires_at": (MONDAY_9 + LINK_TTL).isoformat(),
        "can_rate": True,
        "csat": None,
    }
    rated = client.post(f"/api/v1/csat/{token}", json={"score": 5, "comment": "很快，谢谢"})
    assert rated.status_code == 201, rated.json()
    assert rated.json()["score"] == 5

    after = client.get(f"/api/v1/csat/{token}").json()
    assert after["can_rate"] is False
    assert (after["csat"]["score"], after["csat"]["comment"]) == (5, "很快，谢谢")
    assert me.get(f"/api/v1/tickets/{ticket['id']}").json()["csat"]["score"] == 5
    log = audit_tables.audit_log
    with container.engine.connect() as conn:
        record = conn.execute(select(log).where(log.c.action == "ticket.csat_recorded")).one()
    assert (record.subject_id, record.actor_id, record.actor_role) == (
        ticket["id"],
        None,
        "link_holder",
    )
    assert record.after == {"score": 5, "via": "link"}

    # Used once: a second answer, by the link or signed in, is refused and changes nothing.
    before = desk_snapshot(container)
    assert_refused(
        lambda h: client.post(f"/api/v1/csat/{token}", json={"score": 1}, headers=h),
        409,
        "csat_already_given",
        "You have already rated this ticket.",
        "您已评价过该工单。",
    )
    again = me.post(f"/api/v1/tickets/{ticket['id']}/csat", json={"score": 1})
    assert again.json()["code"] == "csat_already_given"
    assert desk_snapshot(container) == before


def test_a_tampered_or_foreign_link_is_refused_and_nothing_is_stored(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    ticket = solved_ticket(me, agent)
    token = link_token(container, ticket)
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    other_key = sign_link(b"someone else's key", uuid.UUID(ticket["id"]), MONDAY_9).token
    # A later expiry signed with the wrong key: the signature fails before the date is read.
    later = sign_link(b"someone else's key", uuid.UUID(ticket["id"]), MONDAY_9 + timedelta(days=90))
    before = desk_snapshot(container)
    for bad in (
        flipped,
        other_key,
        later.token,
        token[:-3],
        token + "AAAA",
        "not-a-token",
        "x" * 300,
    ):
        for send in (
            lambda h, bad=bad: client.get(f"/api/v1/csat/{bad}", headers=h),
            lambda h, bad=bad: client.post(f"/api/v1/csat/{bad}", json={"score": 5}, headers=h),
        ):
            assert_refused(
                send,
                404,
                "csat_link_invalid",
                "This rating link is not valid.",
                "该评价链接无效",
            )
    assert desk_snapshot(container) == before


def test_a_link_expires_seven_days_after_the_ticket_was_solved(
    client: TestClient, container: Container, clock: FakeClock, me: Customer, agent: Customer
) -> None:
    ticket = solved_ticket(me, agent)
    token = link_token(container, ticket)
    clock.advance(LINK_TTL - timedelta(seconds=1))
    assert client.get(f"/api/v1/csat/{token}").status_code == 200
    clock.advance(timedelta(seconds=1))
    before = desk_snapshot(container)
    for send in (
        lambda h: client.get(f"/api/v1/csat/{token}", headers=h),
        lambda h: client.post(f"/api/v1/csat/{token}", json={"score": 4}, headers=h),
    ):
        assert_refused(
            send,
            410,
            "csat_link_expired",
            "This rating link has expired",
            "该评价链接已过期",
        )
    assert desk_snapshot(container) == before


def test_a_link_to_a_ticket_opened_again_cannot_be_used_until_it_is_solved_again(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    ticket = solved_ticket(me, agent)
    token = link_token(container, ticket)
    reply = me.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "还是没到账"})
    assert reply.json()["status"] == "open"
    assert client.get(f"/api/v1/csat/{token}").json()["can_rate"] is False
    before = desk_snapshot(container)
    assert_refused(
        lambda h: client.post(f"/api/v1/csat/{token}", json={"score": 2}, headers=h),
        409,
        "csat_not_open",
        "You can rate a ticket once it is solved.",
        "工单解决后才能评价。",
    )
    assert desk_snapshot(container) == before
    with pytest.raises(CsatNotOpen):
        link_token(container, ticket)

    agent.post(f"/api/v1/agent/tickets/{ticket['id']}/status", json={"status": "solved"})
    assert client.post(f"/api/v1/csat/{token}", json={"score": 4}).status_code == 201


def test_a_link_rating_outside_one_to_five_is_a_validation_error(
    client: TestClient, container: Container, me: Customer, agent: Customer
) -> None:
    ticket = solved_ticket(me, agent)
    token = link_token(container, ticket)
    before = desk_snapshot(container)
    for score in (0, 6):
        response = client.post(
            f"/api/v1/csat/{token}", json={"score": score}, headers={"Accept-Language": "zh-CN"}
        )
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"
        assert response.json()["detail"] == "请求中有无效的字段。"
    assert desk_snapshot(container) == before

"""Whom a transfer reaches: a phone number or email only once its holder verified it.

Sign-up takes a contact on trust, so anyone can sign up with another person's number.
Money addressed to a phone number or email goes only to an account that proved the
contact reaches it (a code sent there, typed back); an account holding it unverified is
answered exactly as nobody, and nothing changes. A user id is taken as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from agent_world import staff
from api_world import Customer, sign_up, verify_contact
from fastapi.testclient import TestClient
from money_world import money_snapshot
from sqlalchemy import select
from wallet_world import available, ledger_is_balanced, top_up

from walletdesk.bootstrap import Container
from walletdesk.notify import tables as notify_tables

BACKENDS = ["sqlite", "postgres"]
OWNERS_PHONE = "+8613900139000"
OWNERS_EMAIL = "wang.fang@example.com"
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture(autouse=True)
def balanced_after(container: Container) -> Iterator[None]:
    yield
    ledger_is_balanced(container)


@pytest.fixture
def me(client: TestClient) -> Customer:
    """The sender: CNY 100.00 in the wallet."""
    sender = sign_up(client)
    top_up(sender, "100.00")
    return sender


def everything(container: Container, *people: Customer) -> dict[str, Any]:
    """What a refused transfer could have touched: balances, ledger transfers, limit
    usage, P2P records, every queued alert and each person's in-app alerts."""
    container.dispatcher.run_once()
    outbox = notify_tables.outbox.c
    with container.engine.connect() as conn:
        queued = conn.execute(
            select(outbox.id, outbox.kind, outbox.user_id).order_by(outbox.seq)
        ).all()
    return {
        "money": money_snapshot(container),
        "outbox": queued,
        "alerts": [person.get("/api/v1/me/alerts").json()["items"] for person in people],
    }


def holding(kind: str, contact: str) -> dict[str, str | None]:
    """Sign-up fields for an account whose only contact is ``contact``."""
    return {"phone": None, "email": None, kind: contact}


def send(me: Customer, to: str, amount: str = "25.00", **headers: str) -> Any:
    return me.post("/api/v1/transfers", json={"to": to, "amount": amount}, headers=headers)


def problem(response: Any) -> dict[str, Any]:
    """The problem+json body without what names the request itself."""
    return {k: v for k, v in response.json().items() if k not in {"instance", "request_id"}}


@pytest.mark.parametrize(
    ("kind", "held", "typed"),
    [("phone", OWNERS_PHONE, "13900139000"), ("email", OWNERS_EMAIL, "Wang.Fang@example.com")],
)
def test_a_transfer_to_a_contact_its_holder_never_verified_is_refused_as_nobody(
    client: TestClient, container: Container, me: Customer, kind: str, held: str, typed: str
) -> None:
    # Given someone signed up with another person's phone number or email
    squatter = sign_up(client, **holding(kind, held), name="Squatter", device="squatter")
    before = everything(container, me, squatter)

    # When a friend of the real owner sends money to that number or address
    refused = {lang: send(me, typed, **headers) for lang, headers in (("en", {}), ("zh-CN", ZH))}

    # Then it is refused exactly as for a contact nobody uses, and nothing changed
    nobody = {
        "en": send(me, "+8613700137000" if kind == "phone" else "nobody@example.com"),
        "zh-CN": send(me, "+8613700137000" if kind == "phone" else "nobody@example.com", **ZH),
    }
    for lang in ("en", "zh-CN"):
        assert refused[lang].status_code == 404, refused[lang].json()
        assert refused[lang].headers["content-type"].startswith("application/problem+json")
        assert refused[lang].json()["code"] == "recipient_not_found"
        assert problem(refused[lang]) == problem(nobody[lang])
        assert squatter.user["display_name"] not in refused[lang].text
    assert refused["en"].json()["detail"] == (
        "Nobody with that phone number, email or id uses walletdesk."
    )
    assert (
        refused["zh-CN"].json()["detail"] == "没有找到使用该手机号、邮箱或 ID 的 walletdesk 用户。"
    )
    assert everything(container, me, squatter) == before
    assert (available(me), available(squatter)) == ("100.00", "0.00")


@pytest.mark.parametrize(
    ("kind", "held", "typed"),
    [("phone", OWNERS_PHONE, "139 0013 9000"), ("email", OWNERS_EMAIL, OWNERS_EMAIL)],
)
def test_a_holder_who_verified_the_contact_receives_and_is_alerted(
    client: TestClient, container: Container, me: Customer, kind: str, held: str, typed: str
) -> None:
    owner = sign_up(client, **holding(kind, held), name="Wang Fang", device="owner")
    verify_contact(owner, container, kind)

    sent = send(me, typed)

    assert sent.status_code == 201, sent.json()
    assert sent.json()["to"] == {"id": owner.user["id"], "display_name": "Wang Fang"}
    assert (available(me), available(owner)) == ("75.00", "25.00")
    container.dispatcher.run_once()
    alerts = owner.get("/api/v1/me/alerts").json()["items"]
    assert [a["kind"] for a in alerts if "25.00" in a["body"]] == ["transaction"]


def test_a_new_phone_number_receives_nothing_until_it_is_verified(
    client: TestClient, container: Container, me: Customer
) -> None:
    owner = sign_up(client, phone=OWNERS_PHONE, name="Wang Fang", device="owner")
    verify_contact(owner, container, "phone")
    assert send(me, OWNERS_PHONE, "10.00").status_code == 201

    # The owner moves to a new number: it is unverified until they prove it.
    changed = owner.put(
        "/api/v1/me/phone",
        json={"phone": "+8613600136000"},
        headers={"X-Verification-Token": owner.step_up()},
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["phone_verified"] is False
    owner.user = changed.json()
    before = everything(container, me, owner)

    to_new = send(me, "13600136000")
    to_old = send(me, OWNERS_PHONE)

    assert (to_new.status_code, to_new.json()["code"]) == (404, "recipient_not_found")
    assert (to_old.status_code, to_old.json()["code"]) == (404, "recipient_not_found")
    assert everything(container, me, owner) == before
    assert (available(me), available(owner)) == ("90.00", "10.00")

    verify_contact(owner, container, "phone")
    sent = send(me, "13600136000")

    assert sent.status_code == 201, sent.json()
    assert sent.json()["to"]["id"] == owner.user["id"]
    assert (available(me), available(owner)) == ("65.00", "35.00")


def test_a_transfer_by_user_id_needs_no_verified_contact(
    client: TestClient, container: Container, me: Customer
) -> None:
    holder = sign_up(client, phone=OWNERS_PHONE, name="Wang Fang", device="owner")
    assert holder.get("/api/v1/me").json()["phone_verified"] is False

    sent = send(me, holder.user["id"])

    assert sent.status_code == 201, sent.json()
    assert (available(me), available(holder)) == ("75.00", "25.00")


def test_sending_to_your_own_unverified_number_is_still_sending_to_yourself(
    container: Container, me: Customer
) -> None:
    before = everything(container, me)

    refused = send(me, "13800138000")

    assert refused.status_code == 422, refused.json()
    assert refused.json()["code"] == "validation_error"
    assert everything(container, me) == before


def test_the_check_up_tells_an_unverified_holder_that_verifying_lets_people_pay_them(
    client: TestClient,
) -> None:
    holder = sign_up(client, phone=OWNERS_PHONE, name="Wang Fang", device="owner")

    items = {
        lang: {i["id"]: i for i in holder.get("/api/v1/me/security", headers=h).json()["items"]}
        for lang, h in (("en", {}), ("zh-CN", ZH))
    }

    assert items["en"]["verified_contacts"]["ok"] is False
    assert "nobody can send you money by them" in items["en"]["verified_contacts"]["advice"]
    assert "他人无法通过它们向您转账" in items["zh-CN"]["verified_contacts"]["advice"]


def test_the_customer_360_shows_which_contacts_are_verified(
    client: TestClient, container: Container
) -> None:
    customer = sign_up(client, phone=OWNERS_PHONE, email=OWNERS_EMAIL, device="owner")
    verify_contact(customer, container, "email")
    agent = staff(client, container, 1)

    seen = agent.get(f"/api/v1/agent/customers/{customer.user['id']}")

    assert seen.status_code == 200, seen.json()
    profile = seen.json()["profile"]
    assert (profile["phone"], profile["phone_verified"]) == ("+86139****9000", False)
    assert (profile["email"], profile["email_verified"]) == ("w***@example.com", True)

"""The customer confirms it's them on their own ticket (issue 5: "an SMS/TOTP challenge").

walletdesk tells customers its staff never ask for codes, so no code is read out to
an agent: the agent starts a check (``sms`` texts a code for this ticket, ``totp``
asks for the authenticator app), and the customer, signed in, enters the code on
their ticket. identity checks it as it checks the customer's own step-up (expiry,
single use and the account lockout are identity's), but a code texted for a ticket
counts only on that ticket. A confirmed check counts for 15 minutes.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from agent_world import (
    PHONE,
    confirm_on_ticket,
    open_ticket,
    propose,
    snapshot,
    start_check,
)
from api_world import (
    Customer,
    enable_totp,
    latest_sms_code,
    log_in,
    sign_up,
    step_up_second_factor,
    totp_now,
)
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from walletdesk.audit.log import list_records
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as identity_tables
from walletdesk.support import actions_tables as action_tables

BACKENDS = ["sqlite", "postgres"]
OTHER_PHONE = "+8613900139000"
WRONG_CODE = {
    "en": "That code or password is not right, has expired, or was already used.",
    "zh-CN": "验证码或密码不正确、已过期或已被使用。",
}
NOTHING_PENDING = {
    "en": "Nothing on this ticket is waiting for you to confirm it's you. If an agent asked "
    "you to, the request may have expired: ask them to send a new one.",
    "zh-CN": "本工单没有需要您确认身份的请求。如果客服刚请您确认，请求可能已过期，"
    "请让客服重新发起。",
}
NO_APP_AGENT = {
    "en": "This customer has no authenticator app (two-factor authentication is off): "
    "verify with an SMS code or a document check instead.",
    "zh-CN": "该客户未开启双重验证，没有身份验证器应用：请改用短信验证码或证件核验。",
}
NO_APP_CUSTOMER = {
    "en": "Two-factor authentication is off on your account, so there is no authenticator "
    "code to enter. Reply on this ticket and the agent can send a code to your phone instead.",
    "zh-CN": "您的账户未开启双重验证，没有身份验证器验证码可以输入。请在本工单中回复，"
    "客服可以改为向您的手机发送验证码。",
}
SMS_TEXT = {
    "en": "walletdesk: {code} confirms it's you on walletdesk ticket {number}. Enter it only "
    "on that ticket in the walletdesk app or website; it expires in 5 minutes. Never tell "
    "it to anyone, not even walletdesk staff: they will never ask you for it. If you "
    "didn't ask walletdesk for help, change your password.",
    "zh-CN": "【walletdesk】{code} 用于在 walletdesk 工单 {number} 中确认是您本人。请只在 "
    "walletdesk App 或网站的该工单页面输入，5 分钟内有效。切勿告诉任何人，包括 walletdesk "
    "工作人员：他们绝不会向您索要。如果您没有向 walletdesk 求助，请立即修改密码。",
}


def verifications(container: Container, ticket_id: str) -> list[Any]:
    v = action_tables.ticket_verifications
    with container.engine.connect() as conn:
        return list(
            conn.execute(
                select(v).where(v.c.ticket_id == uuid.UUID(ticket_id)).order_by(v.c.created_at)
            )
        )


def verified(container: Container, ticket_id: str) -> list[Any]:
    return [row for row in verifications(container, ticket_id) if row.verified_at is not None]


def audited(container: Container, me: Customer, action: str) -> list[Any]:
    with container.engine.connect() as conn:
        records = list_records(conn, subject_type="user", subject_id=me.user["id"], limit=200)
    return [r for r in records.items if r.action == action]


def seen_by_agent(agent: Customer, me: Customer, ticket_id: str) -> dict[str, Any]:
    shown = agent.get(f"/api/v1/agent/customers/{me.user['id']}", params={"ticket_id": ticket_id})
    assert shown.status_code == 200, shown.json()
    body: dict[str, Any] = shown.json()
    return body


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# -- sms --------------------------------------------------------------------------------


def test_the_customer_confirms_an_sms_code_on_their_ticket_and_a_second_person_approves(
    me: Customer, agent: Customer, supervisor: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    number = me.get(f"/api/v1/tickets/{ticket_id}").json()["number"]
    assert me.get(f"/api/v1/tickets/{ticket_id}/verification").json() == {"pending": False}

    started = start_check(agent, ticket_id, "sms")
    assert started.status_code == 201, started.json()
    assert started.json()["status"] == "waiting_for_customer"
    assert started.json()["verified_at"] is None
    assert started.json()["fresh"] is False
    # The agent sees it waiting, and cannot act yet.
    waiting = seen_by_agent(agent, me, ticket_id)
    assert waiting["verification"] is None
    assert waiting["verification_request"]["status"] == "waiting_for_customer"
    assert propose(agent, me, "freeze", ticket_id, "k0").status_code == 403
    # The customer is told on the ticket where to enter it, and never to tell anyone.
    asked = me.get(f"/api/v1/tickets/{ticket_id}/verification").json()
    assert asked["pending"] is True
    assert asked["method"] == "sms"
    request_message = me.get(f"/api/v1/tickets/{ticket_id}").json()["messages"][-1]
    assert request_message["author_role"] == "agent"
    assert f"on ticket {number} in the walletdesk app" in request_message["body"]
    assert "Never tell this code to anyone, including our staff" in request_message["body"]

    code = latest_sms_code(container, PHONE)
    assert code not in request_message["body"]
    confirmed = confirm_on_ticket(me, ticket_id, code)
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "verified"
    assert confirmed.json()["method"] == "sms"
    # Confirming proves presence for this ticket only: no step-up token is minted.
    with container.engine.connect() as conn:
        tokens = conn.execute(select(func.count()).select_from(identity_tables.verifications))
        assert tokens.scalar_one() == 0

    shown = seen_by_agent(agent, me, ticket_id)
    assert shown["verification"]["method"] == "sms"
    assert shown["verification"]["fresh"] is True
    assert shown["verification"]["confirmed_by"] == "customer"
    assert shown["verification_request"] is None
    # An internal note tells the agents; the customer does not see it.
    notes = [
        m
        for m in agent.get(f"/api/v1/agent/tickets/{ticket_id}").json()["messages"]
        if m["kind"] == "internal"
    ]
    assert [n["body"] for n in notes] == [
        "The customer confirmed it's them in the app (SMS code). "
        "客户已在 App 中确认本人身份（短信验证码）。"
    ]
    assert all(
        m["kind"] == "public" for m in me.get(f"/api/v1/tickets/{ticket_id}").json()["messages"]
    )
    (logged,) = audited(container, me, "agent.identity.verified")
    assert str(logged.actor_id) == me.user["id"]
    assert logged.after == {
        "ticket_id": ticket_id,
        "method": "sms",
        "confirmed_by": "customer",
        "requested_by": agent.user["id"],
    }
    assert len(audited(container, me, "agent.identity.code_sent")) == 1
    assert me.get(f"/api/v1/tickets/{ticket_id}/verification").json() == {"pending": False}

    proposed = propose(agent, me, "freeze", ticket_id, "k1")
    assert proposed.status_code == 201, proposed.json()
    approved = supervisor.post(f"/api/v1/agent/actions/{proposed.json()['id']}/approve")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "executed"
    # An agent's freeze (a suspected takeover) ends every session of the customer's; a
    # new login shows the frozen account.
    assert me.get("/api/v1/me").status_code == 401
    again = Customer(me.client, me.user, log_in(me.client, PHONE))
    assert again.get("/api/v1/me").json()["status"] == "frozen"


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_sms_says_which_ticket_it_is_for_and_never_to_tell_anyone(
    client: TestClient, agent: Customer, container: Container, lang: str
) -> None:
    customer = sign_up(client, phone=PHONE, locale=lang)
    ticket_id = open_ticket(customer)
    number = customer.get(f"/api/v1/tickets/{ticket_id}").json()["number"]
    assert start_check(agent, ticket_id, "sms").status_code == 201
    code = latest_sms_code(container, PHONE)
    (text,) = container.sms.messages_to(PHONE)[-1:]
    assert text.body == SMS_TEXT[lang].format(code=code, number=number)
    # The generic step-up text is left as it was.
    assert customer.post("/api/v1/me/verifications/sms").status_code == 202
    latest_sms_code(container, PHONE)
    assert "ticket" not in container.sms.messages_to(PHONE)[-1].body


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_wrong_code_verifies_nothing(
    me: Customer, agent: Customer, container: Container, lang: str
) -> None:
    ticket_id = open_ticket(me)
    assert start_check(agent, ticket_id, "sms").status_code == 201
    code = latest_sms_code(container, PHONE)
    before = snapshot(container, me)
    refused = confirm_on_ticket(me, ticket_id, wrong(code), lang)
    assert refused.status_code == 422
    assert refused.json()["code"] == "code_invalid"
    assert refused.json()["detail"] == WRONG_CODE[lang]
    assert verified(container, ticket_id) == []
    assert snapshot(container, me) == before
    assert me.get(f"/api/v1/tickets/{ticket_id}/verification").json()["pending"] is True
    assert propose(agent, me, "freeze", ticket_id, "k1").status_code == 403
    # The right code still works after one slip.
    assert confirm_on_ticket(me, ticket_id, code).status_code == 200


def test_repeated_wrong_codes_lock_the_account_as_identity_does(
    client: TestClient, me: Customer, agent: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    assert start_check(agent, ticket_id, "sms").status_code == 201
    code = latest_sms_code(container, PHONE)
    limit = container.settings.max_failed_logins
    answers = [confirm_on_ticket(me, ticket_id, wrong(code)).status_code for _ in range(limit)]
    assert answers == [422] * (limit - 1) + [423]
    # Locked: even the right code is refused, and so is a new sign-in.
    locked = confirm_on_ticket(me, ticket_id, code)
    assert locked.status_code == 423
    assert locked.json()["code"] == "account_locked"
    assert verified(container, ticket_id) == []
    login = client.post("/api/v1/sessions", json={"login": PHONE, "password": me.password})
    assert login.status_code == 423
    container.dispatcher.run_once()
    assert any("locked" in t.body.lower() for t in container.sms.messages_to(PHONE))


def test_an_expired_code_is_refused(
    me: Customer, agent: Customer, container: Container, clock: FakeClock
) -> None:
    ticket_id = open_ticket(me)
    assert start_check(agent, ticket_id, "sms").status_code == 201
    code = latest_sms_code(container, PHONE)
    clock.advance(timedelta(seconds=container.settings.sms_code_ttl_seconds + 1))
    before = snapshot(container, me)
    refused = confirm_on_ticket(me, ticket_id, code)
    assert refused.status_code == 422
    assert refused.json()["code"] == "code_invalid"
    assert verified(container, ticket_id) == []
    assert snapshot(container, me) == before


def test_a_code_works_once(me: Customer, agent: Customer, container: Container) -> None:
    ticket_id = open_ticket(me)
    assert start_check(agent, ticket_id, "sms").status_code == 201
    code = latest_sms_code(container, PHONE)
    assert confirm_on_ticket(me, ticket_id, code).status_code == 200
    # Asked again, the old code is no good: only the new text's code is.
    assert start_check(agent, ticket_id, "sms").status_code == 201
    new_code = latest_sms_code(container, PHONE)
    before = snapshot(container, me)
    replayed = confirm_on_ticket(me, ticket_id, code)
    assert replayed.status_code == 422
    assert replayed.json()["code"] == "code_invalid"
    assert len(verified(container, ticket_id)) == 1
    assert snapshot(container, me) == before
    assert confirm_on_ticket(me, ticket_id, new_code).status_code == 200
    assert len(verified(container, ticket_id)) == 2


def test_a_ticket_code_and_a_step_up_code_each_work_only_for_what_their_text_said(
    me: Customer, agent: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    # The customer asks for a code of their own (a step-up), then an agent starts a check.
    assert me.post("/api/v1/me/verifications/sms").status_code == 202
    step_up_code = latest_sms_code(container, PHONE)
    assert start_check(agent, ticket_id, "sms").status_code == 201
    ticket_code = latest_sms_code(container, PHONE)
    while ticket_code == step_up_code:  # one time in a million: ask for another
        assert me.post("/api/v1/me/verifications/sms").status_code == 202
        step_up_code = latest_sms_code(container, PHONE)
    before = snapshot(container, me)
    # A code whose text said "for ticket WD-..." steps nothing up: a scammer who talks
    # the customer into reading it out cannot spend it on a payout or a new card...
    stepped = me.post("/api/v1/me/verifications", json={"method": "sms", "code": ticket_code})
    assert stepped.status_code == 422
    assert stepped.json()["code"] == "code_invalid"
    # ...and the customer's own step-up code does not confirm the ticket.
    refused = confirm_on_ticket(me, ticket_id, step_up_code)
    assert refused.status_code == 422
    assert refused.json()["code"] == "code_invalid"
    assert verified(container, ticket_id) == []
    assert snapshot(container, me) == before
    # Each still does what its text said: the agent's check did not cancel the other.
    assert confirm_on_ticket(me, ticket_id, ticket_code).status_code == 200
    stepped = me.post("/api/v1/me/verifications", json={"method": "sms", "code": step_up_code})
    assert stepped.status_code == 201


def test_only_the_tickets_own_customer_can_confirm(
    client: TestClient, me: Customer, agent: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    assert start_check(agent, ticket_id, "sms").status_code == 201
    code = latest_sms_code(container, PHONE)
    other = sign_up(client, phone=OTHER_PHONE, name="Han Meimei", device="phone-2")
    before = snapshot(container, me)
    for stranger in (other, agent):
        refused = confirm_on_ticket(stranger, ticket_id, code)
        assert refused.status_code == 404
        assert refused.json()["code"] == "not_found"
        assert stranger.get(f"/api/v1/tickets/{ticket_id}/verification").status_code == 404
    assert verified(container, ticket_id) == []
    assert snapshot(container, me) == before
    # The code was not spent by the attempts: its owner still confirms with it.
    assert confirm_on_ticket(me, ticket_id, code).status_code == 200


def test_a_check_sent_twice_and_confirmed_leaves_nothing_waiting(
    me: Customer, agent: Customer, container: Container, clock: FakeClock
) -> None:
    ticket_id = open_ticket(me)
    assert start_check(agent, ticket_id, "sms").status_code == 201
    clock.advance(timedelta(seconds=20))
    assert start_check(agent, ticket_id, "sms").status_code == 201  # sent again
    code = latest_sms_code(container, PHONE)  # the second text's: the first is replaced
    assert confirm_on_ticket(me, ticket_id, code).status_code == 200
    # The first request is not "waiting" again behind the confirmed one, for either side.
    assert me.get(f"/api/v1/tickets/{ticket_id}/verification").json() == {"pending": False}
    shown = seen_by_agent(agent, me, ticket_id)
    assert shown["verification_request"] is None
    assert shown["verification"]["fresh"] is True
    before = snapshot(container, me)
    refused = confirm_on_ticket(me, ticket_id, code)
    assert refused.status_code == 409
    assert refused.json()["code"] == "no_pending_verification"
    assert snapshot(container, me) == before


def test_a_closed_ticket_neither_starts_nor_takes_a_check(
    me: Customer, agent: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    assert start_check(agent, ticket_id, "sms").status_code == 201
    code = latest_sms_code(container, PHONE)
    texts = len(container.sms.messages_to(PHONE))
    closed = agent.post(f"/api/v1/agent/tickets/{ticket_id}/status", json={"status": "spam"})
    assert closed.status_code == 200, closed.json()
    # The request sent before it closed waits no more: not for the customer, not for
    # the agent, and its code confirms nothing.
    assert me.get(f"/api/v1/tickets/{ticket_id}/verification").json() == {"pending": False}
    assert seen_by_agent(agent, me, ticket_id)["verification_request"] is None
    rows, before = verifications(container, ticket_id), snapshot(container, me)
    refused = confirm_on_ticket(me, ticket_id, code)
    assert refused.status_code == 409
    assert refused.json()["code"] == "no_pending_verification"
    # ...and no new check starts on it: no text, no row, no message.
    messages = agent.get(f"/api/v1/agent/tickets/{ticket_id}").json()["messages"]
    for method in ("sms", "totp"):
        refused = start_check(agent, ticket_id, method)
        assert refused.status_code == 409
        assert refused.json()["code"] == "ticket_closed"
    assert len(container.sms.messages_to(PHONE)) == texts
    assert verifications(container, ticket_id) == rows
    assert agent.get(f"/api/v1/agent/tickets/{ticket_id}").json()["messages"] == messages
    assert snapshot(container, me) == before


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_confirming_with_nothing_waiting_is_refused_clearly(
    me: Customer, agent: Customer, container: Container, clock: FakeClock, lang: str
) -> None:
    ticket_id = open_ticket(me)
    before = snapshot(container, me)
    refused = confirm_on_ticket(me, ticket_id, "123456", lang)
    assert refused.status_code == 409
    assert refused.json()["code"] == "no_pending_verification"
    assert refused.json()["detail"] == NOTHING_PENDING[lang]
    assert snapshot(container, me) == before

    # A request not confirmed within 15 minutes lapses: the agent starts a new one.
    assert start_check(agent, ticket_id, "sms").status_code == 201
    code = latest_sms_code(container, PHONE)
    clock.advance(timedelta(minutes=16))
    assert me.get(f"/api/v1/tickets/{ticket_id}/verification").json() == {"pending": False}
    assert seen_by_agent(agent, me, ticket_id)["verification_request"] is None
    before = snapshot(container, me)
    lapsed = confirm_on_ticket(me, ticket_id, code, lang)
    assert lapsed.status_code == 409
    assert lapsed.json()["detail"] == NOTHING_PENDING[lang]
    assert verified(container, ticket_id) == []
    assert snapshot(container, me) == before

    # A document check replaces a waiting request: nothing is left to confirm.
    assert start_check(agent, ticket_id, "sms").status_code == 201
    code = latest_sms_code(container, PHONE)
    documented = agent.post(
        f"/api/v1/agent/tickets/{ticket_id}/verifications",
        json={"method": "document", "note": "ID card checked on video call"},
    )
    assert documented.status_code == 201
    assert confirm_on_ticket(me, ticket_id, code).status_code == 409


def test_a_confirmation_counts_for_15_minutes(
    me: Customer, agent: Customer, container: Container, clock: FakeClock
) -> None:
    ticket_id = open_ticket(me)
    assert start_check(agent, ticket_id, "sms").status_code == 201
    assert confirm_on_ticket(me, ticket_id, latest_sms_code(container, PHONE)).status_code == 200
    clock.advance(timedelta(minutes=14))
    assert propose(agent, me, "freeze", ticket_id, "k1").status_code == 201
    clock.advance(timedelta(minutes=2))
    stale = propose(agent, me, "unfreeze", ticket_id, "k2")
    assert stale.status_code == 403
    assert stale.json()["code"] == "identity_verification_required"
    assert seen_by_agent(agent, me, ticket_id)["verification"]["fresh"] is False


def test_the_agent_can_no_longer_enter_a_customers_code(
    me: Customer, agent: Customer, container: Container
) -> None:
    ticket_id = open_ticket(me)
    assert start_check(agent, ticket_id, "sms").status_code == 201
    code = latest_sms_code(container, PHONE)
    before = snapshot(container, me)
    with_code = agent.post(
        f"/api/v1/agent/tickets/{ticket_id}/verifications", json={"method": "sms", "code": code}
    )
    assert with_code.status_code == 422
    old_route = agent.post(
        f"/api/v1/agent/tickets/{ticket_id}/verifications/confirm", json={"code": code}
    )
    assert old_route.status_code in (404, 405)
    assert verified(container, ticket_id) == []
    assert len(verifications(container, ticket_id)) == 1
    assert snapshot(container, me) == before


# -- totp -------------------------------------------------------------------------------


def test_the_customer_confirms_with_their_authenticator_app(
    me: Customer, agent: Customer, container: Container, clock: FakeClock
) -> None:
    enable_totp(me, clock)
    assert me.totp_secret is not None
    ticket_id = open_ticket(me)
    enrolment_code = totp_now(me.totp_secret, clock)
    container.dispatcher.run_once()
    texts_before = len(container.sms.messages_to(PHONE))

    started = start_check(agent, ticket_id, "totp")
    assert started.status_code == 201, started.json()
    assert started.json()["status"] == "waiting_for_customer"
    # Nothing is texted; the customer hears of it in the app (and by email if any).
    container.dispatcher.run_once()
    assert len(container.sms.messages_to(PHONE)) == texts_before
    alerts = me.get("/api/v1/me/alerts").json()["items"]
    assert alerts[0]["kind"] == "ticket_reply"
    asked = me.get(f"/api/v1/tickets/{ticket_id}").json()["messages"][-1]["body"]
    assert "enter the 6-digit code from your authenticator app there" in asked

    # The code the customer just used to turn 2FA on cannot be used again.
    replayed = confirm_on_ticket(me, ticket_id, enrolment_code)
    assert replayed.status_code == 422
    assert verified(container, ticket_id) == []
    clock.advance(timedelta(seconds=30))
    good = totp_now(me.totp_secret, clock)
    assert confirm_on_ticket(me, ticket_id, good).status_code == 200
    shown = seen_by_agent(agent, me, ticket_id)
    assert shown["verification"]["method"] == "totp"
    assert shown["verification"]["fresh"] is True
    (logged,) = audited(container, me, "agent.identity.verified")
    assert logged.after["method"] == "totp"
    assert len(audited(container, me, "agent.identity.requested")) == 1
    # Asked again within the same 30 s, the spent code is refused.
    assert start_check(agent, ticket_id, "totp").status_code == 201
    again = confirm_on_ticket(me, ticket_id, good)
    assert again.status_code == 422
    assert len(verified(container, ticket_id)) == 1


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_totp_needs_the_customer_to_have_2fa_on(
    me: Customer, agent: Customer, container: Container, clock: FakeClock, lang: str
) -> None:
    ticket_id = open_ticket(me)
    before = snapshot(container, me)
    refused = start_check(agent, ticket_id, "totp", lang)
    assert refused.status_code == 409
    assert refused.json()["code"] == "totp_verification_unavailable"
    assert refused.json()["detail"] == NO_APP_AGENT[lang]
    assert verifications(container, ticket_id) == []
    assert snapshot(container, me) == before

    # 2FA turned off after the agent asked: the customer is told what to do instead.
    enable_totp(me, clock)
    assert start_check(agent, ticket_id, "totp").status_code == 201
    # Turning 2FA off takes an authenticator step-up (a password one is refused).
    off = me.delete(
        "/api/v1/me/2fa/totp",
        headers={"X-Verification-Token": step_up_second_factor(me, clock)},
    )
    assert off.status_code == 204
    before = snapshot(container, me)
    unavailable = confirm_on_ticket(me, ticket_id, "123456", lang)
    assert unavailable.status_code == 409
    assert unavailable.json()["code"] == "totp_confirmation_unavailable"
    assert unavailable.json()["detail"] == NO_APP_CUSTOMER[lang]
    assert verified(container, ticket_id) == []
    assert snapshot(container, me) == before

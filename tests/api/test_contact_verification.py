"""Verifying the phone number and email on an account: a code sent there, typed back.

Sign-up takes a contact on trust; only a verified one identifies the customer to the
inbound channels (test_channels_verified_contacts.py). Codes are single-use, expire,
are stored hashed, and wrong ones count towards the login lockout. A changed contact is
unverified again. Every refusal verifies nothing and changes nothing else.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from agent_world import staff
from api_world import (
    Customer,
    latest_email_code,
    latest_sms_code,
    sign_up,
    verify_contact,
)
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from walletdesk.audit import tables as audit_tables
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import changes, store
from walletdesk.identity import tables as t
from walletdesk.identity.model import RequestContext
from walletdesk.identity.tokens import hash_token
from walletdesk.notify import tables as notify_tables

BACKENDS = ["sqlite", "postgres"]
PHONE = "+8613800138000"
EMAIL = "li.lei@example.com"
ZH = {"Accept-Language": "zh-CN"}


def send(me: Customer, kind: str, **headers: str) -> Any:
    return me.post("/api/v1/me/contact-verifications", json={"kind": kind}, headers=headers)


def confirm(me: Customer, kind: str, code: str, **headers: str) -> Any:
    return me.post(
        "/api/v1/me/contact-verifications/confirm",
        json={"kind": kind, "code": code},
        headers=headers,
    )


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def everything(container: Container, user_id: str) -> dict[str, Any]:
    """What a refused send or confirmation could have touched: the user's row (contacts,
    their verification, the lockout counters), their codes, every throttle row, every
    alert, text and email, the security events and the audit log."""
    container.dispatcher.run_once()
    uid = uuid.UUID(user_id)
    with container.engine.connect() as conn:
        user = conn.execute(select(t.users).where(t.users.c.id == uid)).one()

        def rows(table: Any, *columns: str) -> list[tuple[Any, ...]]:
            picked = [table.c[name] for name in columns]
            query = select(*picked).where(table.c.user_id == uid).order_by(*picked)
            return [tuple(r) for r in conn.execute(query)]

        return {
            "user": {
                name: getattr(user, name)
                for name in (
                    "phone",
                    "email",
                    "phone_verified_at",
                    "email_verified_at",
                    "status",
                    "failed_logins",
                    "locked_until",
                    "version",
                )
            },
            "contact_codes": rows(t.contact_challenges, "id", "used_at", "attempts"),
            "sms_codes": rows(t.sms_challenges, "id", "used_at", "attempts"),
            "security_events": rows(t.security_events, "id", "kind"),
            "throttle": [tuple(r) for r in conn.execute(select(t.source_throttle))],
            "outbox": [
                tuple(r)
                for r in conn.execute(
                    select(notify_tables.outbox.c.id).order_by(notify_tables.outbox.c.id)
                )
            ],
            "audit_records": conn.execute(
                select(func.count()).select_from(audit_tables.audit_log)
            ).scalar_one(),
            "texts": [m.body for m in container.sms.messages_to(PHONE)],
            "emails": [m.body for m in container.email.messages_to(EMAIL)],  # type: ignore[attr-defined]
        }


def verified(me: Customer) -> tuple[bool, bool]:
    shown = me.get("/api/v1/me").json()
    return shown["phone_verified"], shown["email_verified"]


# -- the flows -----------------------------------------------------------------------


def test_a_new_account_shows_its_contacts_unverified(client: TestClient) -> None:
    me = sign_up(client, phone=PHONE, email=EMAIL)
    assert verified(me) == (False, False)
    assert (me.user["phone_verified"], me.user["email_verified"]) == (False, False)


def test_the_code_texted_to_the_phone_verifies_it(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client, phone=PHONE, email=EMAIL)
    asked = send(me, "phone")
    assert asked.status_code == 202, asked.json()
    assert asked.json() == {
        "kind": "phone",
        "expires_at": (clock.now() + timedelta(minutes=5)).isoformat(),
    }
    code = latest_sms_code(container, PHONE)
    # Only to the phone: the email and the in-app inbox never see a contact code.
    assert container.email.messages_to(EMAIL) == []  # type: ignore[attr-defined]
    assert me.get("/api/v1/me/alerts").json()["items"] == []

    confirmed = confirm(me, "phone", code)
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json() == {
        "kind": "phone",
        "value": PHONE,
        "verified": True,
        "verified_at": clock.now().isoformat(),
    }
    assert verified(me) == (True, False)
    with container.engine.connect() as conn:
        [challenge] = conn.execute(select(t.contact_challenges)).all()
        events = [
            r.kind
            for r in conn.execute(
                select(t.security_events.c.kind).where(
                    t.security_events.c.user_id == uuid.UUID(me.user["id"])
                )
            )
        ]
        actions = list(conn.execute(select(audit_tables.audit_log.c.action)).scalars())
    # Stored hashed, and spent.
    assert challenge.code_hash == hash_token(code)
    assert code not in str(tuple(challenge))
    assert challenge.used_at is not None
    assert "phone_verified" in events
    assert "phone.verified" in actions


def test_the_code_emailed_to_the_address_verifies_it_in_the_customers_language(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE, email=EMAIL, locale="zh-CN")
    assert send(me, "email").status_code == 202
    container.dispatcher.run_once()
    [mail] = container.email.messages_to(EMAIL)  # type: ignore[attr-defined]
    assert "验证您的 walletdesk 邮箱" in mail.subject
    assert "绝不会向您索要" in mail.body
    assert container.sms.messages_to(PHONE) == []
    code = latest_email_code(container, EMAIL)
    confirmed = confirm(me, "email", code)
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["value"] == EMAIL
    assert verified(me) == (False, True)


def test_a_wrong_code_is_refused_counted_and_verifies_nothing(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE, email=EMAIL)
    assert send(me, "phone").status_code == 202
    code = latest_sms_code(container, PHONE)
    before = everything(container, me.user["id"])
    refused = confirm(me, "phone", wrong(code), **ZH)
    assert refused.status_code == 422
    assert refused.json()["code"] == "code_invalid"
    assert "验证码" in refused.json()["detail"]
    after = everything(container, me.user["id"])
    # Counted (the account's lockout counter, this code's tries, a security event) and
    # nothing else: still unverified, the code unspent, nothing sent.
    assert after["user"]["failed_logins"] == before["user"]["failed_logins"] + 1
    assert after["user"]["phone_verified_at"] is None
    [(_code_id, used_at, attempts)] = after["contact_codes"]
    assert (used_at, attempts) == (None, 1)
    kinds = [kind for _, kind in after["security_events"]]
    assert kinds.count("contact_verification_failed") == 1
    for unchanged in ("outbox", "texts", "emails", "audit_records", "sms_codes"):
        assert after[unchanged] == before[unchanged], unchanged
    # The right code still works afterwards.
    assert confirm(me, "phone", code).status_code == 200


def test_wrong_codes_lock_the_account_like_wrong_passwords(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE)
    assert send(me, "phone").status_code == 202
    code = latest_sms_code(container, PHONE)
    answers = [confirm(me, "phone", wrong(code)).status_code for _ in range(5)]
    assert answers == [422, 422, 422, 422, 423]
    before = everything(container, me.user["id"])
    # Locked: even the right code is not checked, let alone spent.
    locked = confirm(me, "phone", code)
    assert locked.status_code == 423
    assert locked.json()["code"] == "account_locked"
    assert everything(container, me.user["id"]) == before
    assert verified(me) == (False, False)


def test_an_expired_code_is_refused(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client, phone=PHONE)
    assert send(me, "phone").status_code == 202
    code = latest_sms_code(container, PHONE)
    clock.advance(timedelta(minutes=5))
    before = everything(container, me.user["id"])
    refused = confirm(me, "phone", code)
    assert refused.status_code == 422
    assert refused.json()["code"] == "code_invalid"
    after = everything(container, me.user["id"])
    assert after["user"]["phone_verified_at"] is None
    assert after["contact_codes"] == before["contact_codes"]


def test_a_code_works_once_and_only_the_latest_code_works(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE)
    assert send(me, "phone").status_code == 202
    first = latest_sms_code(container, PHONE)
    assert send(me, "phone").status_code == 202
    latest = latest_sms_code(container, PHONE)
    if first != latest:  # one in a million they are equal; the replaced code is gone anyway
        assert confirm(me, "phone", first).status_code == 422
    assert confirm(me, "phone", latest).status_code == 200
    before = everything(container, me.user["id"])
    reused = confirm(me, "phone", latest)
    assert reused.status_code == 422
    after = everything(container, me.user["id"])
    assert after["user"]["phone_verified_at"] == before["user"]["phone_verified_at"]
    assert after["contact_codes"] == before["contact_codes"]


def test_a_code_sent_to_the_old_number_does_not_verify_the_new_one(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE)
    assert send(me, "phone").status_code == 202
    old_code = latest_sms_code(container, PHONE)
    changed = me.put(
        "/api/v1/me/phone",
        json={"phone": "+8613900139000"},
        headers={"X-Verification-Token": me.step_up()},
    )
    assert changed.status_code == 200, changed.json()
    refused = confirm(me, "phone", old_code)
    assert refused.status_code == 422
    assert verified(me) == (False, False)


def test_a_verified_contact_asks_for_no_code_and_a_missing_one_has_none_to_verify(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE)
    verify_contact(me, container, "phone")
    before = everything(container, me.user["id"])
    again = send(me, "phone", **ZH)
    assert again.status_code == 409
    assert again.json()["code"] == "contact_already_verified"
    assert "已验证" in again.json()["detail"]
    no_email = send(me, "email")
    assert no_email.status_code == 422
    assert no_email.json()["code"] == "no_contact_on_file"
    assert confirm(me, "email", "123456").json()["code"] == "no_contact_on_file"
    assert everything(container, me.user["id"]) == before
    unknown = me.post("/api/v1/me/contact-verifications", json={"kind": "fax"})
    assert unknown.status_code == 422


@pytest.mark.parametrize(
    ("kind", "code", "words"),
    [("phone", "sms_rate_limited", "手机号"), ("email", "email_rate_limited", "邮箱")],
)
def test_codes_to_one_destination_are_capped_like_step_up_texts(
    client: TestClient, container: Container, clock: FakeClock, kind: str, code: str, words: str
) -> None:
    me = sign_up(client, phone=PHONE, email=EMAIL)
    for _ in range(5):
        assert send(me, kind).status_code == 202
    before = everything(container, me.user["id"])
    refused = send(me, kind, **ZH)
    assert refused.status_code == 429
    assert refused.json()["code"] == code
    assert words in refused.json()["detail"]
    assert refused.headers["Retry-After"] == str(15 * 60)
    assert everything(container, me.user["id"]) == before
    clock.advance(timedelta(minutes=15))
    assert send(me, kind).status_code == 202


def test_a_phone_verification_code_counts_towards_the_step_up_texts_cap(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE)
    for _ in range(5):
        assert send(me, "phone").status_code == 202
    refused = me.post("/api/v1/me/verifications/sms")
    assert refused.status_code == 429
    assert refused.json()["code"] == "sms_rate_limited"


# -- a changed contact is unverified -----------------------------------------------------


def test_the_customers_own_change_of_phone_or_email_clears_its_verification(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE, email=EMAIL)
    verify_contact(me, container, "phone")
    verify_contact(me, container, "email")
    assert verified(me) == (True, True)
    # The same number again changes nothing, so it stays verified.
    same = me.put(
        "/api/v1/me/phone", json={"phone": PHONE}, headers={"X-Verification-Token": me.step_up()}
    )
    assert same.status_code == 200
    assert same.json()["phone_verified"] is True
    # A new email is unverified: the step-up proved who asked, not what they typed.
    moved = me.put(
        "/api/v1/me/email",
        json={"email": "lei.li@example.org"},
        headers={"X-Verification-Token": me.step_up()},
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["email_verified"] is False
    assert verified(me) == (True, False)
    moved = me.put(
        "/api/v1/me/phone",
        json={"phone": "+8613900139000"},
        headers={"X-Verification-Token": me.step_up()},
    )
    assert moved.json()["phone_verified"] is False
    assert verified(me) == (False, False)


def test_an_agents_approved_change_of_contact_clears_its_verification(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE, email=EMAIL)
    verify_contact(me, container, "phone")
    verify_contact(me, container, "email")
    agent = staff(client, container, 1)
    with container.engine.connect() as conn:
        actor = store.get_user(conn, uuid.UUID(agent.user["id"]))
    changed = changes.do_change_contact_for_customer(
        container.identity,
        actor=actor,
        user_id=uuid.UUID(me.user["id"]),
        field="phone",
        value="+8613900139000",
        reason="lost the old phone; identity checked on the ticket",
        ctx=RequestContext(),
    )
    assert changed.phone_verified_at is None
    assert changed.email_verified_at is not None
    with container.engine.connect() as conn:
        row = store.user_row(conn, uuid.UUID(me.user["id"]))
    assert (row.phone, row.phone_verified_at) == ("+8613900139000", None)


# -- what else proves the phone ----------------------------------------------------------


def test_a_step_up_by_sms_code_also_verifies_the_phone(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE)
    assert me.post("/api/v1/me/verifications/sms").status_code == 202
    code = latest_sms_code(container, PHONE)
    stepped = me.post("/api/v1/me/verifications", json={"method": "sms", "code": code})
    assert stepped.status_code == 201, stepped.json()
    assert verified(me) == (True, False)
    with container.engine.connect() as conn:
        event = conn.execute(
            select(t.security_events.c.detail).where(t.security_events.c.kind == "phone_verified")
        ).scalar_one()
    assert event["via"] == "sms_step_up"


def test_a_step_up_by_password_verifies_nothing(client: TestClient) -> None:
    me = sign_up(client, phone=PHONE, email=EMAIL)
    me.step_up()
    assert verified(me) == (False, False)


# -- a frozen account ------------------------------------------------------------------


def test_a_frozen_account_gets_no_code_and_confirms_none(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE, email=EMAIL)
    assert send(me, "phone").status_code == 202
    code = latest_sms_code(container, PHONE)
    frozen = me.post("/api/v1/me/freeze", json={"reason": "phone stolen"})
    assert frozen.status_code == 200, frozen.json()
    before = everything(container, me.user["id"])
    for response in (send(me, "email", **ZH), confirm(me, "phone", code, **ZH)):
        assert response.status_code == 403, response.json()
        assert response.json()["code"] == "account_frozen"
        assert "已冻结" in response.json()["detail"]
    # A wrong code is not even checked, so not counted either.
    assert confirm(me, "phone", wrong(code)).status_code == 403
    assert everything(container, me.user["id"]) == before


# -- the security check-up -------------------------------------------------------------


def test_the_check_up_asks_to_verify_the_contacts_in_both_languages(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE, email=EMAIL)

    def item(headers: dict[str, str] | None = None) -> dict[str, Any]:
        checkup = me.get("/api/v1/me/security", headers=headers or {}).json()
        found: dict[str, Any] = next(i for i in checkup["items"] if i["id"] == "verified_contacts")
        return found

    assert item()["ok"] is False
    assert "Verify your phone number and email" in item()["advice"]
    assert "请在“我的”页面验证" in item(ZH)["advice"]
    score_before = me.get("/api/v1/me/security").json()["score"]
    verify_contact(me, container, "phone")
    assert item()["ok"] is False  # the email is still unverified
    verify_contact(me, container, "email")
    assert item()["ok"] is True
    assert "均已验证" in item(ZH)["advice"]
    assert me.get("/api/v1/me/security").json()["score"] == score_before + 10

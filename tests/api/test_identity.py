"""Identity and security endpoints, in both languages; every rejection changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from api_world import STRONG, enable_totp, sign_up, step_up_second_factor, totp_now
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from walletdesk.audit import tables as audit_tables
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as t

BACKENDS = ["sqlite", "postgres"]
ZH = {"Accept-Language": "zh-CN"}


def count(container: Container, table: Any) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def user_row(container: Container, user_id: str) -> Any:
    with container.engine.connect() as conn:
        return conn.execute(select(t.users).where(t.users.c.id == uuid.UUID(user_id))).one()


# -- registration -------------------------------------------------------------------


def test_sign_up_normalises_the_phone_and_starts_at_tier_one(client: TestClient) -> None:
    response = client.post(
        "/api/v1/users",
        json={
            "phone": "１３８ ００１３ ８０００",
            "password": STRONG,
            "display_name": "韩梅梅",
            "locale": "zh-CN",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["phone"] == "+8613800138000"
    assert body["kyc_tier"] == "I"
    assert body["role"] == "customer"
    assert "password" not in str(body)


@pytest.mark.parametrize(
    ("password", "lang", "fragment"),
    [("password123", "en", "at least 10 characters"), ("short", "zh-CN", "密码至少 10 位")],
)
def test_a_weak_password_is_refused_in_the_users_language_and_nothing_is_created(
    client: TestClient, container: Container, password: str, lang: str, fragment: str
) -> None:
    response = client.post(
        "/api/v1/users",
        json={"email": "a@example.com", "password": password, "display_name": "A"},
        headers={"Accept-Language": lang},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "password_too_weak"
    assert fragment in response.json()["detail"]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert count(container, t.users) == 0


def test_a_password_containing_the_users_name_is_weak(
    client: TestClient, container: Container
) -> None:
    response = client.post(
        "/api/v1/users",
        json={
            "email": "zhangwei@example.com",
            "password": "Zhangwei-2026!",
            "display_name": "Zhangwei",
        },
    )
    assert response.json()["code"] == "password_too_weak"
    assert count(container, t.users) == 0


def test_a_login_already_registered_is_a_conflict_and_changes_nothing(
    client: TestClient, container: Container
) -> None:
    sign_up(client)
    before = count(container, t.users)
    again = client.post(
        "/api/v1/users",
        json={"phone": "13800138000", "password": STRONG, "display_name": "X"},
        headers=ZH,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "login_taken"
    assert "已被注册" in again.json()["detail"]
    assert count(container, t.users) == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"phone": "12345", "password": STRONG, "display_name": "A"}, "phone_invalid"),
        ({"email": "not-an-email", "password": STRONG, "display_name": "A"}, "email_invalid"),
        ({"password": STRONG, "display_name": "A"}, "login_required"),
        ({"email": "a@example.com", "password": STRONG, "display_name": "   "}, "validation_error"),
        (
            {"email": "a@example.com", "password": STRONG, "display_name": "A", "locale": "fr"},
            "validation_error",
        ),
    ],
)
def test_bad_sign_ups_get_a_clear_error_and_create_nothing(
    client: TestClient, container: Container, body: dict[str, Any], code: str
) -> None:
    response = client.post("/api/v1/users", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert count(container, t.users) == 0


# -- login and lockout --------------------------------------------------------------


def test_wrong_password_and_unknown_login_get_the_same_answer(client: TestClient) -> None:
    sign_up(client)
    wrong = client.post(
        "/api/v1/sessions", json={"login": "13800138000", "password": "nope-nope-nope"}
    )
    unknown = client.post(
        "/api/v1/sessions", json={"login": "13900139000", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"


def test_five_failures_lock_the_account_until_the_time_given(
    client: TestClient, clock: FakeClock
) -> None:
    sign_up(client)
    for _ in range(4):
        assert (
            client.post(
                "/api/v1/sessions", json={"login": "13800138000", "password": "x" * 12}
            ).status_code
            == 401
        )
    locked = client.post(
        "/api/v1/sessions", json={"login": "13800138000", "password": "x" * 12}, headers=ZH
    )
    assert locked.status_code == 423
    assert locked.json()["code"] == "account_locked"
    assert "之后再试" in locked.json()["detail"]
    # Even the right password waits for the lock to end.
    right = client.post("/api/v1/sessions", json={"login": "13800138000", "password": STRONG})
    assert right.status_code == 423
    clock.advance(timedelta(minutes=15, seconds=1))
    assert (
        client.post(
            "/api/v1/sessions", json={"login": "13800138000", "password": STRONG}
        ).status_code
        == 201
    )


def test_many_failures_from_one_address_lock_that_address(client: TestClient) -> None:
    for n in range(20):
        client.post("/api/v1/sessions", json={"login": f"1390013{n:04d}", "password": "x" * 12})
    response = client.post("/api/v1/sessions", json={"login": "13900130000", "password": "x" * 12})
    assert response.status_code == 423


def test_logout_ends_the_session(client: TestClient) -> None:
    me = sign_up(client)
    assert me.delete("/api/v1/sessions/current").status_code == 204
    assert me.get("/api/v1/me").status_code == 401


def test_an_expired_session_is_refused(client: TestClient, clock: FakeClock) -> None:
    me = sign_up(client)
    clock.advance(timedelta(hours=12, seconds=1))
    response = me.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


# -- TOTP -----------------------------------------------------------------------------


def test_totp_login_accepts_one_step_of_skew_and_refuses_a_replayed_code(
    client: TestClient, clock: FakeClock
) -> None:
    me = sign_up(client)
    enable_totp(me, clock)
    assert me.totp_secret
    clock.advance(timedelta(seconds=90))
    login = {"login": "13800138000", "password": STRONG}
    needs = client.post("/api/v1/sessions", json=login)
    assert needs.status_code == 401
    assert needs.json()["code"] == "totp_required"
    behind = totp_now(me.totp_secret, clock, offset_steps=-1)
    assert client.post("/api/v1/sessions", json={**login, "totp_code": behind}).status_code == 201
    replay = client.post("/api/v1/sessions", json={**login, "totp_code": behind})
    assert replay.status_code == 401
    assert replay.json()["code"] == "totp_invalid"
    too_old = totp_now(me.totp_secret, clock, offset_steps=-3)
    assert client.post("/api/v1/sessions", json={**login, "totp_code": too_old}).status_code == 401


def test_a_recovery_code_works_exactly_once(client: TestClient, clock: FakeClock) -> None:
    me = sign_up(client)
    codes = enable_totp(me, clock)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    login = {"login": "13800138000", "password": STRONG, "recovery_code": codes[3]}
    assert client.post("/api/v1/sessions", json=login).status_code == 201
    assert client.post("/api/v1/sessions", json=login).status_code == 401


def test_repeated_wrong_totp_codes_lock_the_account(client: TestClient, clock: FakeClock) -> None:
    me = sign_up(client)
    enable_totp(me, clock)
    for _ in range(4):
        client.post(
            "/api/v1/sessions",
            json={"login": "13800138000", "password": STRONG, "totp_code": "000000"},
        )
    last = client.post(
        "/api/v1/sessions", json={"login": "13800138000", "password": STRONG, "totp_code": "000000"}
    )
    assert last.status_code == 423


def test_disabling_totp_needs_step_up_and_a_refusal_changes_nothing(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client)
    enable_totp(me, clock)
    refused = me.delete("/api/v1/me/2fa/totp")
    assert refused.status_code == 403
    assert refused.json()["code"] == "verification_required"
    assert user_row(container, me.user["id"]).totp_enabled is True
    # A password step-up is not enough to turn the second factor off: it takes a code.
    password_only = me.delete("/api/v1/me/2fa/totp", headers={"X-Verification-Token": me.step_up()})
    assert password_only.status_code == 403
    assert password_only.json()["code"] == "second_factor_required"
    assert user_row(container, me.user["id"]).totp_enabled is True
    token = step_up_second_factor(me, clock)
    assert (
        me.delete("/api/v1/me/2fa/totp", headers={"X-Verification-Token": token}).status_code == 204
    )
    assert user_row(container, me.user["id"]).totp_enabled is False


# -- step-up --------------------------------------------------------------------------


def test_a_step_up_token_is_single_use(client: TestClient, container: Container) -> None:
    me = sign_up(client)
    token = me.step_up()
    first = me.put(
        "/api/v1/me/email",
        json={"email": "li@example.com"},
        headers={"X-Verification-Token": token},
    )
    assert first.status_code == 200
    again = me.put(
        "/api/v1/me/email",
        json={"email": "lei@example.com"},
        headers={"X-Verification-Token": token},
    )
    assert again.status_code == 403
    assert user_row(container, me.user["id"]).email == "li@example.com"


def test_a_step_up_token_expires(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client)
    token = me.step_up()
    clock.advance(timedelta(minutes=5, seconds=1))
    response = me.put(
        "/api/v1/me/phone",
        json={"phone": "+8613900139000"},
        headers={"X-Verification-Token": token},
    )
    assert response.status_code == 403
    assert user_row(container, me.user["id"]).phone == "+8613800138000"


def test_a_wrong_password_gives_no_step_up_token(client: TestClient, container: Container) -> None:
    me = sign_up(client)
    response = me.post(
        "/api/v1/me/verifications", json={"method": "password", "password": "wrong-wrong"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "code_invalid"
    assert count(container, t.verifications) == 0


def test_guessing_step_up_codes_from_a_session_locks_the_account_like_the_login_form(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    # A stolen session must not be a way to try every 6-digit code.
    me = sign_up(client)
    enable_totp(me, clock)
    assert me.totp_secret is not None
    # Turning 2FA on spent a step-up of its own; none may be issued from here on.
    issued = count(container, t.verifications)
    wrong = {"method": "totp", "code": "000000"}
    for _ in range(4):
        refused = me.post("/api/v1/me/verifications", json=wrong)
        assert refused.status_code == 422
        assert refused.json()["code"] == "code_invalid"
    locked = me.post("/api/v1/me/verifications", json=wrong, headers={"Accept-Language": "zh-CN"})
    assert locked.status_code == 423
    assert locked.json()["code"] == "account_locked"
    # Now even the right code (or the password) gets no token until the lock ends...
    clock.advance(timedelta(seconds=30))
    right = {"method": "totp", "code": totp_now(me.totp_secret, clock)}
    assert me.post("/api/v1/me/verifications", json=right).status_code == 423
    password = {"method": "password", "password": STRONG}
    assert me.post("/api/v1/me/verifications", json=password).status_code == 423
    assert count(container, t.verifications) == issued
    assert user_row(container, me.user["id"]).locked_until is not None
    # ...and the owner is told.
    container.dispatcher.run_once()
    alerts = me.get("/api/v1/me/alerts").json()["items"]
    assert any(a["kind"] == "account_locked" for a in alerts)
    clock.advance(timedelta(minutes=15))
    right = {"method": "totp", "code": totp_now(me.totp_secret, clock)}
    assert me.post("/api/v1/me/verifications", json=right).status_code == 201


def test_step_up_by_sms_code(client: TestClient, container: Container) -> None:
    me = sign_up(client)
    assert me.post("/api/v1/me/verifications/sms").status_code == 202
    container.dispatcher.run_once()
    texts = container.sms.messages_to("+8613800138000")
    code = next(
        word
        for word in texts[-1].body.replace("：", " ").replace(":", " ").split()
        if word.isdigit() and len(word) == 6
    )
    wrong = me.post(
        "/api/v1/me/verifications",
        json={"method": "sms", "code": "999999" if code != "999999" else "111111"},
    )
    assert wrong.status_code == 422
    ok = me.post("/api/v1/me/verifications", json={"method": "sms", "code": code})
    assert ok.status_code == 201
    assert (
        me.post("/api/v1/me/verifications", json={"method": "sms", "code": code}).status_code == 422
    )


# -- account changes -----------------------------------------------------------------


def test_changing_the_phone_alerts_the_old_and_the_new_number(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client)
    token = me.step_up()
    response = me.put(
        "/api/v1/me/phone", json={"phone": "13900139000"}, headers={"X-Verification-Token": token}
    )
    assert response.status_code == 200
    assert response.json()["phone"] == "+8613900139000"
    container.dispatcher.run_once()
    assert container.sms.messages_to("+8613800138000")
    assert container.sms.messages_to("+8613900139000")


def test_a_phone_taken_by_another_account_is_refused_and_the_token_is_not_spent(
    client: TestClient, container: Container
) -> None:
    sign_up(client, phone="+8613900139000", device="other")
    me = sign_up(client)
    token = me.step_up()
    refused = me.put(
        "/api/v1/me/phone", json={"phone": "13900139000"}, headers={"X-Verification-Token": token}
    )
    assert refused.status_code == 409
    assert user_row(container, me.user["id"]).phone == "+8613800138000"
    # The failed change rolled back, so the same confirmation still works once.
    ok = me.put(
        "/api/v1/me/phone", json={"phone": "13700137000"}, headers={"X-Verification-Token": token}
    )
    assert ok.status_code == 200


def test_a_card_is_stored_as_a_token_and_last_four_only(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client)
    token = me.step_up()
    response = me.post(
        "/api/v1/me/cards",
        json={"number": "4242 4242 4242 4242", "expiry_month": 12, "expiry_year": 2030},
        headers={"X-Verification-Token": token},
    )
    assert response.status_code == 201
    card = response.json()
    assert card["last4"] == "4242"
    assert card["withdrawals_held"] is True
    with container.engine.connect() as conn:
        stored = [tuple(row) for row in conn.execute(select(t.cards))]
    assert "4242424242424242" not in str(stored)
    removed = me.delete(
        f"/api/v1/me/cards/{card['id']}", headers={"X-Verification-Token": me.step_up()}
    )
    assert removed.status_code == 204
    assert me.get("/api/v1/me/cards").json()["items"] == []


def test_a_mistyped_card_number_is_refused_and_nothing_is_stored(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client)
    response = me.post(
        "/api/v1/me/cards",
        json={"number": "4242 4242 4242 4241", "expiry_month": 12, "expiry_year": 2030},
        headers={"X-Verification-Token": me.step_up(), **ZH},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "card_invalid"
    assert "卡号" in response.json()["detail"]
    assert count(container, t.cards) == 0


def test_changing_the_password_signs_out_other_sessions(client: TestClient) -> None:
    me = sign_up(client)
    other = client.post(
        "/api/v1/sessions",
        json={"login": "13800138000", "password": STRONG},
        headers={"X-Device-Id": "laptop"},
    ).json()["token"]
    response = me.put(
        "/api/v1/me/password",
        json={"current_password": STRONG, "new_password": "Another-Long-Pass-42"},
    )
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"}).status_code == 401
    assert me.get("/api/v1/me").status_code == 200


def test_sessions_are_listed_and_revoked_per_device_but_never_another_users(
    client: TestClient,
) -> None:
    me = sign_up(client)
    other_user = sign_up(client, phone="+8613900139000", device="x")
    sessions = me.get("/api/v1/me/sessions").json()["items"]
    assert len(sessions) == 1
    assert sessions[0]["current"] is True
    theirs = other_user.get("/api/v1/me/sessions").json()["items"][0]["id"]
    assert me.delete(f"/api/v1/me/sessions/{theirs}").status_code == 404
    assert other_user.get("/api/v1/me").status_code == 200


# -- KYC, freeze, check-up -----------------------------------------------------------


def test_kyc_grants_the_tier_the_verified_channels_allow(client: TestClient) -> None:
    me = sign_up(client)
    evidence = {"full_name": "李雷", "id_type": "cn_resident_id", "id_number": "11010519491231002X"}
    two = me.post("/api/v1/me/kyc", json={"tier": "III", **evidence})
    assert two.status_code == 200
    assert two.json()["tier"] == "II"
    me.post(
        "/api/v1/me/cards",
        json={"number": "4242424242424242", "expiry_month": 1, "expiry_year": 2031},
        headers={"X-Verification-Token": me.step_up()},
    )
    three = me.post("/api/v1/me/kyc", json={"tier": "III", "selfie_provided": True, **evidence})
    assert three.json()["tier"] == "III"
    assert me.get("/api/v1/me").json()["kyc_tier"] == "III"


def test_a_kyc_submission_never_lowers_a_tier_raised_while_the_provider_answered(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client)
    user_id = uuid.UUID(me.user["id"])
    provider = container.identity.identity_provider

    class RaisedMeanwhile:
        """The local provider, while another submission of the same customer's (with more
        evidence) lands tier III."""

        def check(self, evidence: Any) -> Any:
            with container.engine.begin() as conn:
                conn.execute(t.users.update().where(t.users.c.id == user_id).values(kyc_tier="III"))
            return provider.check(evidence)

    container.identity.identity_provider = RaisedMeanwhile()
    evidence = {"full_name": "李雷", "id_type": "cn_resident_id", "id_number": "11010519491231002X"}

    answer = me.post("/api/v1/me/kyc", json={"tier": "II", **evidence})

    # This evidence alone earns tier II; the tier read with the session was I.
    assert answer.status_code == 200, answer.text
    assert answer.json()["tier"] == "III"
    assert me.get("/api/v1/me").json()["kyc_tier"] == "III"
    with container.engine.connect() as conn:
        changed = conn.execute(
            select(func.count())
            .select_from(audit_tables.audit_log)
            .where(audit_tables.audit_log.c.action == "kyc.tier_changed")
        ).scalar_one()
    assert changed == 0


def test_kyc_with_an_invalid_id_number_is_rejected_and_nothing_recorded(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client)
    response = me.post(
        "/api/v1/me/kyc",
        json={
            "tier": "II",
            "full_name": "李雷",
            "id_type": "cn_resident_id",
            "id_number": "110105194912310021",
        },
    )
    assert response.status_code == 422
    assert response.json()["code"] == "kyc_rejected"
    assert count(container, t.kyc_checks) == 0
    assert me.get("/api/v1/me").json()["kyc_tier"] == "I"


def test_a_user_can_freeze_their_own_account_and_still_look(client: TestClient) -> None:
    me = sign_up(client)
    response = me.post("/api/v1/me/freeze", json={"reason": "phone stolen"})
    assert response.json()["status"] == "frozen"
    assert me.get("/api/v1/me").json()["status"] == "frozen"


def test_the_security_check_up_scores_and_advises_in_chinese(
    client: TestClient, clock: FakeClock
) -> None:
    me = sign_up(client)
    before = me.get("/api/v1/me/security", headers=ZH).json()
    two_factor = next(item for item in before["items"] if item["id"] == "two_factor")
    assert two_factor["ok"] is False
    assert "双重验证" in two_factor["advice"]
    assert any("验证码" in tip["advice"] for tip in before["tips"])
    enable_totp(me, clock)
    after = me.get("/api/v1/me/security").json()
    assert after["score"] > before["score"]


def test_a_login_from_a_new_device_raises_an_alert(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client)
    client.post(
        "/api/v1/sessions",
        json={"login": "13800138000", "password": STRONG},
        headers={"X-Device-Id": "unknown-laptop", "X-Client-Country": "US"},
    )
    container.dispatcher.run_once()
    kinds = [alert["kind"] for alert in me.get("/api/v1/me/alerts").json()["items"]]
    assert "login_new_device" in kinds
    checkup = me.get("/api/v1/me/security").json()
    assert next(i for i in checkup["items"] if i["id"] == "recent_devices")["ok"] is False


def test_a_login_from_a_new_country_raises_an_alert(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client)
    login = {"login": "13800138000", "password": STRONG}
    client.post(
        "/api/v1/sessions", json=login, headers={"X-Device-Id": "phone-1", "X-Client-Country": "CN"}
    )
    client.post(
        "/api/v1/sessions", json=login, headers={"X-Device-Id": "phone-1", "X-Client-Country": "NG"}
    )
    container.dispatcher.run_once()
    kinds = [alert["kind"] for alert in me.get("/api/v1/me/alerts").json()["items"]]
    assert kinds.count("login_new_country") == 1


# -- authorisation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/me/sessions"),
        ("get", "/api/v1/me/security"),
        ("get", "/api/v1/me/cards"),
        ("get", "/api/v1/me/alerts"),
        ("post", "/api/v1/me/2fa/totp"),
        ("post", "/api/v1/admin/users"),
        ("delete", "/api/v1/sessions/current"),
    ],
)
def test_every_private_endpoint_needs_a_session(client: TestClient, method: str, path: str) -> None:
    response = getattr(client, method)(path, headers={"Authorization": "Bearer wds_forged"})
    assert response.status_code == 401


@pytest.mark.parametrize("role", ["customer", "agent", "supervisor", "merchant"])
def test_only_admins_create_staff(client: TestClient, container: Container, role: str) -> None:
    from walletdesk.identity import accounts
    from walletdesk.identity.model import RequestContext
    from walletdesk.identity.roles import Role
    from walletdesk.identity.staff import console_operator

    admin = accounts.do_register(
        container.identity,
        phone=None,
        email="root@walletdesk.example",
        password=STRONG,
        display_name="Root",
        locale="en",
        ctx=RequestContext(),
        role=Role.ADMIN,
        actor=console_operator(container.clock.now()),
    )
    assert admin.role is Role.ADMIN
    if role != "customer":
        accounts.do_register(
            container.identity,
            phone=None,
            email=f"{role}@walletdesk.example",
            password=STRONG,
            display_name=role,
            locale="en",
            ctx=RequestContext(),
            role=Role(role),
            actor=admin,
        )
        token = client.post(
            "/api/v1/sessions", json={"login": f"{role}@walletdesk.example", "password": STRONG}
        ).json()["token"]
    else:
        token = sign_up(client).token
    before = count(container, t.users)
    refused = client.post(
        "/api/v1/admin/users",
        json={
            "email": "new@walletdesk.example",
            "password": STRONG,
            "display_name": "N",
            "role": "agent",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 403
    assert count(container, t.users) == before
    admin_token = client.post(
        "/api/v1/sessions", json={"login": "root@walletdesk.example", "password": STRONG}
    ).json()["token"]
    made = client.post(
        "/api/v1/admin/users",
        json={
            "email": "new@walletdesk.example",
            "password": STRONG,
            "display_name": "N",
            "role": "agent",
        },
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert made.status_code == 201
    assert made.json()["role"] == "agent"

"""A frozen account makes no step-up, gets no step-up code and raises nothing.

Whoever holds a frozen account's session (and perhaps its password) must not mint
step-up tokens, have step-up codes texted, raise the verification tier or ask for
higher limits. Each is refused `account_frozen` (403, in the request's language)
before anything is checked, spent, counted, sent or recorded. What a frozen account
may still do (look, sign in, and confirm an agent's check on its ticket, which is how
an agent unfreezes it) is in agent_desk/test_frozen_customer_unfreeze.py.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from api_world import (
    STRONG,
    Customer,
    enable_totp,
    latest_sms_code,
    sign_up,
    totp_now,
)
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from walletdesk.audit import tables as audit_tables
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import changes, verification
from walletdesk.identity import tables as t
from walletdesk.identity.authentication import authenticate
from walletdesk.identity.errors import AccountFrozen
from walletdesk.identity.kyc_provider import LocalIdentityProvider
from walletdesk.identity.model import KycTier, RequestContext, UserStatus, VerificationMethod
from walletdesk.notify import tables as notify_tables
from walletdesk.wallet import tables as wallet_tables

BACKENDS = ["sqlite", "postgres"]
PHONE = "+8613800138000"
ZH = {"Accept-Language": "zh-CN"}
EVIDENCE = {"full_name": "李雷", "id_type": "cn_resident_id", "id_number": "11010519491231002X"}


def everything(container: Container, user_id: str) -> dict[str, Any]:
    """What a refused step-up, code, KYC or limit request could have touched: the user's
    row, tokens, codes, KYC checks, limit requests, every throttle row, every alert and
    text, and the audit log. Delivers the outbox first, so texts are compared as sent."""
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
                    "status",
                    "kyc_tier",
                    "totp_last_step",
                    "failed_logins",
                    "first_failure_at",
                    "locked_until",
                )
            },
            "step_ups": rows(t.verifications, "id", "used_at", "used_for"),
            "sms_codes": rows(t.sms_challenges, "id", "used_at", "attempts"),
            "recovery_codes": rows(t.recovery_codes, "code_hash", "used_at"),
            "kyc_checks": rows(t.kyc_checks, "id"),
            "limit_requests": rows(wallet_tables.limit_requests, "id"),
            "security_events": rows(t.security_events, "id", "kind"),
            "throttle": [tuple(r) for r in conn.execute(select(t.source_throttle))],
            "outbox": [
                tuple(r)
                for r in conn.execute(
                    select(notify_tables.outbox.c.id, notify_tables.outbox.c.kind).order_by(
                        notify_tables.outbox.c.id
                    )
                )
            ],
            "audit_records": conn.execute(
                select(func.count()).select_from(audit_tables.audit_log)
            ).scalar_one(),
            "texts": [m.body for m in container.sms.messages_to(PHONE)],
        }


def freeze(me: Customer) -> None:
    frozen = me.post("/api/v1/me/freeze", json={"reason": "phone stolen"})
    assert frozen.status_code == 200, frozen.json()


def assert_frozen(response: Any, words: str) -> None:
    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "account_frozen"
    assert words in response.json()["detail"]


def step_up(me: Customer, **body: str) -> Any:
    return me.post("/api/v1/me/verifications", json=body, headers=ZH)


def test_a_frozen_account_makes_no_step_up_with_its_password_right_or_wrong(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE)
    freeze(me)
    before = everything(container, me.user["id"])
    right = step_up(me, method="password", password=STRONG)
    wrong = me.post(
        "/api/v1/me/verifications", json={"method": "password", "password": "guess-Aa1!-guess"}
    )
    assert_frozen(right, "已冻结")
    assert_frozen(wrong, "frozen")
    # Refused before the password is checked: the wrong one is not counted anywhere.
    assert everything(container, me.user["id"]) == before


def test_a_frozen_account_spends_no_authenticator_or_recovery_code_on_a_step_up(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client, phone=PHONE)
    recovery_codes = enable_totp(me, clock)
    assert me.totp_secret is not None
    freeze(me)
    clock.advance(timedelta(seconds=30))
    before = everything(container, me.user["id"])
    by_app = step_up(me, method="totp", code=totp_now(me.totp_secret, clock))
    by_recovery_code = step_up(me, method="recovery_code", code=recovery_codes[0])
    assert_frozen(by_app, "已冻结")
    assert_frozen(by_recovery_code, "已冻结")
    after = everything(container, me.user["id"])
    assert after == before
    assert all(used_at is None for _, used_at in after["recovery_codes"])


def test_a_frozen_account_gets_no_step_up_code_texted(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE)
    freeze(me)
    before = everything(container, me.user["id"])
    zh = me.post("/api/v1/me/verifications/sms", headers=ZH)
    en = me.post("/api/v1/me/verifications/sms")
    assert_frozen(zh, "已冻结")
    assert_frozen(en, "frozen")
    # No code stored, queued or texted, and nothing counted towards the number's caps.
    assert everything(container, me.user["id"]) == before


def test_a_step_up_code_texted_before_the_freeze_buys_no_token_after_it(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE)
    assert me.post("/api/v1/me/verifications/sms").status_code == 202
    code = latest_sms_code(container, PHONE)
    freeze(me)
    before = everything(container, me.user["id"])
    refused = step_up(me, method="sms", code=code)
    assert_frozen(refused, "已冻结")
    after = everything(container, me.user["id"])
    assert after == before
    # The freeze itself voided the code (authentication.void_step_ups), and the refused
    # attempt counted nothing against it.
    assert [(used_at is not None, attempts) for _, used_at, attempts in after["sms_codes"]] == [
        (True, 0)
    ]


def test_a_frozen_account_cannot_raise_its_verification_tier(
    client: TestClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = sign_up(client, phone=PHONE)
    freeze(me)
    asked: list[Any] = []
    monkeypatch.setattr(LocalIdentityProvider, "check", lambda _self, ev: asked.append(ev))
    before = everything(container, me.user["id"])
    zh = me.post("/api/v1/me/kyc", json={"tier": "II", **EVIDENCE}, headers=ZH)
    en = me.post("/api/v1/me/kyc", json={"tier": "III", "selfie_provided": True, **EVIDENCE})
    assert_frozen(zh, "实名认证等级")
    assert_frozen(en, "verification tier")
    assert everything(container, me.user["id"]) == before
    # The ID number never went to the identity provider.
    assert asked == []
    assert me.get("/api/v1/me").json()["kyc_tier"] == "I"


def test_a_frozen_account_cannot_ask_for_higher_limits(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    # Given an account that qualifies for raised limits (tier II, 2FA on) and a step-up
    # taken just before the freeze
    me = sign_up(client, phone=PHONE)
    assert me.post("/api/v1/me/kyc", json={"tier": "II", **EVIDENCE}).status_code == 200
    enable_totp(me, clock)
    token = me.step_up()
    freeze(me)
    before = everything(container, me.user["id"])
    limits = me.get("/api/v1/limits").json()
    # When it asks for a higher daily limit
    asked = me.post(
        "/api/v1/limit-requests",
        json={"kind": "permanent", "window": "day", "amount": "6000.00", "reason": "new car"},
        headers={"X-Verification-Token": token, **ZH},
    )
    # Then the freeze is the answer, not "confirm it's you", and nothing changed
    assert_frozen(asked, "已冻结")
    assert everything(container, me.user["id"]) == before
    assert me.get("/api/v1/limits").json() == limits


@pytest.mark.parametrize("status", [UserStatus.FROZEN, UserStatus.CLOSED])
def test_an_account_frozen_or_closed_after_its_session_was_read_is_refused_under_the_lock(
    client: TestClient, container: Container, status: UserStatus
) -> None:
    # Given a request that read the session while the account was still active
    me = sign_up(client, phone=PHONE)
    principal = authenticate(container.identity, me.token)
    assert principal.user.status is UserStatus.ACTIVE
    # and the account frozen (or closed) by someone else before it went on
    with container.engine.begin() as conn:
        conn.execute(
            update(t.users).where(t.users.c.id == principal.user.id).values(status=status.value)
        )
    before = everything(container, me.user["id"])
    ctx = RequestContext(source_ip="203.0.113.9")
    # Then no step-up token, no step-up code and no tier upgrade gets written
    with pytest.raises(AccountFrozen):
        verification.do_verify(
            container.identity,
            principal,
            method=VerificationMethod.PASSWORD,
            password=STRONG,
            code=None,
            ctx=ctx,
        )
    with pytest.raises(AccountFrozen):
        verification.do_send_sms_code(container.identity, principal, ctx)
    with pytest.raises(AccountFrozen):
        changes.do_submit_kyc(
            container.identity,
            principal,
            requested=KycTier.II,
            full_name=EVIDENCE["full_name"],
            id_type=EVIDENCE["id_type"],
            id_number=EVIDENCE["id_number"],
            selfie_provided=False,
            ctx=ctx,
        )
    assert everything(container, me.user["id"]) == before

"""A password change or a freeze voids every step-up token not yet spent.

Step-up tokens belong to the user, not to a session: one taken moments before on a
device that is then signed out (or with the password just replaced) must not still
authorise a contact, card or 2FA change for the rest of its five minutes.
"""

from __future__ import annotations

import uuid
from typing import Any

from api_world import STRONG, Customer, latest_sms_code, log_in, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import select

from walletdesk.bootstrap import Container
from walletdesk.identity import tables as t

BACKENDS = ["sqlite", "postgres"]
PHONE = "+8613800138000"
NEW_PASSWORD = "Another-Long-Pass-42"


def step_ups(container: Container, user_id: str) -> list[tuple[Any, ...]]:
    """(used_for, spent?) of each of the user's step-up tokens, oldest first."""
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(t.verifications.c.used_for, t.verifications.c.used_at)
            .where(t.verifications.c.user_id == uuid.UUID(user_id))
            .order_by(t.verifications.c.created_at, t.verifications.c.used_for)
        ).all()
    return [(r.used_for, r.used_at is not None) for r in rows]


def event(container: Container, kind: str) -> dict[str, Any]:
    with container.engine.connect() as conn:
        detail = conn.execute(
            select(t.security_events.c.detail).where(t.security_events.c.kind == kind)
        ).scalar_one()
    return dict(detail)


def change_email(me: Customer, token: str) -> Any:
    return me.put(
        "/api/v1/me/email",
        json={"email": "li@example.com"},
        headers={"X-Verification-Token": token},
    )


def test_a_password_change_voids_every_unspent_step_up_the_callers_too(
    client: TestClient, container: Container
) -> None:
    # Given step-ups taken on the owner's phone and on another signed-in device
    me = sign_up(client, phone=PHONE)
    laptop = Customer(client, me.user, log_in(client, PHONE))
    mine, theirs = me.step_up(), laptop.step_up()
    # When the owner changes the password
    changed = me.put(
        "/api/v1/me/password", json={"current_password": STRONG, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204
    # Then neither token is worth anything any more
    assert step_ups(container, me.user["id"]) == [
        ("void:password_changed", True),
        ("void:password_changed", True),
    ]
    refused = change_email(me, mine)
    assert refused.status_code == 403
    assert refused.json()["code"] == "verification_required"
    assert change_email(laptop, theirs).status_code == 401  # signed out as well
    assert me.get("/api/v1/me").json()["email"] is None
    assert event(container, "password_changed") == {"sessions_ended": 1, "step_ups_voided": 2}
    # and a step-up with the new password works as before
    me.password = NEW_PASSWORD
    assert change_email(me, me.step_up()).status_code == 200


def test_a_refused_password_change_voids_nothing(client: TestClient, container: Container) -> None:
    me = sign_up(client, phone=PHONE)
    token = me.step_up()
    before = step_ups(container, me.user["id"])
    refused = me.put(
        "/api/v1/me/password",
        json={"current_password": "guess-Aa1!-guess", "new_password": NEW_PASSWORD},
    )
    assert refused.status_code == 422
    assert step_ups(container, me.user["id"]) == before == [(None, False)]
    assert change_email(me, token).status_code == 200


def test_a_freeze_voids_every_unspent_step_up(client: TestClient, container: Container) -> None:
    # Given a step-up taken on the owner's phone and one on a device that may be a thief's
    me = sign_up(client, phone=PHONE)
    thief = Customer(client, me.user, log_in(client, PHONE))
    me.step_up()
    thief.step_up()
    # When the owner freezes the account
    frozen = me.post("/api/v1/me/freeze", json={"reason": "phone stolen"})
    assert frozen.status_code == 200
    # Then both tokens are spent, and the freeze's event counts them with the sessions
    assert step_ups(container, me.user["id"]) == [
        ("void:account_frozen", True),
        ("void:account_frozen", True),
    ]
    detail = event(container, "account_frozen")
    assert (detail["sessions_ended"], detail["step_ups_voided"]) == (1, 2)


def test_freezing_an_already_frozen_account_voids_nothing_new(
    client: TestClient, container: Container
) -> None:
    me = sign_up(client, phone=PHONE)
    me.step_up()
    assert me.post("/api/v1/me/freeze", json={"reason": "phone stolen"}).status_code == 200
    before = step_ups(container, me.user["id"])
    again = me.post("/api/v1/me/freeze", json={"reason": "phone stolen"})
    assert again.status_code == 200
    # The second freeze finds nothing to void (none can be made while frozen) and is not
    # recorded again: one freeze event, the first's.
    assert step_ups(container, me.user["id"]) == before == [("void:account_frozen", True)]
    assert event(container, "account_frozen")["step_ups_voided"] == 1


def test_a_password_change_voids_a_step_up_code_texted_and_not_yet_used(
    client: TestClient, container: Container
) -> None:
    # A texted code buys a token: left alive, it would buy one after the change.
    me = sign_up(client, phone=PHONE)
    assert me.post("/api/v1/me/verifications/sms").status_code == 202
    code = latest_sms_code(container, PHONE)
    changed = me.put(
        "/api/v1/me/password", json={"current_password": STRONG, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204
    assert event(container, "password_changed") == {"sessions_ended": 0, "step_ups_voided": 1}
    refused = me.post("/api/v1/me/verifications", json={"method": "sms", "code": code})
    assert refused.status_code == 422
    assert step_ups(container, me.user["id"]) == []

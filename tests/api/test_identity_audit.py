"""Every sensitive identity action leaves a record in the hash-chained audit log."""

from __future__ import annotations

import uuid
from datetime import timedelta

from api_world import STRONG, enable_totp, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from walletdesk.audit import tables as audit_t
from walletdesk.audit.append_only import drop_append_only_trigger
from walletdesk.audit.model import ProblemReason
from walletdesk.audit.verify import verify_chain
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock

BACKENDS = ["sqlite", "postgres"]
SENSITIVE = ("session.created", "totp.enabled", "phone.changed", "card.added", "password.changed")


def test_a_whole_identity_flow_is_audited_on_a_chain_that_verifies_until_tampered_with(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    # Given a customer who logs in, turns on TOTP, changes phone, adds a card and
    # changes the password
    me = sign_up(client, phone="+8613800138000", email="li@example.com")
    enable_totp(me, clock)
    clock.advance(timedelta(seconds=30))
    phone = me.put(
        "/api/v1/me/phone",
        json={"phone": "+8613900139000"},
        headers={"X-Verification-Token": me.step_up()},
    )
    assert phone.status_code == 200
    card = me.post(
        "/api/v1/me/cards",
        json={"number": "4242 4242 4242 4242", "expiry_month": 12, "expiry_year": 2030},
        headers={"X-Verification-Token": me.step_up()},
    )
    assert card.status_code == 201
    password = me.put(
        "/api/v1/me/password",
        json={"current_password": STRONG, "new_password": "Another-Long-Pass-42"},
    )
    assert password.status_code == 204

    # Then the chain verifies, and each sensitive action has its record, made by
    # the customer about themselves
    report = verify_chain(container.engine)
    assert report.ok, report.problems
    with container.engine.connect() as conn:
        rows = conn.execute(select(audit_t.audit_log).order_by(audit_t.audit_log.c.seq)).all()
    assert report.records_checked == len(rows)
    user_id = uuid.UUID(me.user["id"])
    mine = [row for row in rows if row.subject_id == str(user_id) and row.actor_id == user_id]
    actions = [row.action for row in mine]
    for action in SENSITIVE:
        assert action in actions, action
    phone_change = next(row for row in mine if row.action == "phone.changed")
    assert phone_change.before == {"phone": "+8613800138000"}
    # with how many other sessions and step-ups the change ended (none here)
    assert phone_change.after == {
        "phone": "+8613900139000",
        "sessions_ended": 0,
        "step_ups_voided": 0,
    }
    card_added = next(row for row in mine if row.action == "card.added")
    assert card_added.after["last4"] == "4242"
    assert "4242424242424242" not in str([tuple(row) for row in rows])

    # When one record is rewritten behind the log's back
    target = next(row.seq for row in mine if row.action == "password.changed")
    with container.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # A migration test may have left the append-only triggers on this database.
            drop_append_only_trigger(conn)
        conn.execute(
            update(audit_t.audit_log)
            .where(audit_t.audit_log.c.seq == target)
            .values(action="session.created")
        )

    # Then verification names that record
    tampered = verify_chain(container.engine)
    assert not tampered.ok
    assert [(p.seq, p.reason) for p in tampered.problems] == [(target, ProblemReason.HASH_MISMATCH)]

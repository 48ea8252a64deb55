"""No secret reaches a log, even with every logger at DEBUG and SQL statement logging on."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from api_world import (
    STRONG,
    enable_totp,
    latest_sms_code,
    log_in,
    sign_up,
    totp_now,
)
from fastapi.testclient import TestClient

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock

BACKENDS = ["sqlite", "postgres"]
PHONE = "+8613800138000"
NEW_PASSWORD = "Another-Long-Pass-42"
CARD_AS_TYPED = "4242 4242 4242 4242"


def appears(secret: str, text: str) -> bool:
    """Whether ``secret`` is in ``text``; a short numeric code only as a whole number,
    so it is not "found" inside an unrelated longer number or timestamp."""
    if secret.isdigit() and len(secret) <= 8:
        return re.search(rf"(?<![0-9A-Za-z]){secret}(?![0-9A-Za-z])", text) is not None
    return secret in text


def test_a_whole_account_security_flow_logs_no_secret(
    client: TestClient,
    container: Container,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given every logger at DEBUG, and SQLAlchemy logging each statement with its
    # parameters (INFO is what `echo=True` turns on; DEBUG would add result rows).
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")

    # When a customer signs up, logs in, turns on TOTP and logs in with a code ...
    me = sign_up(client, phone=PHONE)
    recovery_codes = enable_totp(me, clock)
    assert me.totp_secret is not None
    confirm_code = totp_now(me.totp_secret, clock)
    clock.advance(timedelta(seconds=60))
    login_code = totp_now(me.totp_secret, clock)
    totp_session = log_in(client, PHONE, totp_code=login_code)
    # ... steps up with the password and with an SMS code ...
    password_token = me.step_up()
    assert me.post("/api/v1/me/verifications/sms").status_code == 202
    sms_code = latest_sms_code(container, PHONE)
    sms_step_up = me.post("/api/v1/me/verifications", json={"method": "sms", "code": sms_code})
    assert sms_step_up.status_code == 201
    sms_token = sms_step_up.json()["verification_token"]
    # ... adds a card, logs in with a recovery code and changes the password.
    card = me.post(
        "/api/v1/me/cards",
        json={"number": CARD_AS_TYPED, "expiry_month": 12, "expiry_year": 2030},
        headers={"X-Verification-Token": password_token},
    )
    assert card.status_code == 201
    recovery_session = log_in(client, PHONE, recovery_code=recovery_codes[0])
    changed = me.put(
        "/api/v1/me/password", json={"current_password": STRONG, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204
    clock.advance(timedelta(seconds=60))
    last_session = log_in(client, PHONE, NEW_PASSWORD, totp_code=totp_now(me.totp_secret, clock))
    container.dispatcher.run_once()

    # Then the statements were logged (the check below is not vacuous) ...
    log = caplog.text
    assert "INSERT INTO users" in log
    assert "UPDATE user_verifications" in log
    assert "INSERT INTO notify_outbox" in log
    # ... and not one secret is in the log.
    secrets = {
        "password": STRONG,
        "new password": NEW_PASSWORD,
        "session token (sign-up)": me.token,
        "session token (TOTP login)": totp_session,
        "session token (recovery login)": recovery_session,
        "session token (new password)": last_session,
        "verification token (password)": password_token,
        "verification token (SMS)": sms_token,
        "TOTP secret": me.totp_secret,
        "TOTP code (confirm)": confirm_code,
        "TOTP code (login)": login_code,
        "SMS code": sms_code,
        "card number as typed": CARD_AS_TYPED,
        "card number": CARD_AS_TYPED.replace(" ", ""),
        **{f"recovery code {n}": code for n, code in enumerate(recovery_codes)},
    }
    leaked = sorted(name for name, secret in secrets.items() if appears(secret, log))
    assert leaked == []

"""What the API tests share besides fixtures: a signed-up customer and TOTP codes.

Kept out of ``conftest.py`` so tests import it by a name no other test folder uses
(``from conftest import`` would find whichever folder's conftest loaded first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pyotp
from fastapi.testclient import TestClient

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.notify.channels import StoredEmailSender

STRONG = "Correct-Horse-Battery-9"


@dataclass
class Customer:
    """A signed-up, logged-in customer and the headers that act as them."""

    client: TestClient
    user: dict[str, Any]
    token: str
    password: str = STRONG
    totp_secret: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **self.extra_headers}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(
            path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        )

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.client.post(
            path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        )

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.client.put(
            path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        )

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.client.delete(
            path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        )

    def step_up(self) -> str:
        response = self.post(
            "/api/v1/me/verifications", json={"method": "password", "password": self.password}
        )
        assert response.status_code == 201, response.json()
        return str(response.json()["verification_token"])


def sign_up(
    client: TestClient,
    *,
    phone: str | None = "+8613800138000",
    email: str | None = None,
    locale: str = "en",
    name: str = "Li Lei",
    device: str = "phone-1",
) -> Customer:
    body = {
        "phone": phone,
        "email": email,
        "password": STRONG,
        "display_name": name,
        "locale": locale,
    }
    created = client.post("/api/v1/users", json=body)
    assert created.status_code == 201, created.json()
    login = email or phone
    session = client.post(
        "/api/v1/sessions",
        json={"login": login, "password": STRONG},
        headers={"X-Device-Id": device, "User-Agent": f"walletdesk-app/{device}"},
    )
    assert session.status_code == 201, session.json()
    return Customer(client, created.json(), session.json()["token"])


def totp_now(secret: str, clock: FakeClock, offset_steps: int = 0) -> str:
    return str(pyotp.TOTP(secret).at(clock.now().timestamp() + 30 * offset_steps))


def enable_totp(me: Customer, clock: FakeClock) -> list[str]:
    started = me.post("/api/v1/me/2fa/totp")
    assert started.status_code == 201
    me.totp_secret = started.json()["secret"]
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/")
    qr = me.get("/api/v1/me/2fa/totp/qr.svg")
    assert qr.status_code == 200
    assert qr.text.lstrip().startswith("<?xml") or "<svg" in qr.text
    confirmed = me.post(
        "/api/v1/me/2fa/totp/confirm",
        json={"code": totp_now(me.totp_secret, clock)},
        headers={"X-Verification-Token": me.step_up()},
    )
    assert confirmed.status_code == 200, confirmed.json()
    codes: list[str] = confirmed.json()["recovery_codes"]
    return codes


def step_up_second_factor(me: Customer, clock: FakeClock) -> str:
    """A step-up token made with the next authenticator code (what turning 2FA off and
    new recovery codes need); moves the clock to that code's 30 seconds."""
    assert me.totp_secret is not None
    clock.advance(timedelta(seconds=30))
    response = me.post(
        "/api/v1/me/verifications", json={"method": "totp", "code": totp_now(me.totp_secret, clock)}
    )
    assert response.status_code == 201, response.json()
    return str(response.json()["verification_token"])


def log_in(client: TestClient, login: str, password: str = STRONG, **fields: str) -> str:
    """Open a session (``fields``: totp_code or recovery_code) and return its token."""
    response = client.post(
        "/api/v1/sessions", json={"login": login, "password": password, **fields}
    )
    assert response.status_code == 201, response.json()
    return str(response.json()["token"])


def latest_sms_code(container: Container, phone: str) -> str:
    """Deliver what is queued, then read the one-time code in the last text to ``phone``."""
    container.dispatcher.run_once()
    texts = container.sms.messages_to(phone)
    assert texts, f"no text was sent to {phone}"
    codes = re.findall(r"(?<!\d)\d{6}(?!\d)", texts[-1].body)
    assert codes, texts[-1].body
    return str(codes[0])


def latest_email_code(container: Container, address: str) -> str:
    """Deliver what is queued, then read the one-time code in the last email to ``address``."""
    container.dispatcher.run_once()
    assert isinstance(container.email, StoredEmailSender), "tests use the stored email twin"
    mails = container.email.messages_to(address)
    assert mails, f"no email was sent to {address}"
    codes = re.findall(r"(?<!\d)\d{6}(?!\d)", mails[-1].body)
    assert codes, mails[-1].body
    return str(codes[0])


def verify_contact(me: Customer, container: Container, kind: str) -> None:
    """Verify ``me``'s phone or email the way a customer does: ask for a code, read it
    where it was sent, type it back. What the inbound channels need before a message
    from that contact is theirs."""
    asked = me.post("/api/v1/me/contact-verifications", json={"kind": kind})
    assert asked.status_code == 202, asked.json()
    destination = str(me.user[kind])
    if kind == "phone":
        code = latest_sms_code(container, destination)
    else:
        code = latest_email_code(container, destination)
    confirmed = me.post(
        "/api/v1/me/contact-verifications/confirm", json={"kind": kind, "code": code}
    )
    assert confirmed.status_code == 200, confirmed.json()

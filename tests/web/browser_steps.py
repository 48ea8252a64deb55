"""Steps the browser stories share: sign up, log in, read the demo's logins."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from walletdesk.demo import DEMO_PASSWORD

PASSWORD = "Correct-Horse-Battery-9"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def sign_up(page: object, *, name: str = "Test User", email: str | None = None) -> str:
    """Create a customer through the sign-up page; returns the email. Ends signed in."""
    email = email or unique_email()
    page.goto("/signup")  # type: ignore[attr-defined]
    page.fill("#display_name", name)  # type: ignore[attr-defined]
    page.fill("#email", email)  # type: ignore[attr-defined]
    page.fill("#new-password", PASSWORD)  # type: ignore[attr-defined]
    page.click("form[action='/signup'] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url("**/wallet**")  # type: ignore[attr-defined]
    return email


def log_in(
    page: object, login: str, password: str = DEMO_PASSWORD, code: str | None = None
) -> None:
    page.goto("/login")  # type: ignore[attr-defined]
    page.fill("#login", login)  # type: ignore[attr-defined]
    page.fill("#password", password)  # type: ignore[attr-defined]
    if code:
        page.fill("#totp_code", code)  # type: ignore[attr-defined]
    page.click("form[action='/login'] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]


def shot(tab: object, name: str) -> None:
    """Record a screenshot for the README when asked to (WALLETDESK_SCREENSHOTS=1)."""
    if os.environ.get("WALLETDESK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]

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


# -- set-up through the services (fast: no page round trips) ---------------------------
# The container is live_server.container; typed loosely like conftest.LiveServer's.


def _operator(container: object) -> object:
    from walletdesk.identity.staff import console_operator

    return console_operator(container.clock.now())  # type: ignore[attr-defined]


def _ctx() -> object:
    from walletdesk.identity.model import RequestContext

    return RequestContext(user_agent="browser-test set-up", country="CN")


def new_merchant(container: object, *, name: str | None = None) -> object:
    """A merchant of its own for one test (refunds decided by the merchant)."""
    from walletdesk.wallet.merchants import do_create_merchant

    merchant, _key = do_create_merchant(
        container.wallet,  # type: ignore[attr-defined]
        actor=_operator(container),
        name=name or f"Shop {uuid.uuid4().hex[:6]}",
        currency="CNY",
        refund_policy={"window_days": 30, "approval": "merchant"},
        webhook_url=None,
        ctx=_ctx(),
    )
    return merchant


def new_merchant_user(container: object, merchant: object) -> str:
    """A person who signs in to the merchant portal for ``merchant``; returns the email."""
    from walletdesk.wallet.merchant_users import do_create_merchant_user

    email = unique_email("shop")
    do_create_merchant_user(
        container.wallet,  # type: ignore[attr-defined]
        actor=_operator(container),
        merchant_id=merchant.id,  # type: ignore[attr-defined]
        email=email,
        phone=None,
        password=PASSWORD,
        display_name="Shop Staff",
        locale="en",
        ctx=_ctx(),
    )
    return email


def payment_link(
    container: object, merchant: object, amount: int, description: str = "Green tea"
) -> str:
    """A payment intent of ``amount`` minor units; returns its id."""
    from walletdesk.wallet.payments import do_create_intent

    intent = do_create_intent(
        container.wallet,  # type: ignore[attr-defined]
        merchant,  # type: ignore[arg-type]
        amount=amount,
        currency="CNY",
        order_ref=f"test-{uuid.uuid4().hex[:12]}",
        description=description,
        expires_in=3600,
    )
    return str(intent["id"])


def user_id_of(container: object, email: str) -> uuid.UUID:
    from walletdesk.identity import store

    with container.engine.connect() as conn:  # type: ignore[attr-defined]
        row = store.user_row_by_login(conn, "email", email)
    assert row is not None, email
    return uuid.UUID(str(row.id))


def available(container: object, email: str, currency: str = "CNY") -> str:
    """The customer's available balance as a decimal string ("0.00" without a wallet)."""
    from walletdesk.wallet.customer_views import get_balances

    for item in get_balances(container.wallet, user_id_of(container, email)):  # type: ignore[attr-defined]
        if item["currency"] == currency:
            return item["available"]
    return "0.00"


def funded_customer(
    container: object, *, amount: int = 100_00, locale: str = "en", name: str = "Funded"
) -> str:
    """A customer with a card and ``amount`` minor units of CNY, made through the services;
    returns the email (password: PASSWORD)."""
    from walletdesk.identity import accounts, changes, verification
    from walletdesk.identity.model import Principal, VerificationMethod
    from walletdesk.wallet import funding

    email = unique_email("funded")
    user = accounts.do_register(
        container.identity,  # type: ignore[attr-defined]
        phone=None,
        email=email,
        password=PASSWORD,
        display_name=name,
        locale=locale,
        ctx=_ctx(),
    )
    me = Principal(user=user, session_id=None)
    proof = verification.do_verify(
        container.identity,  # type: ignore[attr-defined]
        me,
        method=VerificationMethod.PASSWORD,
        password=PASSWORD,
        code=None,
        ctx=_ctx(),
    )
    card = changes.do_add_card(
        container.identity,  # type: ignore[attr-defined]
        me,
        number="4242424242424242",
        expiry_month=12,
        expiry_year=2030,
        verification_token=proof.token,
        ctx=_ctx(),
    )
    funding.do_fund(
        container.wallet,  # type: ignore[attr-defined]
        user,
        kind="topup",
        amount=amount,
        currency="CNY",
        card_id=uuid.UUID(card["id"]),
        idempotency_key=f"test-{uuid.uuid4().hex}",
        locale=locale,
    )
    return email


def verified_email(container: object, email: str) -> str:
    """Verify the customer's email as they would: a code emailed there, typed back (what
    a transfer addressed to that email needs); returns the email."""
    import re

    from walletdesk.identity import store
    from walletdesk.identity.contact_verification import do_confirm_contact, do_send_contact_code
    from walletdesk.identity.model import ContactKind, Principal, RequestContext

    ctx = RequestContext(user_agent="browser-test set-up", country="CN")
    with container.engine.connect() as conn:  # type: ignore[attr-defined]
        me = Principal(user=store.get_user(conn, user_id_of(container, email)), session_id=None)
    do_send_contact_code(container.identity, me, ContactKind.EMAIL, ctx)  # type: ignore[attr-defined]
    container.dispatcher.run_once()  # type: ignore[attr-defined]
    mails = container.email.messages_to(email)  # type: ignore[attr-defined]
    codes = re.findall(r"(?<!\d)\d{6}(?!\d)", mails[-1].body)
    assert codes, mails[-1].body
    do_confirm_contact(container.identity, me, ContactKind.EMAIL, codes[0], ctx)  # type: ignore[attr-defined]
    return email


# -- steps through the pages -------------------------------------------------------------


def enable_two_factor(page: object, password: str = PASSWORD) -> tuple[str, list[str]]:
    """Turn on 2FA from the security centre with a code computed from the secret the page
    shows and the password typed again; returns the secret and the recovery codes shown
    once."""
    import pyotp

    page.goto("/me/security")  # type: ignore[attr-defined]
    page.click("form[action='/me/security/2fa'] button[type=submit]")  # type: ignore[attr-defined]
    secret = page.get_attribute("[data-testid=totp-secret]", "data-secret")  # type: ignore[attr-defined]
    assert secret
    page.fill("#totp-code", pyotp.TOTP(secret).now())  # type: ignore[attr-defined]
    page.fill("#totp-password", password)  # type: ignore[attr-defined]
    page.click("form[action='/me/security/2fa/confirm'] button[type=submit]")  # type: ignore[attr-defined]
    codes = page.locator("[data-testid=recovery-codes] li").all_inner_texts()  # type: ignore[attr-defined]
    return secret, codes


def add_card_and_top_up(page: object, amount: str, card: str = "4242424242424242") -> None:
    """Add a card on the top-up page (password step-up), then top up ``amount`` from it."""
    page.goto("/wallet/topup")  # type: ignore[attr-defined]
    page.fill("#card-number", card)  # type: ignore[attr-defined]
    page.fill("#card-expiry", "12/30")  # type: ignore[attr-defined]
    page.fill("#card-password", PASSWORD)  # type: ignore[attr-defined]
    page.click("form[action='/wallet/cards'] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url("**/wallet/topup?notice=notice.card_added")  # type: ignore[attr-defined]
    page.fill("#amount", amount)  # type: ignore[attr-defined]
    page.click("form[action='/wallet/topup'] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url("**/wallet?notice=*")  # type: ignore[attr-defined]

"""Normalising the phone numbers and email addresses people log in with."""

from __future__ import annotations

import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from walletdesk.identity.errors import EmailInvalid, PhoneInvalid


def normalise_phone(raw: str, default_region: str = "CN") -> str:
    """E.164 form of a mobile or fixed number; full-width digits and spaces are fine."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise PhoneInvalid("this is not a phone number we can reach") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneInvalid("this is not a phone number we can reach")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """Lower-cased, IDNA-normalised address; no DNS look-up (works offline)."""
    try:
        valid = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise EmailInvalid("this is not an email address we can reach") from None
    return valid.normalized.lower()


def looks_like_email(login: str) -> bool:
    return "@" in login


def normalise_login(login: str) -> tuple[str, str]:
    """("email" | "phone", normalised value) for whatever the user typed."""
    if looks_like_email(login):
        return "email", normalise_email(login)
    return "phone", normalise_phone(login)


def mask_phone(phone: str) -> str:
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "****"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return (local[:1] + "***@" + domain) if domain else "***"

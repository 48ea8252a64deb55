"""Redaction rules: which keys are secret, which digit runs are card numbers, what JSON is kept."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import IntEnum, StrEnum

import pytest

from walletdesk.audit.redaction import REDACTED, is_secret_key, mask_card_numbers, redact


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "new_password",
        "passwordHash",
        "totp_code",
        "totpCode",
        "recovery_code",
        "Verification Code",
        "refresh_token",
        "client_secret",
        "card_number",
        "cardNumber",
        "pan",
        "card_pan",
        "PAN",
        "cvv",
        "cvv2",
        "pin",
        "api_key",
    ],
)
def test_keys_naming_a_secret_are_secret(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["status", "amount", "company", "expand", "shipping", "span", "email", "nickname"]
)
def test_ordinary_keys_are_not_secret(key: str) -> None:
    assert not is_secret_key(key)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("4111111111111111", "************1111"),
        ("card 4111 1111 1111 1111 declined", "card ************1111 declined"),
        ("4111-1111-1111-1111", "************1111"),
        ("amex 378282246310005", "amex ***********0005"),
        ("13 digits 4222222222222", "13 digits *********2222"),
        ("19 digits 6011000990139424123", "19 digits ***************4123"),
        ("two: 4111111111111111, 5500000000000004", "two: ************1111, ************0004"),
        (
            "card 4111111111111111 for 219a5456-0216-4010-819d-ad960c8a986e",
            "card ************1111 for 219a5456-0216-4010-819d-ad960c8a986e",
        ),
    ],
)
def test_card_numbers_are_masked_to_their_last_four_digits(text: str, masked: str) -> None:
    assert mask_card_numbers(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "order 123456789012",  # 12 digits: too short for a card
        "DE89 3704 0044 0532 0130 00",  # an IBAN's 20 digits are one longer run
        "id 12345678901234567890",  # 20 digits
        "+8613800138000",  # an E.164 phone number
        "+86 138 0013 8000",
        "2026-01-01 12:30",
        # A UUID whose dashed groups hold 15 digits in a row (seen in a merged ticket's
        # audit record): ids stay readable for investigators.
        "219a5456-0216-4010-819d-ad960c8a986e",
        "merged into 219a5456-0216-4010-819d-ad960c8a986e today",
        "ref A4111111111111111",  # letters glued on: an identifier, not a card
    ],
)
def test_digit_runs_that_are_not_card_numbers_are_kept(text: str) -> None:
    assert mask_card_numbers(text) == text


class Colour(StrEnum):
    RED = "red"


class Level(IntEnum):
    HIGH = 3


def test_redact_copies_nested_values_into_plain_json() -> None:
    east = timezone(timedelta(hours=8))
    value = {
        "at": datetime(2026, 5, 1, 8, 0, tzinfo=east),
        "day": date(2026, 5, 1),
        "id": uuid.UUID(int=255),
        "amount": Decimal("12.30"),
        "colour": Colour.RED,
        "level": Level.HIGH,
        "pair": (1, "two"),
        "nested": [{"secret": ["anything"], "ok": None}],
        "flag": False,
    }

    assert redact(value) == {
        "at": "2026-05-01T00:00:00.000000Z",
        "day": "2026-05-01",
        "id": "00000000-0000-0000-0000-0000000000ff",
        "amount": "12.30",
        "colour": "red",
        "level": 3,
        "pair": [1, "two"],
        "nested": [{"secret": REDACTED, "ok": None}],
        "flag": False,
    }
    assert type(redact(Colour.RED)) is str
    assert type(redact(Level.HIGH)) is int


def test_redact_leaves_the_callers_value_unchanged() -> None:
    value = {"password": "hunter2", "items": [{"cvv": "123"}]}

    redact(value)

    assert value == {"password": "hunter2", "items": [{"cvv": "123"}]}


def test_large_integers_are_ids_not_card_numbers() -> None:
    assert redact({"expires_ms": 1767225600000}) == {"expires_ms": 1767225600000}


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({1: "x"}, TypeError),
        ({"tags": {"a"}}, TypeError),
        ({"blob": b"\x00"}, TypeError),
        ({"ratio": float("inf")}, ValueError),
        ({"at": datetime(2026, 1, 1)}, ValueError),  # noqa: DTZ001 - the naive value under test
    ],
)
def test_values_json_cannot_hold_exactly_are_refused(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        redact(value)


def test_a_utc_timestamp_keeps_its_instant() -> None:
    assert redact(datetime(2026, 1, 1, 23, 59, 59, 123456, tzinfo=UTC)) == (
        "2026-01-01T23:59:59.123456Z"
    )

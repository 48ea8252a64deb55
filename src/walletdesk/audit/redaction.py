"""What an audit record may keep: no secrets, no full card numbers, only plain JSON.

Pure rules, applied by :func:`walletdesk.audit.log.record` before anything is
hashed or stored, so a secret never reaches the database and the stored value is
exactly the hashed one.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from walletdesk.audit.model import JSONValue, format_timestamp

REDACTED = "[redacted]"

# A key is secret when one of these appears anywhere in it, compared lower-cased
# with separators dropped, so "totp_code", "totpCode" and "Verification Code" all
# match. "code" is deliberately broad: a redacted currency_code costs an
# investigator little; a stored recovery code is a breach.
_SECRET_FRAGMENTS = (
    "password",
    "passwd",
    "passphrase",
    "token",
    "secret",
    "code",
    "cardnumber",
    "cvv",
    "apikey",
    "privatekey",
)
# Short names that are secret only as a whole word: as fragments they would also
# catch "company" and "expand" (pan) or "shipping" (pin).
_SECRET_WORDS = frozenset({"pan", "pin", "cvc", "otp"})

_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")

# 13 to 19 digits, optionally grouped by single spaces or dashes ("4111 1111 ..."),
# and not part of a longer digit run (an IBAN's or an id's digits stay readable).
# A leading "+" marks an E.164 phone number (a "+86" mobile has 13 digits), which
# investigators need to see when a phone number is changed.
# Letters right before or after mean an identifier (hex ids, order refs), not a card.
_CARD_NUMBER = re.compile(
    r"(?<![0-9A-Za-z+])(?<!\d[ -])\d(?:[ -]?\d){12,18}(?![ -]?\d)(?![A-Za-z])"
)
# A UUID's dashed groups can hold 13+ digits in a row ("...5456-0216-4010-819d..."):
# they are ids investigators need, so they are left out of masking whole.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_secret_key(key: str) -> bool:
    """True when a value stored under ``key`` must never be written to the audit log."""
    words = [word.lower() for word in _WORD.findall(key)]
    squashed = "".join(words)
    return any(fragment in squashed for fragment in _SECRET_FRAGMENTS) or any(
        word in _SECRET_WORDS for word in words
    )


def mask_card_numbers(text: str) -> str:
    """Replace every card-number-looking digit run with stars and its last four digits."""
    pieces: list[str] = []
    start = 0
    for uuid_match in _UUID.finditer(text):
        pieces.append(_CARD_NUMBER.sub(_mask, text[start : uuid_match.start()]))
        pieces.append(uuid_match.group())
        start = uuid_match.end()
    pieces.append(_CARD_NUMBER.sub(_mask, text[start:]))
    return "".join(pieces)


def _mask(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "*" * (len(digits) - 4) + digits[-4:]


def redact(value: object) -> JSONValue:
    """A JSON copy of ``value`` that is safe to keep forever.

    Mappings (string keys only) and lists/tuples are copied recursively; the value
    of every secret key (:func:`is_secret_key`) becomes ``"[redacted]"`` whatever
    it was; card numbers inside strings are masked (:func:`mask_card_numbers`).
    Aware datetimes become ISO 8601 UTC, dates ISO dates, UUIDs and Decimals their
    string form (amounts stay exact), enums their value. Integers are left alone:
    a 13-19 digit integer is far likelier an id or a millisecond timestamp than a
    card number, which is text.

    Raises TypeError for anything else (sets, bytes, objects, non-string keys) and
    ValueError for NaN/infinity or a naive datetime, so that what is stored is
    exactly what is hashed and reads back the same.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        return redact(value.value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("NaN or infinity cannot be stored in an audit record")
        return float(value)
    if isinstance(value, str):
        return mask_card_numbers(str(value))
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, Mapping):
        copied: dict[str, JSONValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"audit snapshot keys must be strings, not {type(key).__name__}")
            copied[str(key)] = REDACTED if is_secret_key(key) else redact(item)
        return copied
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    raise TypeError(f"{type(value).__name__} cannot be stored in an audit record")

"""Bank cards: validation and the vault that turns a card number into a token.

walletdesk never stores a card number: the vault (a PSP's tokenisation service in
production) returns a token, and only the token, the last four digits, the brand
and the issuing bank are kept. :class:`LocalCardVault` is the working local twin.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Protocol

from walletdesk.identity.errors import CardInvalid

# Issuer identification numbers we can name (a real deployment asks the PSP).
BANKS_BY_PREFIX: tuple[tuple[str, str], ...] = (
    ("424242", "Walletdesk Test Bank"),
    ("400000", "Walletdesk Test Bank"),
    ("622848", "Agricultural Bank of China 中国农业银行"),
    ("621700", "China Construction Bank 中国建设银行"),
    ("622202", "Industrial and Commercial Bank of China 中国工商银行"),
    ("621483", "China Merchants Bank 招商银行"),
    ("456351", "Bank of China 中国银行"),
    ("4", "Visa issuer"),
    ("5", "Mastercard issuer"),
    ("62", "UnionPay issuer 银联发卡行"),
)


@dataclass(frozen=True, slots=True)
class CardToken:
    token: str
    last4: str
    brand: str
    bank_name: str


class CardVault(Protocol):
    def tokenize(self, number: str, expiry_month: int, expiry_year: int) -> CardToken: ...


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def brand_of(digits: str) -> str:
    if digits.startswith("4"):
        return "visa"
    if digits[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(digits[:4]) <= 2720:
        return "mastercard"
    if digits.startswith("62"):
        return "unionpay"
    if digits[:2] in {"34", "37"}:
        return "amex"
    if digits.startswith("35"):
        return "jcb"
    return "card"


def clean_number(raw: str) -> str:
    digits = "".join(ch for ch in raw if not ch.isspace() and ch != "-")
    if not digits.isascii() or not digits.isdigit() or not 13 <= len(digits) <= 19:
        raise CardInvalid("a card number has 13 to 19 digits")
    if not luhn_valid(digits):
        raise CardInvalid("this card number has a typo (its check digit does not match)")
    return digits


class LocalCardVault:
    """The local twin: validates like a PSP and derives a keyed, non-reversible token."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def tokenize(self, number: str, expiry_month: int, expiry_year: int) -> CardToken:
        digits = clean_number(number)
        if not 1 <= expiry_month <= 12 or not 2000 <= expiry_year <= 2100:
            raise CardInvalid("the expiry date is not valid")
        mac = hmac.new(self._key, digits.encode(), hashlib.sha256).hexdigest()[:32]
        bank = next(
            (name for prefix, name in BANKS_BY_PREFIX if digits.startswith(prefix)), "Card issuer"
        )
        return CardToken(
            token=f"tok_{mac}", last4=digits[-4:], brand=brand_of(digits), bank_name=bank
        )

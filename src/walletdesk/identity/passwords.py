"""Password hashing (argon2id) and the strength rule."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from walletdesk.identity.errors import PasswordTooWeak

MIN_LENGTH = 10
MAX_LENGTH = 128

# The most common choices in public breach corpora (and their wallet flavours);
# compared case-insensitively after stripping digits and symbols at the end.
COMMON = frozenset(
    [
        "password",
        "passw0rd",
        "qwerty",
        "qwertyuiop",
        "asdfghjkl",
        "zxcvbnm",
        "iloveyou",
        "welcome",
        "admin",
        "letmein",
        "monkey",
        "dragon",
        "football",
        "baseball",
        "sunshine",
        "princess",
        "abc123",
        "123456",
        "1234567",
        "12345678",
        "123456789",
        "1234567890",
        "111111",
        "000000",
        "666666",
        "888888",
        "woaini",
        "aini1314",
        "alipay",
        "wechat",
        "wechatpay",
        "walletdesk",
        "wallet",
        "paypal",
    ]
)


@dataclass(frozen=True, slots=True)
class Strength:
    """A 0-4 score; 3 or more is accepted."""

    score: int

    @property
    def acceptable(self) -> bool:
        return self.score >= 3


def strength(password: str, *, personal: tuple[str, ...] = ()) -> Strength:
    """Score a password by length, character variety, and closeness to known or personal words."""
    if len(password) < MIN_LENGTH or len(password) > MAX_LENGTH:
        return Strength(0)
    lowered = password.lower()
    core = lowered.rstrip("0123456789!@#$%^&*?._-")
    if lowered in COMMON or core in COMMON or len(set(password)) <= 3:
        return Strength(1)
    for word in personal:
        if len(word) >= 4 and word.lower() in lowered:
            return Strength(1)
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    # A long passphrase is strong without symbol soup.
    if len(password) >= 16:
        return Strength(4 if classes >= 2 else 3)
    return Strength(min(4, 1 + classes) if classes >= 2 else 2)


def require_strong(password: str, *, personal: tuple[str, ...] = ()) -> Strength:
    result = strength(password, personal=personal)
    if not result.acceptable:
        raise PasswordTooWeak(
            "use at least 10 characters mixing letters, digits or symbols, "
            "or a passphrase of 16+ characters; avoid common words and your own name or phone",
            min_length=MIN_LENGTH,
        )
    return result


class Passwords:
    """argon2id hashing with the configured cost; rehashes when the cost changes."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        # Verified against when the login is unknown, so the answer takes as long
        # as for a real account and does not reveal which logins exist.
        self._dummy = self._hasher.hash("walletdesk-timing-equaliser")
        # Each argon2 run holds memory_kib of RAM; more runs at once than cores only
        # queue on the CPU anyway, so a login flood cannot take gigabytes.
        self._slots = threading.BoundedSemaphore(os.cpu_count() or 1)

    def hash(self, password: str) -> str:
        with self._slots:
            return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            with self._slots:
                return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)

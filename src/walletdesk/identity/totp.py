"""Time-based one-time passwords (RFC 6238) with skew tolerance and replay protection."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp

STEP_SECONDS = 30
# One step either side: phones whose clocks drift by up to 30 s still work.
SKEW_STEPS = 1
RECOVERY_CODE_COUNT = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account_name: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def matching_step(secret: str, code: str, now: datetime, last_used_step: int | None) -> int | None:
    """The time step ``code`` belongs to, if it is valid now and newer than the last used.

    Refusing a step at or before the last accepted one makes every code single-use,
    even within its 30 s window (a code seen over someone's shoulder is worthless).
    """
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - SKEW_STEPS, current + SKEW_STEPS + 1):
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            if last_used_step is not None and step <= last_used_step:
                return None
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes like ``k7qm-2xpd``: 40 random bits each, easy to read aloud and type."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(alphabet) for _ in range(8))
        codes.append(f"{raw[:4]}-{raw[4:]}")
    return codes


def hash_recovery_code(code: str) -> str:
    """Recovery codes are random, so a plain SHA-256 is enough (no dictionary to attack)."""
    normalised = code.strip().lower().replace(" ", "")
    return hashlib.sha256(normalised.encode()).hexdigest()

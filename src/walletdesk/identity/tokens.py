"""Random bearer secrets (session and verification tokens), stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str) -> str:
    """A 256-bit URL-safe secret with a readable prefix (``wds_`` session, ``wdv_`` step-up)."""
    return f"{prefix}{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_numeric_code(digits: int = 6) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(digits))

"""Identifiers.

Ledger ids are client-supplied 128-bit values (TigerBeetle style): the id is the
idempotency key, so a client that retries sends the same id. UUIDv7-like ids are
generated here for callers that have none: time-ordered, so B-tree inserts stay
local and listing by id approximates listing by time.
"""

from __future__ import annotations

import os
import time
import uuid


def new_id() -> uuid.UUID:
    """A fresh 128-bit id: 48 bits of milliseconds, then 80 random bits (UUIDv7 layout)."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80 | rand
    # Set version 7 and the RFC 4122 variant bits so the value is a well-formed UUID.
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return uuid.UUID(int=value)

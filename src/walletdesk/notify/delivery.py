"""Delivery rules for outbox rows: states, their transitions, retry timing. Pure.

::

    pending --all channels done--> sent
    pending --a channel failed--> failed --retry succeeds--> sent
                                  failed --attempts == max--> dead
    pending/failed --cannot be rendered--> dead

``pending`` and ``failed`` are the live states the dispatcher claims; ``sent``
and ``dead`` are final.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from walletdesk.notify.messages import CODE_KINDS, AlertKind, Channel


class OutboxStatus(StrEnum):
    PENDING = "pending"
    FAILED = "failed"  # an attempt failed; another is scheduled at next_attempt_at
    SENT = "sent"
    DEAD = "dead"


LIVE_STATUSES = (OutboxStatus.PENDING, OutboxStatus.FAILED)

REDACTED = "[redacted]"


def status_after_failure(attempts: int, max_attempts: int) -> OutboxStatus:
    """``attempts`` counts failed attempts including the one that just failed."""
    return OutboxStatus.DEAD if attempts >= max_attempts else OutboxStatus.FAILED


def retry_delay_seconds(
    attempts: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with "equal jitter": uniform in [d/2, d], d = min(cap, base·2^(n-1)).

    Half the delay is kept so a failing carrier is not hammered early; the random
    half spreads retries of alerts that failed together (one carrier outage).
    """
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return (rng or random).uniform(delay / 2, delay)


def format_channels(channels: Iterable[Channel]) -> str:
    return ",".join(sorted(c.value for c in channels))


def parse_channels(text: str) -> frozenset[Channel]:
    return frozenset(Channel(part) for part in text.split(",") if part)


def redacted(kind: AlertKind, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with the one allowed secret blanked, for rows that are finished:
    a verification code has no business staying readable in the outbox."""
    if kind in CODE_KINDS and "code" in params:
        return {**params, "code": REDACTED}
    return dict(params)

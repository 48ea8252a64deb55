"""Ticket states, the allowed transitions, priority from triage, and SLA targets."""

from __future__ import annotations

from enum import StrEnum

from walletdesk.support.contacts.model import Risk
from walletdesk.support.helpcenter.articles import Category


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer
    ON_HOLD = "on_hold"  # waiting on a third party
    SOLVED = "solved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Channel(StrEnum):
    WEB = "web"
    APP = "app"
    CHAT = "chat"
    EMAIL = "email"
    PHONE = "phone"
    SOCIAL = "social"


class MessageKind(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"  # agents only, never shown to the customer


class SlaEventKind(StrEnum):
    ACTIVATED = "activated"
    PAUSED = "paused"
    RESUMED = "resumed"
    FULFILLED = "fulfilled"
    BREACHED = "breached"


class SlaTarget(StrEnum):
    FIRST_REPLY = "first_reply"
    RESOLUTION = "resolution"


S = TicketStatus
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.OPEN, S.PENDING, S.ON_HOLD, S.SOLVED}),
    S.OPEN: frozenset({S.PENDING, S.ON_HOLD, S.SOLVED}),
    S.PENDING: frozenset({S.OPEN, S.ON_HOLD, S.SOLVED}),
    S.ON_HOLD: frozenset({S.OPEN, S.PENDING, S.SOLVED}),
    S.SOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset(),
}

# SLA clocks stand still while the ticket waits on someone else.
PAUSED_STATES = frozenset({S.PENDING, S.ON_HOLD})
DONE_STATES = frozenset({S.SOLVED, S.CLOSED})


def can_transition(current: TicketStatus, target: TicketStatus) -> bool:
    return target in TRANSITIONS[current]


def priority_for(category: Category, scam_risk: Risk) -> Priority:
    """Security and likely scams first, then failed payments; the rest are normal."""
    if category is Category.ACCOUNT_SECURITY or scam_risk is Risk.HIGH:
        return Priority.URGENT
    if category is Category.PAYMENT_FAILURE:
        return Priority.HIGH
    return Priority.NORMAL


# Priority -> (first reply, resolution), in business minutes.
SLA_TARGETS: dict[Priority, dict[SlaTarget, int]] = {
    Priority.URGENT: {SlaTarget.FIRST_REPLY: 60, SlaTarget.RESOLUTION: 8 * 60},
    Priority.HIGH: {SlaTarget.FIRST_REPLY: 4 * 60, SlaTarget.RESOLUTION: 24 * 60},
    Priority.NORMAL: {SlaTarget.FIRST_REPLY: 8 * 60, SlaTarget.RESOLUTION: 72 * 60},
    Priority.LOW: {SlaTarget.FIRST_REPLY: 24 * 60, SlaTarget.RESOLUTION: 120 * 60},
}

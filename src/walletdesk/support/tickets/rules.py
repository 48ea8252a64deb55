"""Ticket states, the allowed transitions, priority from triage, and SLA targets."""

from __future__ import annotations

from enum import StrEnum

from walletdesk.identity.model import KycTier
from walletdesk.support.contacts.model import Risk
from walletdesk.support.helpcenter.articles import Category


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer
    ON_HOLD = "on_hold"  # waiting on a third party
    SOLVED = "solved"
    CLOSED = "closed"
    MERGED = "merged"  # folded into another ticket of the same customer (merged_into)
    SPAM = "spam"


class Priority(StrEnum):
    # Declared from least to most urgent: more_urgent relies on the order.
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
    # From a customer message that arrives after the first reply to the agent's next
    # public reply; activated again by each such message once the last one was answered.
    NEXT_REPLY = "next_reply"
    RESOLUTION = "resolution"


S = TicketStatus
# MERGED is reached only through a merge (which names the ticket merged into), never
# by a plain status change: see can_set_status.
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.OPEN, S.PENDING, S.ON_HOLD, S.SOLVED, S.MERGED, S.SPAM}),
    S.OPEN: frozenset({S.PENDING, S.ON_HOLD, S.SOLVED, S.MERGED, S.SPAM}),
    S.PENDING: frozenset({S.OPEN, S.ON_HOLD, S.SOLVED, S.MERGED, S.SPAM}),
    S.ON_HOLD: frozenset({S.OPEN, S.PENDING, S.SOLVED, S.MERGED, S.SPAM}),
    S.SOLVED: frozenset({S.OPEN, S.CLOSED, S.MERGED}),
    S.CLOSED: frozenset(),
    S.MERGED: frozenset(),
    # Marked as spam by mistake: an agent opens it again.
    S.SPAM: frozenset({S.OPEN}),
}

# SLA clocks stand still while the ticket waits on someone else.
PAUSED_STATES = frozenset({S.PENDING, S.ON_HOLD})
# States that take no replies, assignments or macros.
CLOSED_STATES = frozenset({S.CLOSED, S.MERGED, S.SPAM})
# Out of the working queue: nothing more is owed on them.
DONE_STATES = frozenset({S.SOLVED}) | CLOSED_STATES
# Running SLA clocks are stopped (recorded as paused) on entering these.
CLOCK_STOPPED_STATES = PAUSED_STATES | frozenset({S.MERGED, S.SPAM})
# Satisfaction is asked about tickets that were answered, not merged or spam ones.
RATEABLE_STATES = frozenset({S.SOLVED, S.CLOSED})
# What a macro may set after its reply (merging, closing and spam are decisions of their own).
MACRO_STATUSES = frozenset({S.OPEN, S.PENDING, S.ON_HOLD, S.SOLVED})
# A ticket can be merged into one in these states (a solved one opens again).
MERGE_TARGET_STATES = frozenset({S.NEW, S.OPEN, S.PENDING, S.ON_HOLD, S.SOLVED})


def can_transition(current: TicketStatus, target: TicketStatus) -> bool:
    return target in TRANSITIONS[current]


def can_set_status(current: TicketStatus, target: TicketStatus) -> bool:
    """What an agent may do with a plain status change (merging has its own use case)."""
    return target is not S.MERGED and can_transition(current, target)


def can_merge(source: TicketStatus, target: TicketStatus) -> bool:
    return can_transition(source, S.MERGED) and target in MERGE_TARGET_STATES


def more_urgent(a: Priority, b: Priority) -> Priority:
    order = list(Priority)
    return max(a, b, key=order.index)


def priority_for(category: Category, scam_risk: Risk, tier: KycTier = KycTier.I) -> Priority:
    """Security and likely scams first, then failed payments; the rest are normal.

    A tier III customer's ticket is one step more urgent: fully verified accounts hold the
    highest limits (DOMAIN.md §2), so the most money waits on their answer. Security and
    scam cases are urgent for everyone already."""
    if category is Category.ACCOUNT_SECURITY or scam_risk is Risk.HIGH:
        return Priority.URGENT
    priority = Priority.HIGH if category is Category.PAYMENT_FAILURE else Priority.NORMAL
    if tier is KycTier.III:
        order = list(Priority)
        priority = order[min(order.index(priority) + 1, len(order) - 1)]
    return priority


# Priority -> (first reply, resolution), in business minutes: activated with the ticket.
SLA_TARGETS: dict[Priority, dict[SlaTarget, int]] = {
    Priority.URGENT: {SlaTarget.FIRST_REPLY: 60, SlaTarget.RESOLUTION: 8 * 60},
    Priority.HIGH: {SlaTarget.FIRST_REPLY: 4 * 60, SlaTarget.RESOLUTION: 24 * 60},
    Priority.NORMAL: {SlaTarget.FIRST_REPLY: 8 * 60, SlaTarget.RESOLUTION: 72 * 60},
    Priority.LOW: {SlaTarget.FIRST_REPLY: 24 * 60, SlaTarget.RESOLUTION: 120 * 60},
}

# Priority -> next reply, in business minutes: a customer who writes again is owed an
# answer as soon as the first one was. Activated per unanswered customer message.
NEXT_REPLY_TARGETS: dict[Priority, int] = {
    Priority.URGENT: 60,
    Priority.HIGH: 4 * 60,
    Priority.NORMAL: 8 * 60,
    Priority.LOW: 24 * 60,
}

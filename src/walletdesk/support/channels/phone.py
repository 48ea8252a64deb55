"""Phone call events (ringing, answered, ended) from the telephony provider.

``ringing`` looks the caller up for the agent's screen; ``ended`` files the call
summary as a phone ticket for the matched customer (once per call id).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from walletdesk.identity.contacts import mask_phone, normalise_phone
from walletdesk.identity.errors import PhoneInvalid
from walletdesk.support.channels.inbound import Outcome, customer_by_phone, deliver
from walletdesk.support.tickets.rules import Channel
from walletdesk.support.tickets.service import TicketDeps


class CallEvent(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


def caller_number(raw: str) -> str | None:
    try:
        return normalise_phone(raw)
    except PhoneInvalid:
        return None


def lookup(deps: TicketDeps, raw: str) -> dict[str, Any]:
    """Who is calling, for the agent: the customer's id and name when the number matches."""
    number = caller_number(raw)
    customer = customer_by_phone(deps.engine, raw) if number else None
    return {
        "caller": number,
        "customer_id": str(customer.id) if customer else None,
        "customer_name": customer.display_name if customer else None,
    }


def call_ended(
    deps: TicketDeps,
    *,
    call_id: str,
    caller: str,
    summary: str,
    duration_seconds: int | None,
) -> Outcome | None:
    number = caller_number(caller)
    customer = customer_by_phone(deps.engine, caller) if number else None
    if customer is None or number is None:
        return None
    zh = customer.locale.lower().startswith("zh")
    subject = f"电话来电 {mask_phone(number)}" if zh else f"Phone call from {mask_phone(number)}"
    lines = [summary.strip() or ("（无通话摘要）" if zh else "(no call summary)")]
    if duration_seconds is not None:
        minutes, seconds = divmod(duration_seconds, 60)
        lines.append(
            f"通话时长 {minutes} 分 {seconds} 秒" if zh else f"Call length {minutes}m {seconds}s"
        )
    return deliver(
        deps,
        customer,
        channel=Channel.PHONE,
        subject=subject,
        body="\n".join(lines),
        own_ref=f"phone:{call_id}",
    )

"""Direct messages from official social media accounts (platform webhook).

The platform's handle is linked to a customer the first time a message can be
matched (a verified phone or email the platform passes along); later messages
from that handle continue the handle's open ticket.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from walletdesk.identity.model import User
from walletdesk.identity.store import get_user
from walletdesk.support.channels.inbound import (
    Outcome,
    customer_by_email,
    customer_by_phone,
    deliver,
    remember,
)
from walletdesk.support.channels.tables import channel_refs
from walletdesk.support.tickets.rules import Channel
from walletdesk.support.tickets.service import TicketDeps


def thread_ref(platform: str, handle: str) -> str:
    return f"social:{platform.strip().lower()}:{handle.strip().lstrip('@').lower()}"


def _linked(deps: TicketDeps, ref: str) -> User | None:
    with deps.engine.connect() as conn:
        row = conn.execute(
            select(channel_refs.c.customer_id).where(channel_refs.c.ref == ref).limit(1)
        ).first()
        return get_user(conn, row.customer_id) if row is not None else None


def receive(
    deps: TicketDeps,
    *,
    platform: str,
    handle: str,
    text: str,
    message_id: str | None,
    phone: str | None,
    email: str | None,
    delivery: str | None = None,
) -> Outcome | None:
    """The ticket a direct message went to (a handle's messages share its open ticket), or
    ``None`` when no customer is linked to the handle or its verified contacts. A message
    without the platform's ``message_id`` is known by ``delivery``, the name of this
    signed delivery, so a replay of the same request is a duplicate."""
    ref = thread_ref(platform, handle)
    customer = _linked(deps, ref)
    if customer is None and phone:
        customer = customer_by_phone(deps.engine, phone)
    if customer is None and email:
        customer = customer_by_email(deps.engine, email)
    if customer is None:
        return None
    own = f"{ref}:{message_id}" if message_id else delivery
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    outcome = deliver(
        deps,
        customer,
        channel=Channel.SOCIAL,
        subject=f"{platform} @{handle.lstrip('@')}: {first_line}",
        body=text,
        own_ref=own,
        thread_refs=[ref],
    )
    if not outcome.threaded and not outcome.duplicate:
        ticket_id = uuid.UUID(outcome.ticket["id"])
        remember(deps, ref, Channel.SOCIAL, ticket_id, customer, replace=True)
    return outcome

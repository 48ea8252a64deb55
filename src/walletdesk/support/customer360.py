"""The customer 360: everything an agent needs about one customer, on one page.

A sensitive read (DOMAIN.md §5, risk class ``read``): only staff holding
``read_customers`` may look, and every look is audited (``agent.customer.viewed``).
Phone and email are masked; the agent verifies identity through the ticket
(``support/actions.py``), never by reading contact details back to the caller.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select

from walletdesk.core.errors import NotFound
from walletdesk.identity import store as identity_store
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.changes import list_cards
from walletdesk.identity.contacts import mask_email, mask_phone
from walletdesk.identity.model import RequestContext, User
from walletdesk.identity.roles import Permission, authorize
from walletdesk.support import actions
from walletdesk.support import actions_tables as at
from walletdesk.support.actions_rules import SERVED_ROLES
from walletdesk.support.tickets import tables as ticket_tables
from walletdesk.support.tickets.rules import DONE_STATES
from walletdesk.wallet import tables as wallet_tables
from walletdesk.wallet.customer_views import list_my_limit_requests
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.diagnosis import diagnose
from walletdesk.wallet.limit_requests import NEEDS_REVIEW, get_limits
from walletdesk.wallet.payment_views import payment_public, seen_at
from walletdesk.wallet.refund_views import refund_public

RECENT = 20


def get_customer_360(
    deps: WalletDeps,
    agent: User,
    customer_id: uuid.UUID,
    ticket_id: uuid.UUID | None = None,
    *,
    ctx: RequestContext | None = None,
    currency: str = "CNY",
) -> dict[str, Any]:
    """The customer's profile, limits, payments, refunds, security and tickets (audited)."""
    authorize(agent.role, Permission.READ_CUSTOMERS)
    ctx = ctx or RequestContext()
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        customer = identity_store.get_user(conn, customer_id)
        if customer.role not in SERVED_ROLES:
            raise NotFound("no such customer")
        body: dict[str, Any] = {
            "profile": {
                "id": str(customer.id),
                "display_name": customer.display_name,
                "phone": mask_phone(customer.phone) if customer.phone else None,
                "email": mask_email(customer.email) if customer.email else None,
                # Whether the customer proved the contact reaches them (a code sent there):
                # an unverified one may be anybody's, typed in at sign-up.
                "phone_verified": customer.phone is not None
                and customer.phone_verified_at is not None,
                "email_verified": customer.email is not None
                and customer.email_verified_at is not None,
                "locale": customer.locale,
                "country": customer.country,
                "created_at": customer.created_at.isoformat(),
            },
            "tier": customer.kyc_tier.value,
            "status": customer.status.value,
            "two_factor": customer.totp_enabled,
            "recovery_codes_left": identity_store.unused_recovery_codes(conn, customer.id),
            "payments": _payments(conn, customer, ctx.locale, deps.clock.now()),
            "refunds": _refunds(conn, customer, ctx.locale),
            "security_events": identity_store.security_events(conn, customer.id, RECENT),
            "devices": _devices(conn, customer),
            "open_tickets": _open_tickets(conn, customer),
            "actions": _actions(conn, customer),
            "verification": None,
            "verification_request": None,
        }
        if ticket_id is not None:
            tickets = ticket_tables.tickets
            ticket = conn.execute(
                select(tickets.c.id, tickets.c.customer_id, tickets.c.status).where(
                    tickets.c.id == ticket_id
                )
            ).first()
            if ticket is None or ticket.customer_id != customer.id:
                raise NotFound("no such ticket for this customer")
            verified = actions.latest_verification(conn, ticket_id, customer.id)
            if verified is not None:
                body["verification"] = actions.verification_public(verified, now)
            # A check the customer has yet to confirm on their ticket.
            waiting = actions.pending_verification(conn, ticket, customer.id, now)
            if waiting is not None:
                body["verification_request"] = actions.verification_public(waiting, now)
    body["limits"] = get_limits(deps, customer, currency)
    # What the agent can act on: requests the automatic rules left to a person, and
    # the linked cards (last four digits and bank only; the vault keeps the number).
    body["limit_requests_under_review"] = [
        r
        for r in list_my_limit_requests(deps, customer.id, ctx.locale)
        if r["status"] == NEEDS_REVIEW
    ]
    body["cards"] = list_cards(deps.identity, customer.id)

    def audit(conn: Connection) -> None:
        deps.identity.audit(
            conn,
            "agent.customer.viewed",
            actor=agent,
            subject=customer,
            ctx=ctx,
            after={"ticket_id": str(ticket_id) if ticket_id else None},
        )

    deps.transaction(audit)
    return body


def _payments(conn: Connection, customer: User, locale: str, now: datetime) -> list[dict[str, Any]]:
    p, attempts = wallet_tables.payments, wallet_tables.payment_attempts
    rows = conn.execute(
        select(p)
        .where(p.c.customer_id == customer.id)
        .order_by(p.c.created_at.desc())
        .limit(RECENT)
    ).all()
    items = []
    for row in rows:
        attempt = conn.execute(
            select(attempts.c.detail)
            .where(attempts.c.payment_id == row.id)
            .order_by(attempts.c.created_at.desc())
            .limit(1)
        ).first()
        seen = seen_at(row, now)
        items.append(
            {
                **payment_public(seen, locale),
                "diagnosis": diagnose(seen, attempt.detail if attempt else None, locale),
            }
        )
    return items


def _refunds(conn: Connection, customer: User, locale: str) -> list[dict[str, Any]]:
    r = wallet_tables.refunds
    rows = conn.execute(
        select(r)
        .where(r.c.customer_id == customer.id)
        .order_by(r.c.created_at.desc())
        .limit(RECENT)
    ).all()
    return [refund_public(row, locale) for row in rows]


def _devices(conn: Connection, customer: User) -> list[dict[str, Any]]:
    d = identity_tables.devices
    rows = conn.execute(
        select(d).where(d.c.user_id == customer.id).order_by(d.c.last_seen_at.desc()).limit(RECENT)
    ).all()
    return [
        {
            "label": row.label,
            "first_seen_at": row.first_seen_at.isoformat(),
            "last_seen_at": row.last_seen_at.isoformat(),
            "last_country": row.last_country,
            "trusted": row.trusted,
        }
        for row in rows
    ]


def _open_tickets(conn: Connection, customer: User) -> list[dict[str, Any]]:
    tk = ticket_tables.tickets
    rows = conn.execute(
        select(tk)
        .where(
            and_(
                tk.c.customer_id == customer.id,
                tk.c.status.not_in([s.value for s in DONE_STATES]),
            )
        )
        .order_by(tk.c.seq.desc())
        .limit(RECENT)
    ).all()
    return [
        {
            "id": str(row.id),
            "number": row.number,
            "subject": row.subject,
            "status": row.status,
            "category": row.category,
            "priority": row.priority,
            "created_at": row.created_at.isoformat(),
        }
        for row in rows
    ]


def _actions(conn: Connection, customer: User) -> list[dict[str, Any]]:
    a = at.agent_actions
    rows = conn.execute(
        select(a)
        .where(a.c.customer_id == customer.id)
        .order_by(a.c.created_at.desc())
        .limit(RECENT)
    ).all()
    return [actions.action_public(row) for row in rows]

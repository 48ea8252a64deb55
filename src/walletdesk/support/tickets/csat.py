"""Customer satisfaction (CSAT): 1–5 and a comment, one answer per ticket (DOMAIN.md §5).

A customer answers either signed in (``POST /tickets/{id}/csat``) or, without
logging in, through a signed link sent when the ticket is solved. The link's token
carries the ticket id and an expiry (:data:`LINK_TTL` after the ticket was solved)
signed with HMAC-SHA256 under a server secret (``settings.csat_secret``), so nothing
about it is stored: the one-answer rule is the ``ticket_csat`` primary key's, and a
used link is refused by it. Tokens are URL-safe base64 of
``version (1 byte) | ticket id (16) | expiry, Unix seconds (8) | HMAC (32)``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from walletdesk.db.transactions import run_transaction
from walletdesk.identity.model import User
from walletdesk.support.tickets import tables as t
from walletdesk.support.tickets.csat_link import LINK_TTL, CsatLink, read_link, sign_link
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.errors import (
    CsatAlreadyGiven,
    CsatNotOpen,
)
from walletdesk.support.tickets.rules import RATEABLE_STATES, TicketStatus
from walletdesk.support.tickets.steps import audit_ticket
from walletdesk.support.tickets.views import csat_of, iso, load_ticket, own_ticket

__all__ = [
    "LINK_TTL",
    "CsatLink",
    "csat_link_for",
    "do_rate",
    "do_rate_by_link",
    "read_link",
    "sign_link",
]

# -- use cases -----------------------------------------------------------------------


def csat_link_for(deps: TicketDeps, secret: bytes, ticket_id: uuid.UUID) -> CsatLink:
    """The rating link of a solved ticket, for the "ticket solved" notification.

    Raises NotFound for an unknown ticket and CsatNotOpen unless it is solved (or closed).
    """
    with deps.engine.connect() as conn:
        row = load_ticket(conn, ticket_id)
    if TicketStatus(row.status) not in RATEABLE_STATES or row.solved_at is None:
        raise CsatNotOpen("the ticket is not solved")
    return sign_link(secret, row.id, row.solved_at)


def get_rating_page(deps: TicketDeps, secret: bytes, token: str) -> dict[str, Any]:
    """What a link holder may see: the ticket's number, subject and status, and the
    answer if one was given. Nothing else of the ticket (no messages)."""
    link = read_link(secret, token, deps.now())
    with deps.engine.connect() as conn:
        row = load_ticket(conn, link.ticket_id)
        answer = csat_of(conn, row.id)
    return {
        "ticket_number": row.number,
        "subject": row.subject,
        "status": row.status,
        "expires_at": iso(link.expires_at),
        "can_rate": answer is None and TicketStatus(row.status) in RATEABLE_STATES,
        "csat": answer,
    }


def do_rate_by_link(
    deps: TicketDeps, secret: bytes, token: str, score: int, comment: str | None
) -> dict[str, Any]:
    """Record the answer given through a link, once per ticket, without a login."""
    now = deps.now()
    link = read_link(secret, token, now)

    def work(conn: Connection) -> dict[str, Any]:
        row = load_ticket(conn, link.ticket_id, lock=True)
        return _record(conn, row, score, comment, now, actor=None, via="link")

    return run_transaction(deps.engine, work)


def do_rate(
    deps: TicketDeps, customer: User, ticket_id: uuid.UUID, score: int, comment: str | None
) -> dict[str, Any]:
    """CSAT 1–5 and a comment, once, on the signed-in customer's solved (or closed) ticket."""
    now = deps.now()

    def work(conn: Connection) -> dict[str, Any]:
        row = own_ticket(conn, ticket_id, customer.id, lock=True)
        return _record(conn, row, score, comment, now, actor=customer, via="app")

    return run_transaction(deps.engine, work)


def _record(
    conn: Connection,
    row: Any,
    score: int,
    comment: str | None,
    now: datetime,
    *,
    actor: User | None,
    via: str,
) -> dict[str, Any]:
    if not 1 <= score <= 5:
        raise ValueError("score must be 1 to 5")
    if TicketStatus(row.status) not in RATEABLE_STATES:
        raise CsatNotOpen("the ticket is not solved")
    if csat_of(conn, row.id) is not None:
        raise CsatAlreadyGiven("already rated")
    conn.execute(
        insert(t.ticket_csat).values(ticket_id=row.id, score=score, comment=comment, created_at=now)
    )
    audit_ticket(
        conn, now, actor, "ticket.csat_recorded", row.id, after={"score": score, "via": via}
    )
    return {"score": score, "comment": comment, "created_at": now.isoformat()}

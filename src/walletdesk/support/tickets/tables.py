"""Ticket storage: tickets, their messages, SLA events, CSAT answers and macros.

The search index over subjects and messages is not declared here: it is built by
:mod:`.search` with dialect-specific SQL (FTS5 tables on SQLite, ``search_vector``
columns on PostgreSQL), as the help centre's is.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
)

from walletdesk.db.types import BigIntPrimaryKey, UTCDateTime, metadata

tickets = Table(
    "tickets",
    metadata,
    # seq numbers tickets for people: WD-000123.
    Column("seq", BigIntPrimaryKey, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("customer_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("category", String(32), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("scam_risk", String(8), nullable=False),
    Column("payment_id", Uuid),
    Column("assignee_id", Uuid, ForeignKey("users.id")),
    Column("first_reply_due", UTCDateTime),
    Column("resolution_due", UTCDateTime),
    Column("first_replied_at", UTCDateTime),
    # Due of the running next-reply target (None when nothing is awaiting an answer).
    Column("next_reply_due", UTCDateTime),
    Column("solved_at", UTCDateTime),
    # Set with status "merged": the ticket of the same customer this one was folded into.
    Column("merged_into", Uuid, ForeignKey("tickets.id")),
    Column("tags", JSON, nullable=False, server_default="[]"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_tickets_customer_seq", "customer_id", "seq"),
    Index("ix_tickets_status_seq", "status", "seq"),
    # An agent's active load, counted for every assignment (assignment.py).
    Index("ix_tickets_assignee_status", "assignee_id", "status"),
)

ticket_messages = Table(
    "ticket_messages",
    metadata,
    Column("seq", BigIntPrimaryKey, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("ticket_id", Uuid, ForeignKey("tickets.id"), nullable=False),
    Column("author_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("author_role", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The ticket this message was written on, when a merge moved it to ``ticket_id``.
    Column("merged_from", Uuid, ForeignKey("tickets.id")),
    Index("ix_ticket_messages_ticket_seq", "ticket_id", "seq"),
)

sla_events = Table(
    "sla_events",
    metadata,
    Column("seq", BigIntPrimaryKey, primary_key=True, autoincrement=True),
    Column("ticket_id", Uuid, ForeignKey("tickets.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("target", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    # The target's length in business minutes, on ``activated`` rows.
    Column("minutes", Integer),
    Index("ix_sla_events_ticket_seq", "ticket_id", "seq"),
)

ticket_csat = Table(
    "ticket_csat",
    metadata,
    # One answer per ticket: the primary key says so.
    Column("ticket_id", Uuid, ForeignKey("tickets.id"), primary_key=True),
    Column("score", Integer, nullable=False),
    Column("comment", String(1000)),
    Column("created_at", UTCDateTime, nullable=False),
)

ticket_macros = Table(
    "ticket_macros",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    # A problem category (DOMAIN.md §1) the macro is meant for; None: any ticket.
    Column("category", String(32)),
    # Reply templates with {placeholder}s, checked against macros.PLACEHOLDERS.
    Column("body_en", Text, nullable=False),
    Column("body_zh", Text, nullable=False),
    # Optional actions applied after the reply.
    Column("set_status", String(16)),
    Column("set_priority", String(16)),
    Column("add_tags", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    # None for the shipped defaults.
    Column("created_by", Uuid, ForeignKey("users.id")),
    Column("updated_by", Uuid, ForeignKey("users.id")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Who takes new tickets, and how many at once (assignment.py). A member of staff without
# a row takes none.
ticket_agents = Table(
    "ticket_agents",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True),
    Column("accepting", Boolean, nullable=False),
    # Active tickets (new or open) the router gives this agent at most.
    Column("capacity", Integer, nullable=False),
    # Round-robin: the router's turn counter when this agent last got a ticket (0: never).
    Column("turn", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

__all__ = [
    "sla_events",
    "ticket_agents",
    "ticket_csat",
    "ticket_macros",
    "ticket_messages",
    "tickets",
]

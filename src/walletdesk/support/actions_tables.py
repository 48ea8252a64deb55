"""Storage for agent actions on a customer's account and identity checks on tickets."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, UniqueConstraint, Uuid

from walletdesk.db.types import UTCDateTime, metadata

# A check that the person on a ticket is its customer (DOMAIN.md §5): started by an
# agent, confirmed by the customer on the ticket (sms, totp) or recorded (document).
ticket_verifications = Table(
    "agent_ticket_verifications",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("ticket_id", Uuid, ForeignKey("tickets.id"), nullable=False),
    Column("customer_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("agent_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("method", String(16), nullable=False),  # sms | totp | document
    Column("note", String(500)),
    Column("created_at", UTCDateTime, nullable=False),
    # Null while waiting for the customer to confirm on their ticket (sms, totp).
    Column("verified_at", UTCDateTime),
    Index("ix_agent_ticket_verifications_ticket", "ticket_id", "customer_id", "verified_at"),
)

# A typed action proposed by one agent and, when its risk class needs it, approved by another.
agent_actions = Table(
    "agent_actions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("customer_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("ticket_id", Uuid, ForeignKey("tickets.id")),
    Column("action", String(32), nullable=False),
    Column("risk", String(24), nullable=False),
    Column("params", JSON, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("idempotency_key", String(80), nullable=False),
    # pending -> approved -> executed | failed; pending -> rejected
    Column("status", String(16), nullable=False),
    Column("proposed_by", Uuid, ForeignKey("users.id"), nullable=False),
    Column("decided_by", Uuid, ForeignKey("users.id")),
    Column("decision_note", String(500)),
    Column("before", JSON),
    Column("after", JSON),
    Column("result", JSON),
    Column("error_code", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    Column("executed_at", UTCDateTime),
    UniqueConstraint("proposed_by", "idempotency_key", name="uq_agent_actions_proposer_key"),
    Index("ix_agent_actions_customer", "customer_id", "created_at"),
)

__all__ = ["agent_actions", "ticket_verifications"]

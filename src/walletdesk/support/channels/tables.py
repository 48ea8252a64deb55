"""Storage for channel threading and assistant conversations."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, String, Table, Uuid

from walletdesk.db.types import UTCDateTime, metadata

# A reference from the outside world to a ticket: an email's Message-ID
# ("email:<id@host>"), a phone call ("phone:<call id>"), a social thread
# ("social:<platform>:<handle>"). The key makes redelivery idempotent.
channel_refs = Table(
    "channel_refs",
    metadata,
    Column("ref", String(1000), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("ticket_id", Uuid, nullable=False),
    Column("customer_id", Uuid, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# One assistant conversation: who (None when anonymous), its messages
# ([{role, text, at}]) and the ticket it was handed to, if any.
assistant_conversations = Table(
    "assistant_conversations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid),
    Column("messages", JSON, nullable=False),
    Column("ticket_id", Uuid),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The customer's answer to "did this help?" (support/assistant_feedback.py).
    Column("feedback", String(16)),
    Column("feedback_at", UTCDateTime),
    # The resolution report reads the conversations begun in a period.
    Index("ix_assistant_conversations_created_at", "created_at"),
)

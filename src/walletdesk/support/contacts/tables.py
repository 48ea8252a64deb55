"""Storage of the directory's reviewed changes (the shipped YAML itself is read-only)."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, Table, Text, Uuid

from walletdesk.db.types import UTCDateTime, metadata

contact_changes = Table(
    "contact_changes",
    metadata,
    # UUIDv7: approved changes apply in the order they were proposed.
    Column("id", Uuid, primary_key=True),
    Column("provider_id", String(64), nullable=False),
    # The whole channel as the YAML would hold it; it replaces the provider's channel of
    # the same kind and value, or is added when there is none.
    Column("channel", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("proposed_by", Uuid, nullable=False),
    Column("proposed_at", UTCDateTime, nullable=False),
    Column("reviewed_by", Uuid),
    Column("reviewed_at", UTCDateTime),
    Column("review_note", Text),
    CheckConstraint("state IN ('proposed', 'approved', 'rejected')", name="state"),
    Index("ix_contact_changes_state", "state"),
)

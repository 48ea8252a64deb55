"""Notification storage: the outbox, the in-app inbox, sent messages and preferences.

User ids carry no foreign key: users live in another context, and an alert about
a deleted account (or a code sent before sign-up finished) must still be storable.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
)

from walletdesk.db.types import BigIntPrimaryKey, UTCDateTime, metadata

outbox = Table(
    "notify_outbox",
    metadata,
    Column("seq", BigIntPrimaryKey, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("user_id", Uuid),
    Column("locale", String(8), nullable=False),
    # The template parameters, JSON-serialisable and free of secrets (enqueue checks).
    Column("payload", JSON, nullable=False),
    # Explicit destinations: a code goes where it was asked for, an email-changed
    # notice to the old address. No destination means the channel is skipped.
    Column("email", String(254)),
    Column("phone", String(32)),
    # Comma lists of Channel values: what the alert may use, and what already got it.
    # `delivered` is what makes a retry resend only the channels that failed.
    Column("channels", String(64), nullable=False),
    Column("delivered", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", String(500)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    CheckConstraint("status IN ('pending', 'failed', 'sent', 'dead')", name="status_known"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    # The dispatcher's claim: due rows of the live statuses, oldest due first.
    Index("ix_notify_outbox_status_due", "status", "next_attempt_at"),
)

inbox = Table(
    "notify_inbox",
    metadata,
    # The outbox row's id and seq: one outbox row makes at most one inbox alert, so a
    # retried dispatch can never add a second copy.
    Column("id", Uuid, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("read_at", UTCDateTime),
    # A user's alerts, newest first, page by page.
    Index("ix_notify_inbox_user_seq", "user_id", "seq"),
)

messages = Table(
    "notify_messages",
    metadata,
    Column("id", BigIntPrimaryKey, primary_key=True, autoincrement=True),
    Column("channel", String(8), nullable=False),
    Column("to_address", String(254), nullable=False),
    Column("subject", String(200)),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # "The last code sent to this phone" is one backwards index scan.
    Index("ix_notify_messages_to_id", "to_address", "id"),
)

preferences = Table(
    "notify_preferences",
    metadata,
    Column("user_id", Uuid, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("enabled", Boolean, nullable=False),
    PrimaryKeyConstraint("user_id", "kind", "channel"),
)

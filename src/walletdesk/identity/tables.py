"""Identity storage. Secrets are stored only as hashes (passwords: argon2id)."""

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
    Uuid,
)

from walletdesk.db.types import UTCDateTime, metadata

users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("phone", String(20), unique=True),
    Column("email", String(254), unique=True),
    Column("display_name", String(80), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("country", String(2), nullable=False),
    Column("role", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("password_strength", Integer, nullable=False),
    Column("password_changed_at", UTCDateTime, nullable=False),
    # The TOTP secret must be readable to check codes; production deployments should
    # put the database's disk encryption or a KMS-wrapped column type in front of it.
    Column("totp_secret", String(64)),
    Column("totp_enabled", Boolean, nullable=False),
    Column("totp_last_step", BigInteger),
    Column("kyc_tier", String(4), nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("first_failure_at", UTCDateTime),
    Column("locked_until", UTCDateTime),
    Column("last_sensitive_change_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    # When the owner proved they receive what is sent to the phone / email on file (a code
    # sent there and typed back); NULL until then, and again whenever it changes. Only a
    # verified contact identifies the customer to the inbound channels (support/channels).
    Column("phone_verified_at", UTCDateTime),
    Column("email_verified_at", UTCDateTime),
)

sessions = Table(
    "user_sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("device_key", String(64), nullable=False),
    Column("device_label", String(200), nullable=False),
    Column("source_ip", String(64)),
    Column("country", String(2)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("revoked_reason", String(32)),
    Index("ix_user_sessions_user", "user_id", "created_at"),
)

source_throttle = Table(
    "login_source_throttle",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_failure_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime),
    # Housekeeping deletes rows whose window ended by it (identity/throttle.purge_expired).
    Index("ix_login_source_throttle_first_failure_at", "first_failure_at"),
)

devices = Table(
    "user_devices",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True),
    Column("device_key", String(64), primary_key=True),
    Column("label", String(200), nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("last_country", String(2)),
    Column("trusted", Boolean, nullable=False),
)

recovery_codes = Table(
    "user_recovery_codes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
)

verifications = Table(
    "user_verifications",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("method", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Column("used_for", String(48)),
)

sms_challenges = Table(
    "user_sms_challenges",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False),
    Column("destination", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("used_at", UTCDateTime),
    # What the text said the code is for (notify's code kinds): a code spends only for
    # that. NULL: a step-up code stored before codes had purposes.
    Column("purpose", String(48)),
)

contact_challenges = Table(
    "user_contact_challenges",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    # "phone" or "email" (identity.contact_verification.ContactKind).
    Column("kind", String(8), nullable=False),
    # Where the code went: it verifies that contact only while it is still the one on file.
    Column("destination", String(254), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("used_at", UTCDateTime),
)

cards = Table(
    "user_cards",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    # Never the card number: the vault's token, the last four digits and the bank.
    Column("token", String(64), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("brand", String(16), nullable=False),
    Column("bank_name", String(80), nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    Column("cooling_off_until", UTCDateTime),
    Column("removed_at", UTCDateTime),
)

kyc_checks = Table(
    "user_kyc_checks",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    Column("requested_tier", String(4), nullable=False),
    Column("granted_tier", String(4), nullable=False),
    Column("channels", JSON, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

security_events = Table(
    "user_security_events",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("source_ip", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_user_security_events_user", "user_id", "created_at"),
)

"""identity, notify, audit, wallet

Revision ID: 0002_services
Revises: 0001_ledger
Create Date: 2026-11-25 16:04:21.309371
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import walletdesk.db.types

revision = "0002_services"
down_revision = "0001_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("before", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("after", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("source_ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("id", name=op.f("uq_audit_log_id")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_actor_seq", ["actor_id", "seq"], unique=False)
        batch_op.create_index(
            "ix_audit_log_subject_seq", ["subject_type", "subject_id", "seq"], unique=False
        )

    op.create_table(
        "login_source_throttle",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column(
            "first_failure_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("locked_until", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_login_source_throttle")),
    )
    op.create_table(
        "notify_inbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_inbox")),
    )
    with op.batch_alter_table("notify_inbox", schema=None) as batch_op:
        batch_op.create_index("ix_notify_inbox_user_seq", ["user_id", "seq"], unique=False)

    op.create_table(
        "notify_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_messages")),
    )
    with op.batch_alter_table("notify_messages", schema=None) as batch_op:
        batch_op.create_index("ix_notify_messages_to_id", ["to_address", "id"], unique=False)

    op.create_table(
        "notify_outbox",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("channels", sa.String(length=64), nullable=False),
        sa.Column("delivered", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'failed', 'sent', 'dead')",
            name=op.f("ck_notify_outbox_status_known"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notify_outbox_attempts_not_negative")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_notify_outbox")),
        sa.UniqueConstraint("id", name=op.f("uq_notify_outbox_id")),
    )
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notify_outbox_status_due", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "notify_preferences",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "kind", "channel", name=op.f("pk_notify_preferences")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("password_strength", sa.Integer(), nullable=False),
        sa.Column(
            "password_changed_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_enabled", sa.Boolean(), nullable=False),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("kyc_tier", sa.String(length=4), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column(
            "first_failure_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("locked_until", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "last_sensitive_change_at",
            walletdesk.db.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("phone", name=op.f("uq_users_phone")),
    )
    op.create_table(
        "user_cards",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("brand", sa.String(length=16), nullable=False),
        sa.Column("bank_name", sa.String(length=80), nullable=False),
        sa.Column("added_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "cooling_off_until", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("removed_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_cards_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_cards")),
    )
    with op.batch_alter_table("user_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_cards_user_id"), ["user_id"], unique=False)

    op.create_table(
        "user_devices",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("device_key", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("first_seen_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_country", sa.String(length=2), nullable=True),
        sa.Column("trusted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_devices_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "device_key", name=op.f("pk_user_devices")),
    )
    op.create_table(
        "user_kyc_checks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("requested_tier", sa.String(length=4), nullable=False),
        sa.Column("granted_tier", sa.String(length=4), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_kyc_checks_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_kyc_checks")),
    )
    with op.batch_alter_table("user_kyc_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_kyc_checks_user_id"), ["user_id"], unique=False)

    op.create_table(
        "user_recovery_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_recovery_codes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_recovery_codes")),
    )
    with op.batch_alter_table("user_recovery_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_recovery_codes_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "user_security_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("source_ip", sa.String(length=64), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_security_events_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_security_events")),
    )
    with op.batch_alter_table("user_security_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_user_security_events_user", ["user_id", "created_at"], unique=False
        )

    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("device_key", sa.String(length=64), nullable=False),
        sa.Column("device_label", sa.String(length=200), nullable=False),
        sa.Column("source_ip", sa.String(length=64), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_user_sessions_user", ["user_id", "created_at"], unique=False)

    op.create_table(
        "user_sms_challenges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("destination", sa.String(length=20), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sms_challenges_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sms_challenges")),
    )
    with op.batch_alter_table("user_sms_challenges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_sms_challenges_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "user_verifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_for", sa.String(length=48), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_verifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_verifications")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_verifications_token_hash")),
    )


def downgrade() -> None:

    op.drop_table("user_verifications")
    with op.batch_alter_table("user_sms_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sms_challenges_user_id"))

    op.drop_table("user_sms_challenges")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_user_sessions_user")

    op.drop_table("user_sessions")
    with op.batch_alter_table("user_security_events", schema=None) as batch_op:
        batch_op.drop_index("ix_user_security_events_user")

    op.drop_table("user_security_events")
    with op.batch_alter_table("user_recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_recovery_codes_user_id"))

    op.drop_table("user_recovery_codes")
    with op.batch_alter_table("user_kyc_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_kyc_checks_user_id"))

    op.drop_table("user_kyc_checks")
    op.drop_table("user_devices")
    with op.batch_alter_table("user_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_cards_user_id"))

    op.drop_table("user_cards")
    op.drop_table("users")
    op.drop_table("notify_preferences")
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_outbox_status_due")

    op.drop_table("notify_outbox")
    with op.batch_alter_table("notify_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_messages_to_id")

    op.drop_table("notify_messages")
    with op.batch_alter_table("notify_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_inbox_user_seq")

    op.drop_table("notify_inbox")
    op.drop_table("login_source_throttle")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_subject_seq")
        batch_op.drop_index("ix_audit_log_actor_seq")

    op.drop_table("audit_log")
    op.drop_table("audit_head")

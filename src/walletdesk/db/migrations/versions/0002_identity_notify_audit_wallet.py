"""identity, notify, audit, wallet

Revision ID: 0002_services
Revises: 0001_ledger
Create Date: 2026-11-25 16:05:17.314463
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
        "bank_twin_cards",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("behaviour", sa.String(length=24), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_bank_twin_cards")),
    )
    op.create_table(
        "bank_twin_requests",
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_bank_twin_requests")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("principal", "key", name=op.f("pk_idempotency_keys")),
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
        "merchants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("api_key_prefix", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("refund_policy", sa.JSON(), nullable=False),
        sa.Column("webhook_url", sa.String(length=500), nullable=True),
        sa.Column("webhook_secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_merchants_account_id_ledger_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchants")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_merchants_api_key_hash")),
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
    op.create_table(
        "wallet_fundings",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("card_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hold_transfer_id", sa.Uuid(), nullable=False),
        sa.Column("bank_reference", sa.String(length=64), nullable=True),
        sa.Column("failure_code", sa.String(length=40), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_wallet_fundings_user_id_users")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_wallet_fundings")),
        sa.UniqueConstraint("id", name=op.f("uq_wallet_fundings_id")),
    )
    with op.batch_alter_table("wallet_fundings", schema=None) as batch_op:
        batch_op.create_index("ix_wallet_fundings_user_seq", ["user_id", "seq"], unique=False)

    op.create_table(
        "wallet_limit_overrides",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("window", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("until", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_wallet_limit_overrides_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_limit_overrides")),
    )
    with op.batch_alter_table("wallet_limit_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wallet_limit_overrides_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "wallet_limit_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("window", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("until", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_wallet_limit_requests_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_limit_requests")),
    )
    with op.batch_alter_table("wallet_limit_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wallet_limit_requests_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "wallet_limit_usage",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("window", sa.String(length=16), nullable=False),
        sa.Column("window_start", sa.String(length=10), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_wallet_limit_usage_user_id_users")
        ),
        sa.PrimaryKeyConstraint(
            "user_id",
            "currency",
            "scope",
            "window",
            "window_start",
            name=op.f("pk_wallet_limit_usage"),
        ),
    )
    op.create_table(
        "wallet_p2p_transfers",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sender_id", sa.Uuid(), nullable=False),
        sa.Column("receiver_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("note", sa.String(length=140), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["receiver_id"], ["users.id"], name=op.f("fk_wallet_p2p_transfers_receiver_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_wallet_p2p_transfers_sender_id_users")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_wallet_p2p_transfers")),
        sa.UniqueConstraint("id", name=op.f("uq_wallet_p2p_transfers_id")),
    )
    with op.batch_alter_table("wallet_p2p_transfers", schema=None) as batch_op:
        batch_op.create_index("ix_wallet_p2p_receiver", ["receiver_id", "seq"], unique=False)
        batch_op.create_index("ix_wallet_p2p_sender", ["sender_id", "seq"], unique=False)

    op.create_table(
        "wallet_system_accounts",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_wallet_system_accounts_account_id_ledger_accounts"),
        ),
        sa.PrimaryKeyConstraint("currency", "role", name=op.f("pk_wallet_system_accounts")),
    )
    op.create_table(
        "wallets",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_wallets_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_wallets_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", "currency", name=op.f("pk_wallets")),
        sa.UniqueConstraint("account_id", name=op.f("uq_wallets_account_id")),
    )
    op.create_table(
        "merchant_webhook_deliveries",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_merchant_webhook_deliveries_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_merchant_webhook_deliveries")),
        sa.UniqueConstraint("id", name=op.f("uq_merchant_webhook_deliveries_id")),
    )
    with op.batch_alter_table("merchant_webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_webhook_merchant", ["merchant_id", "seq"], unique=False)

    op.create_table(
        "payments",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("order_ref", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("failure_code", sa.String(length=40), nullable=True),
        sa.Column("failure_raw", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("refund_count", sa.Integer(), nullable=False),
        sa.Column("ledger_transfer_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_payments_customer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_payments_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_payments")),
        sa.UniqueConstraint("id", name=op.f("uq_payments_id")),
        sa.UniqueConstraint("merchant_id", "order_ref", name="uq_payments_merchant_order"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_customer_seq", ["customer_id", "seq"], unique=False)
        batch_op.create_index("ix_payments_status_expiry", ["status", "expires_at"], unique=False)

    op.create_table(
        "payment_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failure_code", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_payment_attempts_customer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_attempts_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_attempts")),
    )
    with op.batch_alter_table("payment_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_attempts_payment_id"), ["payment_id"], unique=False
        )

    op.create_table(
        "refunds",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("card_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.Column("failure_code", sa.String(length=40), nullable=True),
        sa.Column("ledger_transfer_id", sa.Uuid(), nullable=True),
        sa.Column("expected_by", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_refunds_customer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_refunds_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_refunds")),
        sa.UniqueConstraint("id", name=op.f("uq_refunds_id")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_payment_id"), ["payment_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_payment_id"))

    op.drop_table("refunds")
    with op.batch_alter_table("payment_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_attempts_payment_id"))

    op.drop_table("payment_attempts")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_status_expiry")
        batch_op.drop_index("ix_payments_customer_seq")

    op.drop_table("payments")
    with op.batch_alter_table("merchant_webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_merchant")
        batch_op.drop_index("ix_webhook_due")

    op.drop_table("merchant_webhook_deliveries")
    op.drop_table("wallets")
    op.drop_table("wallet_system_accounts")
    with op.batch_alter_table("wallet_p2p_transfers", schema=None) as batch_op:
        batch_op.drop_index("ix_wallet_p2p_sender")
        batch_op.drop_index("ix_wallet_p2p_receiver")

    op.drop_table("wallet_p2p_transfers")
    op.drop_table("wallet_limit_usage")
    with op.batch_alter_table("wallet_limit_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_limit_requests_user_id"))

    op.drop_table("wallet_limit_requests")
    with op.batch_alter_table("wallet_limit_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_limit_overrides_user_id"))

    op.drop_table("wallet_limit_overrides")
    with op.batch_alter_table("wallet_fundings", schema=None) as batch_op:
        batch_op.drop_index("ix_wallet_fundings_user_seq")

    op.drop_table("wallet_fundings")
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
    op.drop_table("merchants")
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
    op.drop_table("idempotency_keys")
    op.drop_table("bank_twin_requests")
    op.drop_table("bank_twin_cards")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_subject_seq")
        batch_op.drop_index("ix_audit_log_actor_seq")

    op.drop_table("audit_log")
    op.drop_table("audit_head")

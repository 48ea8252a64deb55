"""Wallet storage. Money itself lives only in the ledger; these rows describe what it was for."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from walletdesk.db.types import BigIntPrimaryKey, UTCDateTime, metadata

wallets = Table(
    "wallets",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("account_id", Uuid, ForeignKey("ledger_accounts.id"), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# One row per (currency, role): the system accounts money flows through.
system_accounts = Table(
    "wallet_system_accounts",
    metadata,
    Column("currency", String(3), primary_key=True),
    Column("role", String(32), primary_key=True),
    Column("account_id", Uuid, ForeignKey("ledger_accounts.id"), nullable=False),
)

merchants = Table(
    "merchants",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("status", String(16), nullable=False),
    Column("api_key_hash", String(64), nullable=False, unique=True),
    Column("api_key_prefix", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("account_id", Uuid, ForeignKey("ledger_accounts.id"), nullable=False),
    Column("refund_policy", JSON, nullable=False),
    Column("webhook_url", String(500)),
    Column("webhook_secret", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

payments = Table(
    "payments",
    metadata,
    Column("seq", BigIntPrimaryKey, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("merchant_id", Uuid, ForeignKey("merchants.id"), nullable=False),
    Column("customer_id", Uuid, ForeignKey("users.id")),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("order_ref", String(64), nullable=False),
    Column("description", String(200)),
    Column("status", String(24), nullable=False),
    Column("failure_code", String(40)),
    Column("failure_raw", String(64)),
    Column("attempts", Integer, nullable=False),
    Column("refunded", BigInteger, nullable=False),
    Column("refund_count", Integer, nullable=False),
    Column("ledger_transfer_id", Uuid),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("paid_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "order_ref", name="uq_payments_merchant_order"),
    Index("ix_payments_customer_seq", "customer_id", "seq"),
    Index("ix_payments_status_expiry", "status", "expires_at"),
)

payment_attempts = Table(
    "payment_attempts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("payment_id", Uuid, ForeignKey("payments.id"), nullable=False, index=True),
    Column("customer_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("failure_code", String(40)),
    Column("detail", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

refunds = Table(
    "refunds",
    metadata,
    Column("seq", BigIntPrimaryKey, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("payment_id", Uuid, ForeignKey("payments.id"), nullable=False, index=True),
    Column("customer_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("merchant_id", Uuid, ForeignKey("merchants.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("note", String(500)),
    Column("evidence", JSON, nullable=False),
    Column("route", String(16), nullable=False),
    Column("card_id", Uuid),
    Column("status", String(16), nullable=False),
    Column("requested_by", String(16), nullable=False),
    Column("decided_by", Uuid),
    Column("decision_note", String(500)),
    Column("failure_code", String(40)),
    Column("ledger_transfer_id", Uuid),
    Column("expected_by", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("history", JSON, nullable=False),
)

fundings = Table(
    "wallet_fundings",
    metadata,
    Column("seq", BigIntPrimaryKey, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # topup | withdrawal
    Column("card_id", Uuid, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("hold_transfer_id", Uuid, nullable=False),
    Column("bank_reference", String(64)),
    Column("failure_code", String(40)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_wallet_fundings_user_seq", "user_id", "seq"),
)

p2p_transfers = Table(
    "wallet_p2p_transfers",
    metadata,
    Column("seq", BigIntPrimaryKey, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("sender_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("receiver_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("note", String(140)),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_wallet_p2p_sender", "sender_id", "seq"),
    Index("ix_wallet_p2p_receiver", "receiver_id", "seq"),
)

limit_usage = Table(
    "wallet_limit_usage",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("scope", String(16), primary_key=True),
    Column("window", String(16), primary_key=True),
    Column("window_start", String(10), primary_key=True),
    Column("used", BigInteger, nullable=False),
)

limit_overrides = Table(
    "wallet_limit_overrides",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("window", String(16), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("until", UTCDateTime),
    Column("request_id", Uuid),
    Column("created_at", UTCDateTime, nullable=False),
)

limit_requests = Table(
    "wallet_limit_requests",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("window", String(16), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("until", UTCDateTime),
    Column("reason", String(500), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("decided_by", Uuid),
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(64), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("status_code", Integer),
    Column("response", Text),
    Column("created_at", UTCDateTime, nullable=False),
    # Housekeeping deletes keys past their 24 hours by it (api/idempotency.purge_expired).
    Index("ix_idempotency_keys_created_at", "created_at"),
)

webhook_deliveries = Table(
    "merchant_webhook_deliveries",
    metadata,
    Column("seq", BigIntPrimaryKey, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("merchant_id", Uuid, ForeignKey("merchants.id"), nullable=False),
    Column("event", String(40), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Index("ix_webhook_due", "status", "next_attempt_at"),
    Index("ix_webhook_merchant", "merchant_id", "seq"),
)

# The bank twin's own memory (what a real bank would hold on its side): it never
# sees walletdesk's database in production, so it keeps its answers here.
bank_twin_cards = Table(
    "bank_twin_cards",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("behaviour", String(24), nullable=False),
    Column("last4", String(4), nullable=False),
)

bank_twin_requests = Table(
    "bank_twin_requests",
    metadata,
    Column("idempotency_key", String(80), primary_key=True),
    Column("operation", String(16), nullable=False),
    Column("token", String(64), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("outcome", String(24), nullable=False),
    Column("reference", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# People who use the merchant portal (users with role "merchant"), each tied to one
# merchant. A merchant's server keeps authenticating with its API key; these are the
# shop's staff signing in to the pages.
merchant_users = Table(
    "merchant_users",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True),
    Column("merchant_id", Uuid, ForeignKey("merchants.id"), nullable=False, index=True),
    # The admin who linked them; no foreign key: the server console's operator has no row.
    Column("created_by", Uuid, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

"""Ledger storage. Balances live on the account row (O(1) reads); history in entries."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Uuid,
)

from walletdesk.db.types import BigIntPrimaryKey, UTCDateTime, metadata

accounts = Table(
    "ledger_accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("flags", Integer, nullable=False),
    Column("reference", String(128)),
    Column("fingerprint", String(32), nullable=False),
    Column("debits_posted", BigInteger, nullable=False),
    Column("credits_posted", BigInteger, nullable=False),
    Column("debits_pending", BigInteger, nullable=False),
    Column("credits_pending", BigInteger, nullable=False),
    # Bumped on every write; the store's UPDATE is guarded by it as a second line
    # of defence behind the row locks.
    Column("version", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint(
        "debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0"
        " AND credits_pending >= 0",
        name="counters_not_negative",
    ),
)

transfers = Table(
    "ledger_transfers",
    metadata,
    Column("seq", BigIntPrimaryKey, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    # No foreign keys to ledger_accounts here or on entries (ADR 0002): the engine
    # posts only to accounts it has just read under lock in the same transaction,
    # and per-row key checks cost the batch path more than any other single step.
    Column("debit_account_id", Uuid, nullable=False),
    Column("credit_account_id", Uuid, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("code", String(32), nullable=False),
    Column("reference", String(128)),
    Column("flags", Integer, nullable=False),
    Column("pending_id", Uuid),
    Column("timeout_seconds", Integer, nullable=False),
    Column("fingerprint", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("amount >= 0", name="amount_not_negative"),
    # Listing an account's transfers walks these two indexes newest-first.
    Index("ix_ledger_transfers_debit_seq", "debit_account_id", "seq"),
    Index("ix_ledger_transfers_credit_seq", "credit_account_id", "seq"),
    Index("ix_ledger_transfers_reference", "reference"),
)

holds = Table(
    "ledger_holds",
    metadata,
    Column("transfer_id", Uuid, primary_key=True),
    Column("debit_account_id", Uuid, ForeignKey("ledger_accounts.id"), nullable=False),
    Column("credit_account_id", Uuid, ForeignKey("ledger_accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("expires_at", UTCDateTime),
    Column("status", String(16), nullable=False),
    Column("resolved_by", Uuid),
    Column("resolved_at", UTCDateTime),
    # The expiry sweep looks only at open holds that carry a timeout.
    Index("ix_ledger_holds_open_expiry", "status", "expires_at"),
)

entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", BigIntPrimaryKey, primary_key=True, autoincrement=True),
    Column("account_id", Uuid, nullable=False),
    Column("transfer_id", Uuid, nullable=False),
    Column("event", String(16), nullable=False),
    Column("side", String(1), nullable=False),
    Column("posted_delta", BigInteger, nullable=False),
    Column("pending_delta", BigInteger, nullable=False),
    Column("debits_posted", BigInteger, nullable=False),
    Column("credits_posted", BigInteger, nullable=False),
    Column("debits_pending", BigInteger, nullable=False),
    Column("credits_pending", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_ledger_entries_account_seq", "account_id", "seq"),
)

failed_transfers = Table(
    "ledger_failed_transfers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("result", String(64), nullable=False),
    Column("fingerprint", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

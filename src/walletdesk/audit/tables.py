"""Audit storage: the log itself and the one-row head that orders every append.

``audit_log.seq`` is declared auto-incrementing so the table looks like every
other sequenced table, but :func:`walletdesk.audit.log.record` always supplies it
explicitly as ``head.last_seq + 1`` while holding the head's row lock. A database
sequence would leave gaps whenever a transaction rolls back, and then a gap could
not be told apart from a deleted row.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table, Text, Uuid

from walletdesk.db.types import BigIntPrimaryKey, UTCDateTime, metadata

# Hex length of a SHA-256 digest.
HASH_LENGTH = 64
# Column limits that record() checks before hashing, so PostgreSQL never rejects
# (and SQLite never silently keeps) a value longer than declared.
ACTOR_ROLE_LENGTH = 32
ACTION_LENGTH = 64
SUBJECT_TYPE_LENGTH = 64
SUBJECT_ID_LENGTH = 128
SOURCE_IP_LENGTH = 45  # the longest textual IPv6 address (IPv4-mapped form)
USER_AGENT_LENGTH = 512

# The head row's fixed key: there is exactly one chain.
HEAD_ID = 1

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigIntPrimaryKey, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("at", UTCDateTime, nullable=False),
    # No foreign key: users live in another context, and an audit row must outlive
    # the user it names. NULL means the system acted on its own.
    Column("actor_id", Uuid),
    Column("actor_role", String(ACTOR_ROLE_LENGTH), nullable=False),
    Column("action", String(ACTION_LENGTH), nullable=False),
    Column("subject_type", String(SUBJECT_TYPE_LENGTH), nullable=False),
    Column("subject_id", String(SUBJECT_ID_LENGTH), nullable=False),
    # Plain JSON, not JSONB: JSONB rewrites numbers (1e2 -> 100), and the hash is
    # computed over the values exactly as they were written.
    Column("before", JSON(none_as_null=True)),
    Column("after", JSON(none_as_null=True)),
    Column("source_ip", String(SOURCE_IP_LENGTH)),
    Column("user_agent", String(USER_AGENT_LENGTH)),
    Column("reason", Text),
    Column("prev_hash", String(HASH_LENGTH), nullable=False),
    Column("hash", String(HASH_LENGTH), nullable=False),
    # "What happened to this thing?" and "what did this person do?", newest first.
    Index("ix_audit_log_subject_seq", "subject_type", "subject_id", "seq"),
    Index("ix_audit_log_actor_seq", "actor_id", "seq"),
)

audit_head = Table(
    "audit_head",
    metadata,
    # Always HEAD_ID. Every append locks this row, which puts concurrent appends in
    # one order, and moves it forward, which makes deleting the newest rows visible.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", String(HASH_LENGTH), nullable=False),
)

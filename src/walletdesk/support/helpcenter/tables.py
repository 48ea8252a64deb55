"""Help-centre storage: one row per article and language.

The search index is not declared here: SQLite's FTS5 virtual table and
PostgreSQL's ``tsvector`` column are created by :func:`search_index.ensure_search_index`
with dialect-specific SQL, so neither ``metadata.create_all`` nor Alembic has to
understand them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from walletdesk.db.types import BigIntPrimaryKey, UTCDateTime, metadata

help_articles = Table(
    "help_articles",
    metadata,
    # Also the FTS5 rowid on SQLite, so the index joins back without a lookup table.
    Column("id", BigIntPrimaryKey, primary_key=True, autoincrement=True),
    Column("slug", String(120), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("category", String(32), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body_markdown", Text, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Who last edited it in the admin console; NULL while it is as shipped. The loader
    # refreshes shipped text only in rows nobody has edited.
    Column("edited_by", Uuid),
    UniqueConstraint("slug", "locale"),
    CheckConstraint("status IN ('published', 'draft')", name="status"),
    Index("ix_help_articles_locale_category", "locale", "category"),
)

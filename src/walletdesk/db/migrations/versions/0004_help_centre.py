"""help centre articles

Revision ID: 0004_help_centre
Revises: 0003_audit_append_only
Create Date: 2026-11-25 16:47:21.132525
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import walletdesk.db.types

revision = "0004_help_centre"
down_revision = "0003_audit_append_only"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "help_articles",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "status IN ('published', 'draft')", name=op.f("ck_help_articles_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_articles")),
        sa.UniqueConstraint("slug", "locale", name=op.f("uq_help_articles_slug")),
    )
    with op.batch_alter_table("help_articles", schema=None) as batch_op:
        batch_op.create_index(
            "ix_help_articles_locale_category", ["locale", "category"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("help_articles", schema=None) as batch_op:
        batch_op.drop_index("ix_help_articles_locale_category")

    op.drop_table("help_articles")

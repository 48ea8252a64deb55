"""ticket desk: macros, merging, next-reply SLA, tags

Revision ID: 0008_ticket_desk
Revises: 0008_contact_changes
Create Date: 2026-11-26 10:00:00.000000

The tickets' search index (FTS5 tables on SQLite, ``search_vector`` columns on
PostgreSQL) is not created here: support.tickets.search builds it on first use and
indexes what is already stored then, as the help centre's search does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import walletdesk.db.types

revision = "0008_ticket_desk"
down_revision = "0008_contact_changes"
branch_labels = None
depends_on = None


def _add_ticket_reference(table: str, column: str) -> None:
    """A nullable column referring to tickets.id, added in place on every backend.

    SQLite cannot add a constraint to an existing table, and batch mode's table copy
    would drop ``tickets`` while other tables' rows point at it (foreign keys are
    enforced), so there the reference is written inline in ADD COLUMN, which SQLite
    allows for a column whose default is NULL.
    """
    name = op.f(f"fk_{table}_{column}_tickets")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} CHAR(32) "
            f"CONSTRAINT {name} REFERENCES tickets (id)"
        )
        return
    op.add_column(table, sa.Column(column, sa.Uuid(), nullable=True))
    op.create_foreign_key(name, table, "tickets", [column], ["id"])


def _drop_ticket_reference(table: str, column: str) -> None:
    # SQLite (3.35+) drops a column together with its own inline reference, in place.
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(f"fk_{table}_{column}_tickets"), table, type_="foreignkey")
    op.drop_column(table, column)


def upgrade() -> None:
    op.create_table(
        "ticket_macros",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("set_status", sa.String(length=16), nullable=True),
        sa.Column("set_priority", sa.String(length=16), nullable=True),
        sa.Column("add_tags", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_ticket_macros_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_ticket_macros_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_macros")),
        sa.UniqueConstraint("name", name=op.f("uq_ticket_macros_name")),
    )
    op.add_column(
        "tickets",
        sa.Column("next_reply_due", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("tickets", sa.Column("tags", sa.JSON(), server_default="[]", nullable=False))
    _add_ticket_reference("tickets", "merged_into")
    _add_ticket_reference("ticket_messages", "merged_from")


def downgrade() -> None:
    _drop_ticket_reference("ticket_messages", "merged_from")
    _drop_ticket_reference("tickets", "merged_into")
    op.drop_column("tickets", "tags")
    op.drop_column("tickets", "next_reply_due")
    op.drop_table("ticket_macros")

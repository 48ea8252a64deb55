"""service desk tickets

Revision ID: 0005_tickets
Revises: 0004_help_centre
Create Date: 2026-11-25 16:57:02.425628
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import walletdesk.db.types

revision = "0005_tickets"
down_revision = "0004_help_centre"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "tickets",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("scam_risk", sa.String(length=8), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("first_reply_due", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution_due", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "first_replied_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("solved_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_tickets_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_tickets_customer_id_users")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_tickets")),
        sa.UniqueConstraint("id", name=op.f("uq_tickets_id")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_customer_seq", ["customer_id", "seq"], unique=False)
        batch_op.create_index("ix_tickets_status_seq", ["status", "seq"], unique=False)

    op.create_table(
        "sla_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_sla_events_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_sla_events")),
    )
    with op.batch_alter_table("sla_events", schema=None) as batch_op:
        batch_op.create_index("ix_sla_events_ticket_seq", ["ticket_id", "seq"], unique=False)

    op.create_table(
        "ticket_csat",
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_csat_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_csat")),
    )
    op.create_table(
        "ticket_messages",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("author_role", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_ticket_messages_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_messages_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ticket_messages")),
        sa.UniqueConstraint("id", name=op.f("uq_ticket_messages_id")),
    )
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_messages_ticket_seq", ["ticket_id", "seq"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_messages_ticket_seq")

    op.drop_table("ticket_messages")
    op.drop_table("ticket_csat")
    with op.batch_alter_table("sla_events", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_events_ticket_seq")

    op.drop_table("sla_events")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_status_seq")
        batch_op.drop_index("ix_tickets_customer_seq")

    op.drop_table("tickets")

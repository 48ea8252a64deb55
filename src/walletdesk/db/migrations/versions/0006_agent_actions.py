"""agent actions

Revision ID: 0006_agent_actions
Revises: 0005_tickets
Create Date: 2026-11-25 17:04:09.658784
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import walletdesk.db.types

revision = "0006_agent_actions"
down_revision = "0005_tickets"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "agent_actions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("risk", sa.String(length=24), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.Uuid(), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("executed_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_agent_actions_customer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_agent_actions_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["users.id"], name=op.f("fk_agent_actions_proposed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_agent_actions_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_actions")),
        sa.UniqueConstraint("proposed_by", "idempotency_key", name="uq_agent_actions_proposer_key"),
    )
    with op.batch_alter_table("agent_actions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agent_actions_customer", ["customer_id", "created_at"], unique=False
        )

    op.create_table(
        "agent_ticket_verifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verified_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_agent_ticket_verifications_agent_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["users.id"],
            name=op.f("fk_agent_ticket_verifications_customer_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_agent_ticket_verifications_ticket_id_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_ticket_verifications")),
    )
    with op.batch_alter_table("agent_ticket_verifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agent_ticket_verifications_ticket",
            ["ticket_id", "customer_id", "verified_at"],
            unique=False,
        )


def downgrade() -> None:

    with op.batch_alter_table("agent_ticket_verifications", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_ticket_verifications_ticket")

    op.drop_table("agent_ticket_verifications")
    with op.batch_alter_table("agent_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_actions_customer")

    op.drop_table("agent_actions")

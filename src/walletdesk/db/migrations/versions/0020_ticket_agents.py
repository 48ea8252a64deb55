"""ticket_agents: who takes new tickets and how many at once (round-robin assignment)

The desk had only hand assignment. support/tickets/assignment.py now gives new and
waiting tickets to the accepting agents in turn, each up to a capacity of active
tickets; this table holds those settings and the turn counter, and the index counts
an agent's active tickets.

Revision ID: 0020_ticket_agents
Revises: 0019_contact_verification
Create Date: 2026-12-07 22:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import walletdesk.db.types

revision = "0020_ticket_agents"
down_revision = "0019_contact_verification"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_agents",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("accepting", sa.Boolean(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("turn", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ticket_agents_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_ticket_agents")),
    )
    op.create_index("ix_tickets_assignee_status", "tickets", ["assignee_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_tickets_assignee_status", table_name="tickets")
    op.drop_table("ticket_agents")

"""channels and assistant

Revision ID: 0007_channels_assistant
Revises: 0006_agent_actions
Create Date: 2026-11-25 17:05:15.280921
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import walletdesk.db.types

revision = "0007_channels_assistant"
down_revision = "0006_agent_actions"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "assistant_conversations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_conversations")),
    )
    op.create_table(
        "channel_refs",
        sa.Column("ref", sa.String(length=1000), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_channel_refs")),
    )


def downgrade() -> None:

    op.drop_table("channel_refs")
    op.drop_table("assistant_conversations")

"""assistant feedback: the customer's "did this help?" on each conversation

Two nullable columns (no rewrite of existing rows: they simply have no answer) and an
index on created_at for the resolution report, which reads a period's conversations.

Revision ID: 0011_assistant_feedback
Revises: 0010_ledger_no_fk
Create Date: 2026-11-25 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from walletdesk.db.types import UTCDateTime

revision = "0011_assistant_feedback"
down_revision = "0010_ledger_no_fk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assistant_conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feedback", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("feedback_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_assistant_conversations_created_at", ["created_at"])


def downgrade() -> None:
    with op.batch_alter_table("assistant_conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_assistant_conversations_created_at")
        batch_op.drop_column("feedback_at")
        batch_op.drop_column("feedback")

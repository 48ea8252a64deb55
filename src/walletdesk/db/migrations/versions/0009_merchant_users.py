"""merchant users: people who sign in to the merchant portal, each tied to one merchant

Revision ID: 0009_merchant_users
Revises: 0008_ticket_desk
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import walletdesk.db.types

revision = "0009_merchant_users"
down_revision = "0008_ticket_desk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merchant_users",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_merchant_users_merchant_id_merchants"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_merchant_users_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_merchant_users")),
    )
    with op.batch_alter_table("merchant_users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_merchant_users_merchant_id"), ["merchant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("merchant_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_merchant_users_merchant_id"))
    op.drop_table("merchant_users")

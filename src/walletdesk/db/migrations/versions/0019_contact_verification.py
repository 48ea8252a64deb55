"""contact verification: when the phone and email on file were proven, and the codes

Sign-up never proved that a customer receives what is sent to the phone number or email
address they typed, yet inbound email, calls and social messages were filed on whichever
account held that contact: someone who signed up with another person's address read
that person's support mail. ``users.phone_verified_at`` / ``users.email_verified_at``
record the proof (a code sent there and typed back), and only a verified contact
identifies a customer to the channels. ``user_contact_challenges`` holds those codes,
hashed, with the destination each went to.

No backfill: nothing stored so far proves a contact (a spent step-up code's row cannot
be told from one voided by a freeze), so every existing contact starts unverified and
its owner verifies it in the app (the security check-up asks them to); until then their
mail and calls get the unknown sender's auto-reply, which says so.

Revision ID: 0019_contact_verification
Revises: 0018_throttle_rows_by_age
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import walletdesk.db.types

revision = "0019_contact_verification"
down_revision = "0018_throttle_rows_by_age"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "phone_verified_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "email_verified_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.create_table(
        "user_contact_challenges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("destination", sa.String(length=254), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", walletdesk.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_contact_challenges_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_contact_challenges")),
    )
    with op.batch_alter_table("user_contact_challenges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_contact_challenges_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("user_contact_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_contact_challenges_user_id"))
    op.drop_table("user_contact_challenges")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_verified_at")
        batch_op.drop_column("phone_verified_at")

"""throttle rows indexed by the start of their window, for housekeeping's prune

Every failed login's address, every unknown login tried and every phone texted a code
kept its throttle row for ever, long after its window ended. Housekeeping now deletes
those whose window ended and whose lockout is over, oldest first, in batches
(identity/throttle.purge_expired), found by this index.

Revision ID: 0018_throttle_rows_by_age
Revises: 0017_idempotency_keys_created_at
Create Date: 2026-12-07 22:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0018_throttle_rows_by_age"
down_revision = "0017_idempotency_keys_created_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_login_source_throttle_first_failure_at",
        "login_source_throttle",
        ["first_failure_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_login_source_throttle_first_failure_at", table_name="login_source_throttle")

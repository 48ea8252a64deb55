"""idempotency keys indexed by age, for housekeeping's purge

Keys are answered for 24 hours, then forgotten; nothing deleted them, so the table grew
with every keyed request for ever. Housekeeping now deletes the expired ones in batches
(api/idempotency.purge_expired), found by this index.

Revision ID: 0017_idempotency_keys_created_at
Revises: 0016_funding_holds_no_timeout
Create Date: 2026-12-07 20:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0017_idempotency_keys_created_at"
down_revision = "0016_funding_holds_no_timeout"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")

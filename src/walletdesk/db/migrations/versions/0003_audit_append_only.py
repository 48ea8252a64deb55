"""audit: append-only triggers on PostgreSQL

Revision ID: 0003_audit_append_only
Revises: 0002_services
"""

from __future__ import annotations

from alembic import op

from walletdesk.audit.append_only import drop_append_only_trigger, install_append_only_trigger

revision = "0003_audit_append_only"
down_revision = "0002_services"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite has no such triggers worth having: whoever can write its file can do anything.
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        install_append_only_trigger(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        drop_append_only_trigger(bind)

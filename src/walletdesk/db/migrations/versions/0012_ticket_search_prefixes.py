"""ticket search: PostgreSQL's vectors now hold English words' prefixes

On PostgreSQL the agents' ticket search (support.tickets.search) indexes each English
word under its prefixes too, and looks a prefix term up as one exact lexeme. Vectors
written before that hold whole words only: searched the new way, "card" would no longer
find "cards". This drops them (the column and its GIN index; instant, no table rewrite),
so the first search or ticket write after the upgrade rebuilds them in the new format,
as it builds the index of a database that never had one. SQLite is unchanged (FTS5
matches prefixes itself); its index is left alone.

Revision ID: 0012_ticket_search_prefixes
Revises: 0011_assistant_feedback
Create Date: 2026-11-25 23:45:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012_ticket_search_prefixes"
down_revision = "0011_assistant_feedback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("tickets", "ticket_messages"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")


def downgrade() -> None:
    # The older code rebuilds its own index on first use too; dropping the new vectors
    # lets it write them in its format.
    upgrade()

"""ticket messages keep their search vectors in the row (PostgreSQL)

A message's search vector (support.tickets.search) holds every word, English words'
prefixes and positions: about five times the body. Under PostgreSQL's default, a row
over 2,032 bytes has its large values moved to the TOAST table, and 1 message in 12 did:
each search walking past such a row read it from there. ``toast_tuple_target = 8160``
keeps rows of up to 8,160 bytes whole. A storage parameter only: instant, and rows
already stored move when next written; new ones are stored whole from now on. The
search builds its vectors with the same setting on a database that has none yet.

Revision ID: 0014_messages_inline_vectors
Revises: 0013_sms_code_purpose
Create Date: 2026-12-07 15:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0014_messages_inline_vectors"
down_revision = "0013_sms_code_purpose"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # As support.tickets.search.MESSAGES_TOAST_SETTING (frozen here, as migrations are).
        op.execute("ALTER TABLE ticket_messages SET (toast_tuple_target = 8160)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE ticket_messages RESET (toast_tuple_target)")

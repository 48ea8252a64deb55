"""sms codes carry their purpose: a ticket check's code cannot step up a payout

``user_sms_challenges.purpose`` holds the code kind the text was written for
(``verification_code`` for the customer's own step-up, ``ticket_verification_code`` for
an agent's identity check on a ticket); a code spends only for its purpose. Nullable, no
rewrite: codes already stored (they live minutes) keep NULL and count as step-up codes,
which is what every code was before.

Revision ID: 0013_sms_code_purpose
Revises: 0012_ticket_search_prefixes
Create Date: 2026-11-26 00:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_sms_code_purpose"
down_revision = "0012_ticket_search_prefixes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_sms_challenges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=48), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_sms_challenges", schema=None) as batch_op:
        batch_op.drop_column("purpose")

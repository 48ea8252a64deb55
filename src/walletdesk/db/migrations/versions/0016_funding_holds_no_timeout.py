"""funding holds wait for the bank's answer

Funding holds (top-ups and withdrawals through the bank) were created with a 24 h
timeout; the ledger released one that lapsed while the bank's answer was still
unknown, and a late approval then created or lost money (wallet/funding.py). New
holds carry no timeout. This lifts the expiry of the holds still open for a funding
still ``processing``, so they too wait for the bank's answer. The transfers keep
their recorded ``timeout_seconds`` (history is never rewritten); the hold's expiry
is its current state. Holds that had already lapsed stay so: funding.py books a
late approval of theirs afresh.

Data only, and not reversible: downgrade leaves the holds as they are.

Revision ID: 0016_funding_holds_no_timeout
Revises: 0015_idempotency_secrets_purged
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_funding_holds_no_timeout"
down_revision = "0015_idempotency_secrets_purged"
branch_labels = None
depends_on = None

holds = sa.table(
    "ledger_holds",
    sa.column("transfer_id", sa.Uuid),
    sa.column("status", sa.String),
    sa.column("expires_at", sa.DateTime(timezone=True)),
)
fundings = sa.table(
    "wallet_fundings",
    sa.column("hold_transfer_id", sa.Uuid),
    sa.column("status", sa.String),
)


def upgrade() -> None:
    waiting = sa.select(fundings.c.hold_transfer_id).where(fundings.c.status == "processing")
    op.execute(
        holds.update()
        .where(holds.c.status == "open")
        .where(holds.c.expires_at.is_not(None))
        .where(holds.c.transfer_id.in_(waiting))
        .values(expires_at=None)
    )


def downgrade() -> None:
    pass

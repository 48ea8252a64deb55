"""ledger without foreign keys: transfers and entries no longer reference ledger_accounts

The engine posts only to accounts it has just read under lock in the same
transaction, so the per-row key checks repeated that work on every transfer and
entry (see docs/adr/0002-ledger-without-foreign-keys.md). Holds keep theirs.

On SQLite, batch mode copies each table to drop the constraints: on a large
ledger this migration takes as long as rewriting ledger_transfers and
ledger_entries once. On PostgreSQL it only drops the constraints.

Revision ID: 0010_ledger_no_fk
Revises: 0009_merchant_users
Create Date: 2026-11-25 19:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0010_ledger_no_fk"
down_revision = "0009_merchant_users"
branch_labels = None
depends_on = None

# (table, columns that referenced ledger_accounts.id)
_REFERENCES = (
    ("ledger_transfers", ("debit_account_id", "credit_account_id")),
    ("ledger_entries", ("account_id",)),
)


def _name(table: str, column: str) -> str:
    # The name the metadata's naming convention gave the constraint in 0001_ledger.
    return f"fk_{table}_{column}_ledger_accounts"


def upgrade() -> None:
    for table, columns in _REFERENCES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(_name(table, column)), type_="foreignkey")


def downgrade() -> None:
    # Fails if an orphan row exists, which is what the constraints would have refused.
    for table, columns in _REFERENCES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.create_foreign_key(
                    op.f(_name(table, column)), "ledger_accounts", [column], ["id"]
                )

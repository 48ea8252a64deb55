"""no secret left in the Idempotency-Key store

Until now every keyed answer was kept whole, so ``idempotency_keys.response`` held live
bearer secrets: session tokens, step-up tokens, TOTP secrets, recovery codes, merchant
API keys and webhook secrets. The routes that issue them no longer keep their answers
(api/idempotency.py); this removes what is already there:

- answers holding a session, step-up or TOTP secret, or recovery codes: deleted (a
  retry with the key now runs the request again, which checks its basis again);
- a merchant's creation: kept as ``withheld`` without its body, so a retry still
  cannot create a second merchant and answers 409 ``idempotency_key_not_allowed``;
- keys of anonymous callers (the hash of an empty Authorization header), which every
  anonymous client shared and which the store no longer keeps;
- keys older than the 24 h they are promised for. They were never deleted unless their
  key came back, and their fingerprint is a bare SHA-256 of bodies that may include
  passwords; current keys are fingerprinted with an HMAC keyed by the caller.

Data only, and not reversible: downgrade leaves the table as it is.

Revision ID: 0015_idempotency_secrets_purged
Revises: 0014_messages_inline_vectors
Create Date: 2026-12-09 10:00:00.000000
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0015_idempotency_secrets_purged"
down_revision = "0014_messages_inline_vectors"
branch_labels = None
depends_on = None

# Frozen here, as migrations are: the JSON keys of the answers that carried a secret.
SECRET_FIELDS = ('"token":"', '"verification_token":"', '"secret":"', '"recovery_codes":[')
MERCHANT_KEY_FIELD = '"api_key":"'
ANONYMOUS = hashlib.sha256(b"").hexdigest()
RETENTION = timedelta(hours=24)

keys = sa.table(
    "idempotency_keys",
    sa.column("principal", sa.String),
    sa.column("state", sa.String),
    sa.column("status_code", sa.Integer),
    sa.column("response", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    cutoff = datetime.now(UTC) - RETENTION
    if op.get_bind().dialect.name == "sqlite":
        # The UTC column type stores naive UTC on SQLite.
        cutoff = cutoff.replace(tzinfo=None)
    op.execute(
        keys.update()
        .where(keys.c.response.contains(MERCHANT_KEY_FIELD, autoescape=True))
        .where(keys.c.status_code < 300)
        .values(state="withheld", response=None)
    )
    op.execute(
        keys.delete().where(
            sa.or_(
                keys.c.principal == ANONYMOUS,
                keys.c.created_at < cutoff,
                *(keys.c.response.contains(field, autoescape=True) for field in SECRET_FIELDS),
            )
        )
    )


def downgrade() -> None:
    pass

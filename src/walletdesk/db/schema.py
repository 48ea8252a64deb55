"""Every context's tables on one MetaData, for migrations and test set-up."""

from __future__ import annotations

from walletdesk.db.types import metadata
from walletdesk.ledger import tables as ledger_tables

__all__ = ["ledger_tables", "metadata"]

"""What the wallet's use cases need, wired once in bootstrap."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Connection, Engine

from walletdesk.core.clock import Clock
from walletdesk.db.transactions import run_transaction
from walletdesk.identity.deps import IdentityDeps
from walletdesk.ledger.service import Ledger
from walletdesk.settings import Settings
from walletdesk.wallet.bank import BankGateway

T = TypeVar("T")


@dataclass
class WalletDeps:
    engine: Engine
    clock: Clock
    settings: Settings
    ledger: Ledger
    bank: BankGateway
    identity: IdentityDeps
    # Ledger accounts known to exist, so the idempotent create is skipped afterwards.
    opened_accounts: set[uuid.UUID] = field(default_factory=set)

    def transaction(
        self, work: Callable[[Connection], T], *, deadline_seconds: float | None = None
    ) -> T:
        return run_transaction(
            self.engine,
            work,
            retries=self.settings.max_transaction_retries,
            deadline_seconds=deadline_seconds,
        )

"""The one composition root: settings -> engine -> adapters -> services.

api, web, cli and tests all build the application through :func:`build`, so a
service is wired the same way everywhere. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from walletdesk.core.clock import Clock, SystemClock
from walletdesk.db import migrate
from walletdesk.db.engine import make_engine
from walletdesk.ledger.service import Ledger
from walletdesk.settings import Settings


@dataclass
class Container:
    """Everything a request or command needs, built once per process."""

    settings: Settings
    engine: Engine
    clock: Clock
    ledger: Ledger

    def close(self) -> None:
        self.engine.dispose()


def build(
    settings: Settings | None = None, *, clock: Clock | None = None, migrate_db: bool = False
) -> Container:
    settings = settings or Settings()
    if migrate_db:
        migrate.upgrade(settings.database_url)
    engine = make_engine(settings)
    clock = clock or SystemClock()
    ledger = Ledger(engine, clock, retries=settings.max_transaction_retries)
    return Container(settings=settings, engine=engine, clock=clock, ledger=ledger)

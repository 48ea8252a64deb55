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
from walletdesk.identity.cards import CardVault, LocalCardVault
from walletdesk.identity.deps import IdentityDeps
from walletdesk.identity.kyc_provider import IdentityProvider, LocalIdentityProvider
from walletdesk.identity.passwords import Passwords
from walletdesk.ledger.service import Ledger
from walletdesk.notify.channels import StoredEmailSender, StoredSmsSender
from walletdesk.notify.dispatcher import Dispatcher
from walletdesk.notify.service import Notifications
from walletdesk.settings import Settings


@dataclass
class Container:
    """Everything a request or command needs, built once per process."""

    settings: Settings
    engine: Engine
    clock: Clock
    ledger: Ledger
    identity: IdentityDeps
    notifications: Notifications
    dispatcher: Dispatcher
    # The local twins of the email and SMS gateways (what they "sent" is readable).
    email: StoredEmailSender
    sms: StoredSmsSender

    def close(self) -> None:
        self.dispatcher.stop()
        self.engine.dispose()


def build(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    migrate_db: bool = False,
    vault: CardVault | None = None,
    identity_provider: IdentityProvider | None = None,
) -> Container:
    settings = settings or Settings()
    if migrate_db:
        migrate.upgrade(settings.database_url)
    engine = make_engine(settings)
    clock = clock or SystemClock()
    ledger = Ledger(engine, clock, retries=settings.max_transaction_retries)
    identity = IdentityDeps(
        engine=engine,
        clock=clock,
        settings=settings,
        passwords=Passwords(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        ),
        vault=vault or LocalCardVault(),
        identity_provider=identity_provider or LocalIdentityProvider(),
    )
    email = StoredEmailSender(engine, clock)
    sms = StoredSmsSender(engine, clock)
    return Container(
        settings=settings,
        engine=engine,
        clock=clock,
        ledger=ledger,
        identity=identity,
        notifications=Notifications(engine, clock, retries=settings.max_transaction_retries),
        dispatcher=Dispatcher(engine, clock, email, sms),
        email=email,
        sms=sms,
    )

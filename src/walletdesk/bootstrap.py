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
from walletdesk.identity.cards import CardVault
from walletdesk.identity.deps import IdentityDeps
from walletdesk.identity.kyc_provider import IdentityProvider, LocalIdentityProvider
from walletdesk.identity.passwords import Passwords
from walletdesk.ledger.service import Ledger
from walletdesk.notify.channels import (
    EmailSender,
    SmtpEmailSender,
    StoredEmailSender,
    StoredSmsSender,
)
from walletdesk.notify.dispatcher import Dispatcher
from walletdesk.notify.service import Notifications
from walletdesk.settings import Settings
from walletdesk.wallet.bank import BankGateway, LocalBank
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.webhooks import RecordingWebhookSender, WebhookDispatcher, WebhookSender


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
    # The email carrier: the stored twin (what it "sent" is readable with
    # messages_to) unless settings.email_backend is "smtp".
    email: EmailSender
    # The SMS twin; there is no SMS gateway adapter yet.
    sms: StoredSmsSender
    wallet: WalletDeps
    webhooks: WebhookDispatcher

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
    bank: BankGateway | None = None,
    webhook_sender: WebhookSender | None = None,
) -> Container:
    settings = settings or Settings()
    if migrate_db:
        migrate.upgrade(settings.database_url)
    engine = make_engine(settings)
    clock = clock or SystemClock()
    ledger = Ledger(engine, clock, retries=settings.max_transaction_retries)
    # The bank twin is also the card vault, as a PSP is in production.
    local_bank = LocalBank(engine, clock)
    identity = IdentityDeps(
        engine=engine,
        clock=clock,
        settings=settings,
        passwords=Passwords(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        ),
        vault=vault or local_bank,
        identity_provider=identity_provider or LocalIdentityProvider(),
    )
    email = _email_sender(settings, engine, clock)
    sms = StoredSmsSender(engine, clock)
    dispatcher = Dispatcher(
        engine,
        clock,
        email,
        sms,
        settings.notify_max_attempts,
        lease_seconds=_dispatch_lease_seconds(settings),
    )
    return Container(
        settings=settings,
        engine=engine,
        clock=clock,
        ledger=ledger,
        identity=identity,
        notifications=Notifications(engine, clock, retries=settings.max_transaction_retries),
        dispatcher=dispatcher,
        email=email,
        sms=sms,
        wallet=WalletDeps(
            engine=engine,
            clock=clock,
            settings=settings,
            ledger=ledger,
            bank=bank or local_bank,
            identity=identity,
        ),
        webhooks=WebhookDispatcher(engine, clock, webhook_sender or RecordingWebhookSender()),
    )


# Rows one dispatcher pass claims (Dispatcher.start/serve_forever's default limit).
DISPATCH_BATCH = 100


def _email_sender(settings: Settings, engine: Engine, clock: Clock) -> EmailSender:
    if settings.email_backend == "stored":
        return StoredEmailSender(engine, clock)
    if not settings.smtp_host or not settings.smtp_sender:  # Settings refuses this too
        raise ValueError("email_backend 'smtp' needs smtp_host and smtp_sender")
    password = settings.smtp_password
    return SmtpEmailSender(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_sender,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=password.get_secret_value() if password is not None else None,
        timeout=settings.smtp_timeout,
    )


def _dispatch_lease_seconds(settings: Settings) -> float:
    """How long a claimed row stays invisible to other workers, in seconds.

    It must outlast a whole batch of sends, or a slow batch is claimed (and sent)
    twice. A stored send takes milliseconds; an SMTP send can take a few timeouts
    (connect, STARTTLS, the exchange), so allow two per row against a slow server.
    """
    if settings.email_backend == "stored":
        return 600.0
    return max(600.0, DISPATCH_BATCH * 2 * settings.smtp_timeout)

"""What identity's use cases need from the outside, wired once in bootstrap."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from walletdesk.audit.log import record as audit_record
from walletdesk.core.clock import Clock
from walletdesk.db.transactions import run_transaction
from walletdesk.identity.cards import CardVault
from walletdesk.identity.kyc_provider import IdentityProvider
from walletdesk.identity.model import RequestContext, User
from walletdesk.identity.passwords import Passwords
from walletdesk.notify.messages import AlertKind
from walletdesk.notify.outbox import enqueue
from walletdesk.settings import Settings

T = TypeVar("T")


@dataclass
class IdentityDeps:
    engine: Engine
    clock: Clock
    settings: Settings
    passwords: Passwords
    vault: CardVault
    identity_provider: IdentityProvider

    def transaction(self, work: Callable[[Connection], T]) -> T:
        return run_transaction(self.engine, work, retries=self.settings.max_transaction_retries)

    def alert(
        self,
        conn: Connection,
        kind: AlertKind,
        user: User,
        params: dict[str, Any] | None = None,
        *,
        email: str | None = None,
        phone: str | None = None,
        use_profile_contacts: bool = True,
    ) -> uuid.UUID:
        """Queue an alert in this transaction: it exists if and only if the change commits."""
        return enqueue(
            conn,
            kind=kind,
            user_id=user.id,
            locale=user.locale,
            params=params or {},
            now=self.clock.now(),
            email=email if email is not None or not use_profile_contacts else user.email,
            phone=phone if phone is not None or not use_profile_contacts else user.phone,
        )

    def audit(
        self,
        conn: Connection,
        action: str,
        *,
        actor: User | None,
        subject: User,
        ctx: RequestContext,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        audit_record(
            conn,
            now=self.clock.now(),
            action=action,
            actor_id=actor.id if actor else None,
            actor_role=actor.role.value if actor else "system",
            subject_type="user",
            subject_id=str(subject.id),
            before=before,
            after=after,
            source_ip=ctx.source_ip,
            user_agent=ctx.user_agent or None,
            reason=reason,
        )

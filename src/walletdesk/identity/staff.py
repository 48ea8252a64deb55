"""The operator at the server's console: the actor behind CLI-made staff accounts."""

from __future__ import annotations

import uuid
from datetime import datetime

from walletdesk.identity.model import KycTier, User, UserStatus
from walletdesk.identity.roles import Role

# A fixed id so every console action in the audit trail points at the same actor.
CONSOLE_OPERATOR_ID = uuid.UUID("00000000-0000-0000-0000-00000000c011")


def console_operator(now: datetime) -> User:
    """Whoever can run ``walletdesk`` on the server already holds every key; say so."""
    return User(
        id=CONSOLE_OPERATOR_ID,
        phone=None,
        email=None,
        display_name="server console",
        locale="en",
        country="CN",
        role=Role.ADMIN,
        status=UserStatus.ACTIVE,
        totp_enabled=False,
        kyc_tier=KycTier.I,
        password_strength=4,
        created_at=now,
        last_sensitive_change_at=None,
        locked_until=None,
    )

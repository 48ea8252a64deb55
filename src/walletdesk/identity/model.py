"""Identity records and the request context every use case receives."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from walletdesk.identity.roles import Role


class ContactKind(StrEnum):
    """The contacts on an account that can be verified: the ``users`` column of each."""

    PHONE = "phone"
    EMAIL = "email"


class UserStatus(StrEnum):
    ACTIVE = "active"
    # Can log in and look, cannot move money (the user or an agent froze it).
    FROZEN = "frozen"
    CLOSED = "closed"


class KycTier(StrEnum):
    """PBOC account classes (DOMAIN.md §2). Registration gives tier I."""

    I = "I"  # noqa: E741 - the tier's official name
    II = "II"
    III = "III"

    @property
    def rank(self) -> int:
        return {"I": 1, "II": 2, "III": 3}[self.value]


class VerificationMethod(StrEnum):
    PASSWORD = "password"  # noqa: S105 - a method name, not a secret
    TOTP = "totp"
    SMS = "sms"
    # One of the ten codes shown when 2FA was turned on (spent, like at login).
    RECOVERY_CODE = "recovery_code"


# Step-ups that prove the second factor, not only the password: what turning 2FA off or
# making new recovery codes needs, or a stolen password would be enough to undo 2FA.
SECOND_FACTOR_METHODS = frozenset({VerificationMethod.TOTP, VerificationMethod.RECOVERY_CODE})


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Where a request comes from: used for lockout, device alerts and the audit trail."""

    source_ip: str | None = None
    user_agent: str = ""
    device_id: str | None = None
    country: str | None = None
    locale: str = "en"

    @property
    def device_key(self) -> str:
        """A stable key for 'this device': the app's device id, else the user agent."""
        basis = self.device_id or self.user_agent or "unknown"
        return hashlib.sha256(basis.encode()).hexdigest()[:32]

    @property
    def device_label(self) -> str:
        return (self.user_agent or "unknown device")[:200]


@dataclass(frozen=True, slots=True)
class User:
    id: uuid.UUID
    phone: str | None
    email: str | None
    display_name: str
    locale: str
    country: str
    role: Role
    status: UserStatus
    totp_enabled: bool
    kyc_tier: KycTier
    password_strength: int
    created_at: datetime
    last_sensitive_change_at: datetime | None
    locked_until: datetime | None
    # When the phone / email on file was proven to reach this user (None: not yet, or
    # changed since). See identity.contact_verification.
    phone_verified_at: datetime | None = None
    email_verified_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(
            id=row.id,
            phone=row.phone,
            email=row.email,
            display_name=row.display_name,
            locale=row.locale,
            country=row.country,
            role=Role(row.role),
            status=UserStatus(row.status),
            totp_enabled=row.totp_enabled,
            kyc_tier=KycTier(row.kyc_tier),
            password_strength=row.password_strength,
            created_at=row.created_at,
            last_sensitive_change_at=row.last_sensitive_change_at,
            locked_until=row.locked_until,
            phone_verified_at=row.phone_verified_at,
            email_verified_at=row.email_verified_at,
        )

    def public(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "phone": self.phone,
            "email": self.email,
            "phone_verified": self.phone is not None and self.phone_verified_at is not None,
            "email_verified": self.email is not None and self.email_verified_at is not None,
            "display_name": self.display_name,
            "locale": self.locale,
            "country": self.country,
            "role": self.role.value,
            "status": self.status.value,
            "totp_enabled": self.totp_enabled,
            "kyc_tier": self.kyc_tier.value,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a request."""

    user: User
    session_id: uuid.UUID | None

    @property
    def role(self) -> Role:
        return self.user.role

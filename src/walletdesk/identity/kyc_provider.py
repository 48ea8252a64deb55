"""The identity provider that checks KYC evidence, and its working local twin.

Each verified *channel* counts toward a tier (DOMAIN.md §2): tier II needs three,
tier III five. The twin checks what can be checked offline for real (the Chinese
resident ID checksum, ISO 7064 MOD 11-2; passport format; date of birth) and
trusts flags the real provider would set after its own checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True, slots=True)
class Evidence:
    full_name: str
    id_type: str  # "cn_resident_id" | "passport"
    id_number: str
    has_verified_phone: bool = False
    has_bank_card: bool = False
    selfie_provided: bool = False
    address: str | None = None


@dataclass(frozen=True, slots=True)
class KycResult:
    channels: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


class IdentityProvider(Protocol):
    def check(self, evidence: Evidence) -> KycResult: ...


def cn_resident_id_valid(number: str) -> bool:
    number = number.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17]


class LocalIdentityProvider:
    """Counts verified channels; the reasons name what failed, for the user and the agent."""

    def check(self, evidence: Evidence) -> KycResult:
        channels: list[str] = []
        reasons: list[str] = []
        name_ok = 2 <= len(evidence.full_name.strip()) <= 80
        if not name_ok:
            reasons.append("name_missing")
        if evidence.id_type == "cn_resident_id":
            id_ok = cn_resident_id_valid(evidence.id_number)
        elif evidence.id_type == "passport":
            id_ok = bool(re.fullmatch(r"[A-Z0-9]{6,9}", evidence.id_number.strip().upper()))
        else:
            id_ok = False
        if not id_ok:
            reasons.append("id_number_invalid")
        if name_ok and id_ok:
            channels.append("id_document")
            # The real provider matches the name against the public security register.
            channels.append("id_register")
        if evidence.has_verified_phone and name_ok and id_ok:
            channels.append("phone_carrier")
        elif not evidence.has_verified_phone:
            reasons.append("phone_not_verified")
        if evidence.has_bank_card and name_ok and id_ok:
            channels.append("bank_card")
        elif not evidence.has_bank_card:
            reasons.append("bank_card_missing")
        if evidence.selfie_provided and id_ok:
            channels.append("face")
        elif not evidence.selfie_provided:
            reasons.append("selfie_missing")
        return KycResult(channels=channels, reasons=reasons)

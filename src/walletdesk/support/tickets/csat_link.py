"""The CSAT link's token: pure, so the "ticket solved" notice can sign one in the same
transaction that solves the ticket (see csat.py for the token's layout and its rules)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from walletdesk.support.tickets.errors import CsatLinkExpired, CsatLinkInvalid

LINK_TTL = timedelta(days=7)
_VERSION = 1
_DOMAIN = b"walletdesk.csat-link."  # keeps these MACs apart from any other use of a key
_PAYLOAD_BYTES = 1 + 16 + 8
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,120}")


@dataclass(frozen=True, slots=True)
class CsatLink:
    ticket_id: uuid.UUID
    expires_at: datetime
    token: str


# -- the token (pure) ----------------------------------------------------------------


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _DOMAIN + payload, hashlib.sha256).digest()


def sign_link(secret: bytes, ticket_id: uuid.UUID, solved_at: datetime) -> CsatLink:
    """The link for a ticket solved at ``solved_at``; the same inputs give the same token."""
    expires_at = (solved_at + LINK_TTL).astimezone(UTC).replace(microsecond=0)
    payload = bytes([_VERSION]) + ticket_id.bytes + int(expires_at.timestamp()).to_bytes(8, "big")
    raw = payload + _mac(secret, payload)
    token = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    return CsatLink(ticket_id, expires_at, token)


def read_link(secret: bytes, token: str, now: datetime) -> CsatLink:
    """The link ``token`` stands for. Raises CsatLinkInvalid when it is malformed or its
    signature does not match (any altered byte), CsatLinkExpired after its expiry."""
    if not _TOKEN.fullmatch(token):
        raise CsatLinkInvalid("malformed rating link")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError as exc:
        raise CsatLinkInvalid("malformed rating link") from exc
    # Only the canonical spelling: no second token for the same bytes.
    canonical = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    if len(raw) != _PAYLOAD_BYTES + 32 or raw[0] != _VERSION or canonical != token:
        raise CsatLinkInvalid("malformed rating link")
    payload, mac = raw[:_PAYLOAD_BYTES], raw[_PAYLOAD_BYTES:]
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise CsatLinkInvalid("bad signature")
    ticket_id = uuid.UUID(bytes=payload[1:17])
    expires_at = datetime.fromtimestamp(int.from_bytes(payload[17:], "big"), tz=UTC)
    if now >= expires_at:
        raise CsatLinkExpired("the rating link has expired")
    return CsatLink(ticket_id, expires_at, token)

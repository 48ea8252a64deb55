"""Signed channel requests: ``Walletdesk-Signature: t=<unix>,v1=<hex HMAC-SHA256>``.

The HMAC covers ``f"{t}.{body}"`` (the raw body bytes), as merchant webhooks do
(:func:`walletdesk.wallet.webhooks.sign`); a timestamp older or newer than
:data:`~walletdesk.wallet.webhooks.SIGNATURE_TOLERANCE` is refused.

The header must be exactly what :func:`sign` writes: ``t=`` decimal seconds without
leading zeros, a comma, ``v1=`` 64 lowercase hex digits; nothing else. Each signature
then has one spelling, so a captured request cannot be sent again respelled (a space,
an extra field, ``t=0…``) to look like a new delivery. One secret signs at a time:
there is no list of ``v1`` values to rotate through.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import datetime

from pydantic import SecretStr

from walletdesk.core.errors import WalletdeskError
from walletdesk.settings import DEV_CHANNELS_SECRET
from walletdesk.wallet.webhooks import SIGNATURE_TOLERANCE

HEADER = "Walletdesk-Signature"
ENV_VAR = "WALLETDESK_CHANNELS_SECRET"
# Only for a fresh dev machine; production sets WALLETDESK_CHANNELS_SECRET (and
# `walletdesk serve` refuses to serve beyond loopback with this one).
DEV_SECRET = DEV_CHANNELS_SECRET
# At most 12 digits: any time this side of the year 33658, and no int() of a huge string.
_CANONICAL = re.compile(r"t=([1-9][0-9]{0,11}),v1=([0-9a-f]{64})")


class BadSignature(WalletdeskError):
    """The request is not signed with the channel secret, or the signature is stale."""

    code = "bad_signature"
    http_status = 401


ERRORS: dict[str, dict[str, str]] = {
    "bad_signature": {
        "en": "The request signature is missing, wrong or too old.",
        "zh-CN": "请求签名缺失、错误或已过期。",
    },
    "title.bad_signature": {"en": "Bad signature", "zh-CN": "签名无效"},
}


def channels_secret(settings: object) -> str:
    """``settings.channels_secret`` when configured, else the environment, else the dev value."""
    value = getattr(settings, "channels_secret", None)
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, str) and value:
        return value
    return os.environ.get(ENV_VAR) or DEV_SECRET


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


@dataclass(frozen=True)
class Signature:
    """A header in its one accepted spelling: unix seconds and the hex HMAC."""

    timestamp: int
    v1: str


def parse(header: str | None) -> Signature:
    """The header's timestamp and HMAC; :class:`BadSignature` unless it is exactly
    ``t=<digits>,v1=<64 lowercase hex>`` as :func:`sign` writes it."""
    if not header:
        raise BadSignature("missing signature")
    match = _CANONICAL.fullmatch(header)
    if match is None:
        raise BadSignature("malformed signature")
    return Signature(int(match[1]), match[2])


def verify(secret: str, header: str | None, body: bytes, now: datetime) -> Signature:
    """Raise :class:`BadSignature` unless ``header`` signs ``body`` freshly with ``secret``."""
    signature = parse(header)
    if abs(now.timestamp() - signature.timestamp) > SIGNATURE_TOLERANCE.total_seconds():
        raise BadSignature("stale signature")
    expected = sign(secret, signature.timestamp, body).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, signature.v1):
        raise BadSignature("wrong signature")
    return signature


def delivery_key(signature: Signature, body: bytes) -> str:
    """A name for one signed delivery, for a message that carries no id of its own: the
    signed timestamp and a hash of the body, never the header's text. A request replayed
    within the tolerance gets the same name (and is a duplicate); a gateway sending the
    same words again signs a new timestamp and so names a new message."""
    signed = f"{signature.timestamp}.".encode() + body
    return "signed:" + hashlib.sha256(signed).hexdigest()

"""Signed channel requests: ``Walletdesk-Signature: t=<unix>,v1=<hex HMAC-SHA256>``.

The HMAC covers ``f"{t}.{body}"`` (the raw body bytes), as merchant webhooks do
(:func:`walletdesk.wallet.webhooks.sign`); a timestamp older or newer than
:data:`~walletdesk.wallet.webhooks.SIGNATURE_TOLERANCE` is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
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


def verify(secret: str, header: str | None, body: bytes, now: datetime) -> None:
    """Raise :class:`BadSignature` unless ``header`` signs ``body`` freshly with ``secret``."""
    if not header:
        raise BadSignature("missing signature")
    parts = dict(item.strip().split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        raise BadSignature("malformed signature") from None
    if abs(now.timestamp() - timestamp) > SIGNATURE_TOLERANCE.total_seconds():
        raise BadSignature("stale signature")
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise BadSignature("wrong signature")

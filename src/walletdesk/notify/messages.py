"""The alert catalogue: kinds, categories, default channels and bilingual texts.

Pure rules: no database, no I/O. Every kind has a title and a body in ``en`` and
``zh-CN`` (the words live in :mod:`walletdesk.notify.texts`) written with
:meth:`str.format` placeholders. Some kinds read differently depending on one
parameter (money in or out, why a payment failed); those carry one text per
value of that *variant* parameter. Security alerts end with what to do if it was
not the user, and every message a scammer could imitate says that walletdesk
never asks for codes.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from walletdesk.notify.texts import ACCOUNT_FOOTER, SECURITY_FOOTER, TEXTS, Texts

LOCALES = ("en", "zh-CN")
DEFAULT_LOCALE = "en"


class AlertKind(StrEnum):
    LOGIN_NEW_DEVICE = "login_new_device"
    LOGIN_NEW_COUNTRY = "login_new_country"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a kind name, not a password)
    PHONE_CHANGED = "phone_changed"
    EMAIL_CHANGED = "email_changed"
    CARD_ADDED = "card_added"
    CARD_REMOVED = "card_removed"
    TOTP_ENABLED = "totp_enabled"
    TOTP_DISABLED = "totp_disabled"
    RECOVERY_CODE_USED = "recovery_code_used"
    ACCOUNT_LOCKED = "account_locked"
    ACCOUNT_FROZEN = "account_frozen"
    ACCOUNT_UNFROZEN = "account_unfrozen"
    VERIFICATION_CODE = "verification_code"
    # The code a customer enters on their own ticket to confirm it's them to an agent.
    TICKET_VERIFICATION_CODE = "ticket_verification_code"
    # The code that proves the customer receives what is sent to their phone or email.
    CONTACT_VERIFICATION_CODE = "contact_verification_code"
    TRANSACTION = "transaction"
    LIMIT_CHANGED = "limit_changed"
    LIMIT_REQUEST_DECLINED = "limit_request_declined"
    REFUND_STATUS = "refund_status"
    PAYMENT_FAILED = "payment_failed"
    KYC_TIER_CHANGED = "kyc_tier_changed"
    SECURITY_EVENT = "security_event"
    TICKET_REPLY = "ticket_reply"
    TICKET_SOLVED = "ticket_solved"


class AlertCategory(StrEnum):
    SECURITY = "security"
    TRANSACTION = "transaction"
    ACCOUNT = "account"


class Channel(StrEnum):
    INBOX = "inbox"
    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True, slots=True)
class KindRule:
    """How one kind behaves: its category, the parameter that picks its text (if
    any), and the footer appended to its body in every language."""

    category: AlertCategory
    variant_param: str | None = None
    footer: Mapping[str, str] | None = None


_S, _T, _A = AlertCategory.SECURITY, AlertCategory.TRANSACTION, AlertCategory.ACCOUNT
_SEC = KindRule(_S, footer=SECURITY_FOOTER)

KINDS: Mapping[AlertKind, KindRule] = {
    AlertKind.LOGIN_NEW_DEVICE: _SEC,
    AlertKind.LOGIN_NEW_COUNTRY: _SEC,
    AlertKind.PASSWORD_CHANGED: _SEC,
    # signed_out: "" (nothing said), "others" (the customer's own change ended their other
    # sessions) or "everywhere" (an agent's recovery ended every session).
    AlertKind.PHONE_CHANGED: KindRule(_S, variant_param="signed_out", footer=SECURITY_FOOTER),
    AlertKind.EMAIL_CHANGED: KindRule(_S, variant_param="signed_out", footer=SECURITY_FOOTER),
    AlertKind.CARD_ADDED: _SEC,
    AlertKind.CARD_REMOVED: _SEC,
    AlertKind.TOTP_ENABLED: _SEC,
    AlertKind.TOTP_DISABLED: KindRule(_S, variant_param="signed_out", footer=SECURITY_FOOTER),
    AlertKind.RECOVERY_CODE_USED: _SEC,
    AlertKind.ACCOUNT_LOCKED: _SEC,
    AlertKind.SECURITY_EVENT: KindRule(_S, variant_param="event", footer=SECURITY_FOOTER),
    # The code message carries its own warning; a footer would only lengthen the SMS.
    AlertKind.VERIFICATION_CODE: KindRule(_S),
    AlertKind.TICKET_VERIFICATION_CODE: KindRule(_S),
    # contact: "phone" (a text) or "email", the contact the code verifies.
    AlertKind.CONTACT_VERIFICATION_CODE: KindRule(_S, variant_param="contact"),
    AlertKind.TRANSACTION: KindRule(_T, variant_param="direction"),
    AlertKind.REFUND_STATUS: KindRule(_T, variant_param="status"),
    AlertKind.PAYMENT_FAILED: KindRule(_T, variant_param="reason"),
    AlertKind.ACCOUNT_FROZEN: KindRule(_A, variant_param="reason", footer=ACCOUNT_FOOTER),
    AlertKind.ACCOUNT_UNFROZEN: KindRule(_A, footer=ACCOUNT_FOOTER),
    AlertKind.LIMIT_CHANGED: KindRule(_A, variant_param="period", footer=ACCOUNT_FOOTER),
    AlertKind.LIMIT_REQUEST_DECLINED: KindRule(_A, footer=ACCOUNT_FOOTER),
    AlertKind.KYC_TIER_CHANGED: KindRule(_A, footer=ACCOUNT_FOOTER),
    AlertKind.TICKET_REPLY: KindRule(_A),
    AlertKind.TICKET_SOLVED: KindRule(_A, variant_param="rating"),
}


# Kinds that carry a one-time code: sent only to the destination asked for, never to
# the inbox, never adjustable, their code blanked once delivered.
CODE_KINDS: frozenset[AlertKind] = frozenset(
    {
        AlertKind.VERIFICATION_CODE,
        AlertKind.TICKET_VERIFICATION_CODE,
        AlertKind.CONTACT_VERIFICATION_CODE,
    }
)


def variants(kind: AlertKind) -> list[str]:
    """Allowed values of the kind's variant parameter (``[""]`` for single-text kinds)."""
    return sorted(TEXTS[kind.value])


# -- channels and preferences -----------------------------------------------------

_DEFAULT_CHANNELS: Mapping[AlertCategory, frozenset[Channel]] = {
    AlertCategory.SECURITY: frozenset({Channel.INBOX, Channel.EMAIL, Channel.SMS}),
    AlertCategory.ACCOUNT: frozenset({Channel.INBOX, Channel.EMAIL, Channel.SMS}),
    AlertCategory.TRANSACTION: frozenset({Channel.INBOX, Channel.SMS}),
}


def category_of(kind: AlertKind) -> AlertCategory:
    return KINDS[kind].category


def kinds_in(category: AlertCategory) -> list[AlertKind]:
    """The kinds of ``category`` a user may adjust (the code kinds never are)."""
    return [k for k, rule in KINDS.items() if rule.category is category and is_adjustable(k)]


def is_adjustable(kind: AlertKind) -> bool:
    """False for verification codes: they go to the destination asked for, or nowhere."""
    return kind not in CODE_KINDS


def default_enabled(kind: AlertKind, channel: Channel) -> bool:
    if not is_adjustable(kind):
        return channel is not Channel.INBOX
    return channel in _DEFAULT_CHANNELS[category_of(kind)]


def may_disable(kind: AlertKind, channel: Channel) -> bool:
    """Security alerts always reach the in-app inbox: that is where a person who lost
    their phone or email to an attacker still sees what happened."""
    return is_adjustable(kind) and not (
        channel is Channel.INBOX and category_of(kind) is AlertCategory.SECURITY
    )


def candidate_channels(
    kind: AlertKind, *, has_user: bool, has_email: bool, has_phone: bool
) -> frozenset[Channel]:
    """Channels an alert could go to given its destinations, before user preferences."""
    wanted = {Channel.EMAIL} if has_email else set()
    if has_phone:
        wanted.add(Channel.SMS)
    if has_user and kind not in CODE_KINDS:
        wanted.add(Channel.INBOX)
    return frozenset(wanted)


# -- parameters ---------------------------------------------------------------------

# Compared against the key with separators removed, so cardNumber and card-number match.
_SECRET_FRAGMENTS = ("password", "passwd", "passphrase", "secret", "token", "cardnumber", "apikey")
# Compared against whole words only, so "pan" does not catch "company".
_SECRET_WORDS = frozenset({"pan", "pwd", "cvv", "cvc", "cvv2", "pin", "otp", "seed"})
# "code" alone, or after one of these words, is a one-time code; "country_code" and
# "error_code" are not secrets.
_CODE_QUALIFIERS = frozenset(
    {
        "",
        "sms",
        "verification",
        "verify",
        "auth",
        "recovery",
        "backup",
        "security",
        "access",
        "login",
        "mfa",
        "totp",
        "2fa",
        "confirmation",
        "reset",
        "one",
        "time",
        "onetime",
    }
)
# The one secret an alert is for: the code in a verification message.
_ALLOWED_SECRETS: Mapping[AlertKind, frozenset[str]] = {
    kind: frozenset({"code"}) for kind in CODE_KINDS
}


def looks_secret(key: str) -> bool:
    compact = re.sub(r"[^a-z0-9]", "", key.lower())
    if any(fragment in compact for fragment in _SECRET_FRAGMENTS):
        return True
    words = re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower())
    if any(word in _SECRET_WORDS for word in words):
        return True
    return any(
        word == "code" and (index == 0 or words[index - 1] in _CODE_QUALIFIERS)
        for index, word in enumerate(words)
    )


def secret_keys(kind: AlertKind, params: Mapping[str, Any]) -> list[str]:
    """Dotted paths of every key in ``params`` (nested too) that looks like a secret."""
    allowed = _ALLOWED_SECRETS.get(kind, frozenset())
    found: list[str] = []

    def walk(value: Any, path: str, top: bool) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                name = str(key)
                here = f"{path}.{name}" if path else name
                if looks_secret(name) and not (top and name in allowed):
                    found.append(here)
                walk(inner, here, False)
        elif isinstance(value, list | tuple):
            for index, inner in enumerate(value):
                walk(inner, f"{path}[{index}]", False)

    walk(params, "", True)
    return found


def normalise_locale(locale: str | None) -> str:
    """``zh``, ``zh-cn``, ``zh_Hans`` -> ``zh-CN``; anything else -> ``en``.

    An alert is never dropped for an unknown language: it falls back to English.
    """
    if locale and locale.strip().lower().startswith("zh"):
        return "zh-CN"
    return DEFAULT_LOCALE


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def _texts_for(kind: AlertKind, params: Mapping[str, Any]) -> Texts:
    texts = TEXTS[kind.value]
    variant_param = KINDS[kind].variant_param
    if variant_param is None:
        return texts[""]
    value = params.get(variant_param)
    if isinstance(value, str) and value in texts:
        return texts[value]
    if "" in texts:
        return texts[""]
    allowed = ", ".join(sorted(texts))
    raise ValueError(f"{kind}: parameter {variant_param!r} must be one of {allowed}")


def missing_params(kind: AlertKind, params: Mapping[str, Any]) -> list[str]:
    """Names the templates of ``kind`` need but ``params`` lacks (in every locale).
    ``time`` is listed too; :func:`render` fills it when given ``at``."""
    texts = _texts_for(kind, params)
    needed: set[str] = set()
    for locale in LOCALES:
        needed |= _placeholders(texts.title[locale]) | _placeholders(texts.body[locale])
    return sorted(needed - set(params))


# Parameters holding an ISO 8601 time, shown the way each language writes times.
_TIME_PARAMS = frozenset({"time", "until"})


def _display(name: str, value: Any, locale: str) -> Any:
    # Times travel as ISO 8601 strings (JSON has no datetime). Users' time zones are
    # not known here, so times are shown in UTC and say so.
    if name in _TIME_PARAMS and isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return value
        if when.tzinfo is None:
            return value
        when = when.astimezone(UTC)
        if locale == "zh-CN":
            return f"{when.year}年{when.month}月{when.day}日 {when:%H:%M} UTC"
        return f"{when.day} {when:%b %Y, %H:%M} UTC"
    return value


def render(
    kind: AlertKind | str,
    locale: str,
    params: Mapping[str, Any],
    *,
    at: datetime | None = None,
) -> tuple[str, str]:
    """The alert's (title, body) in ``locale`` (normalised; English when unsupported).

    ``at`` is when the event happened; it fills ``{time}`` unless ``params`` has one.
    Raises ValueError for an unknown kind, a bad variant value or a missing parameter.
    """
    try:
        kind = AlertKind(kind)
    except ValueError:
        raise ValueError(f"unknown alert kind {kind!r}") from None
    locale = normalise_locale(locale)
    if at is not None and "time" not in params:
        params = {**params, "time": at.isoformat()}
    missing = missing_params(kind, params)
    if missing:
        raise ValueError(f"{kind}: missing parameters {', '.join(missing)}")
    texts = _texts_for(kind, params)
    shown = {name: _display(name, value, locale) for name, value in params.items()}
    title = texts.title[locale].format(**shown)
    body = texts.body[locale].format(**shown)
    footer = KINDS[kind].footer
    if footer:
        body = f"{body}{' ' if locale == 'en' else ''}{footer[locale]}"
    return title, body


def sms_text(locale: str, body: str) -> str:
    """An SMS signed the way each market expects: Chinese SMS carry 【signature】 first."""
    if normalise_locale(locale) == "zh-CN":
        return f"【walletdesk】{body}"
    return f"walletdesk: {body}"

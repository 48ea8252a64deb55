"""The contact directory's data model: frozen pydantic models validated when the YAML loads.

A directory that fails validation never loads: a typo in a phone number or a fact
without its ``source_tier`` is a build error, not a wrong answer to a worried user.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SourceTier(StrEnum):
    """How far a fact can be trusted: the provider's own page, a secondary source, or neither."""

    OFFICIAL = "official"
    SECONDARY = "secondary"
    UNVERIFIED = "unverified"


class ChannelStatus(StrEnum):
    """Whether a channel is in use, retired (deprecated / discontinued) or a known fake."""

    OFFICIAL = "official"
    DEPRECATED = "deprecated"
    DISCONTINUED = "discontinued"
    KNOWN_FAKE = "known_fake"


class ChannelKind(StrEnum):
    PHONE = "phone"
    SHORT_CODE = "short_code"
    WEB_DOMAIN = "web_domain"
    EMAIL_DOMAIN = "email_domain"
    SOCIAL_ACCOUNT = "social_account"
    IN_APP_PATH = "in_app_path"
    APP_STORE_PUBLISHER = "app_store_publisher"


PHONE_KINDS = frozenset({ChannelKind.PHONE, ChannelKind.SHORT_CODE})
DOMAIN_KINDS = frozenset({ChannelKind.WEB_DOMAIN, ChannelKind.EMAIL_DOMAIN})


class ProviderKind(StrEnum):
    WALLET = "wallet"
    ANTI_FRAUD = "anti_fraud"  # a public anti-fraud line: the advice points people there


class ProviderStatus(StrEnum):
    ACTIVE = "active"
    DISCONTINUED = "discontinued"


class Verdict(StrEnum):
    """The answer to "is this contact genuine?". There is deliberately no "safe"."""

    OFFICIAL = "official"
    # An official number shown on an incoming call or text: caller ID can be faked.
    OFFICIAL_BUT_SPOOFABLE = "official_but_spoofable"
    KNOWN_FAKE = "known_fake"
    SUSPICIOUS = "suspicious"
    # Not in the directory. Never shown as safe.
    UNKNOWN = "unknown"


class Direction(StrEnum):
    """Who is calling whom: ``incoming`` = it contacted you, ``outgoing`` = you contact it."""

    INCOMING = "incoming"
    OUTGOING = "outgoing"


class Risk(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


_FROZEN = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Text(BaseModel):
    """One sentence in both supported languages."""

    model_config = _FROZEN

    en: str = Field(min_length=1)
    zh_cn: str = Field(alias="zh-CN", min_length=1)

    def get(self, locale: str) -> str:
        """The ``zh-CN`` text for a Chinese locale, otherwise English."""
        return self.zh_cn if locale.lower().startswith("zh") else self.en


class Policy(BaseModel):
    """A "we never ..." line a provider publishes, with where it comes from."""

    model_config = _FROZEN

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: Text
    source_tier: SourceTier
    source: str = Field(min_length=1)


class Channel(BaseModel):
    """One way to reach a provider (or one fake that claims to be it).

    ``value`` is written the way the provider shows it; the directory normalises it at
    load. ``region`` (ISO 3166 alpha-2) is required for phone numbers and short codes.
    """

    model_config = _FROZEN

    kind: ChannelKind
    value: str = Field(min_length=1)
    status: ChannelStatus
    source_tier: SourceTier
    source: str = Field(min_length=1)
    last_verified: date
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    platform: str | None = None  # social networks: None when the source does not say
    label: Text | None = None  # what it is for ("customer service", "SMS warnings")
    note: Text | None = None
    # None when unknown; False for a number that only takes calls; True when the provider
    # says it calls people from it.
    calls_out: bool | None = None
    # Genuine calls from it may show a CN area code in front (010-96110).
    area_code_prefix_allowed: bool = False
    discontinued_on: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind in PHONE_KINDS and self.region is None:
            raise ValueError(f"{self.kind} {self.value!r} needs a region")
        if (self.status is ChannelStatus.DISCONTINUED) != (self.discontinued_on is not None):
            raise ValueError(f"{self.value!r}: discontinued_on goes with status discontinued")
        return self


class Provider(BaseModel):
    """A wallet, payment service or anti-fraud line, with its channels and its policies."""

    model_config = _FROZEN

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: ProviderKind
    names: Text
    aliases: tuple[str, ...] = ()
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    status: ProviderStatus = ProviderStatus.ACTIVE
    discontinued_on: date | None = None
    # False: no customer-service phone line at all, so any "hotline" claimed for it is fake.
    phone_support: bool = True
    # True: the provider says every number but its listed ones is likely phishing.
    only_listed_phones: bool = False
    # True: the provider calls people only from its listed numbers (calls_out True).
    calls_only_from_listed: bool = False
    # Distinctive strings matched anywhere in a domain or handle ("alipay" in alipay-kefu).
    brand_terms: tuple[str, ...] = ()
    # Ordinary words matched only as a whole hyphen-separated token ("apple" in apple-id-help,
    # not in pineapple).
    brand_words: tuple[str, ...] = ()
    channels: tuple[Channel, ...] = ()
    policies: tuple[Policy, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.status is ProviderStatus.DISCONTINUED) != (self.discontinued_on is not None):
            raise ValueError(f"{self.id}: discontinued_on goes with status discontinued")
        if not self.phone_support and any(
            c.kind in PHONE_KINDS and c.status is ChannelStatus.OFFICIAL for c in self.channels
        ):
            raise ValueError(f"{self.id}: no phone support but an official phone channel")
        if self.calls_only_from_listed and not any(c.calls_out for c in self.channels):
            raise ValueError(f"{self.id}: calls only from listed numbers, but none calls out")
        if any(t != t.casefold() or not t for t in (*self.brand_terms, *self.brand_words)):
            raise ValueError(f"{self.id}: brand terms and words are lowercase and non-empty")
        return self

    def official_channels(self, *kinds: ChannelKind) -> tuple[Channel, ...]:
        """Channels in use, of ``kinds`` (all kinds when none given), in directory order."""
        return tuple(
            c
            for c in self.channels
            if c.status is ChannelStatus.OFFICIAL and (not kinds or c.kind in kinds)
        )

    def is_closed_on(self, day: date) -> bool:
        """True after the provider's end date (the end date itself still counts as open)."""
        return self.discontinued_on is not None and day > self.discontinued_on


class DirectoryData(BaseModel):
    """The whole shipped directory, as the YAML file holds it."""

    model_config = _FROZEN

    version: int = Field(ge=1)
    providers: tuple[Provider, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [p.id for p in self.providers]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate provider ids: {duplicates}")
        return self

"""The official-contacts directory: loading the shipped YAML, indexing and looking up.

The directory is curated data, never scraped (DOMAIN.md §6). Loading validates every
entry twice: its shape with pydantic (:mod:`.model`), then every value by normalising
it exactly as a user's input will be normalised, so a channel that could never match
fails the load instead of silently never matching.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path

import pydantic
import yaml

from walletdesk.core.errors import ValidationError
from walletdesk.support.contacts.errors import DirectoryInvalid, UnknownProvider
from walletdesk.support.contacts.model import (
    DOMAIN_KINDS,
    Channel,
    ChannelKind,
    ChannelStatus,
    DirectoryData,
    Provider,
    ProviderKind,
)
from walletdesk.support.contacts.normalise import (
    Host,
    Phone,
    SocialHandle,
    normalise_host,
    normalise_in_app_path,
    normalise_name,
    normalise_phone,
    normalise_social,
    phone_in_region,
)

# The first provider is the house itself: the help centre lists it before anyone else.
HOUSE_PROVIDER_ID = "walletdesk"
_SHIPPED = "data/contacts/directory.yaml"


class PhoneMatch(StrEnum):
    """How a typed number matched a listed one."""

    EXACT = "exact"
    AREA_CODE = "area_code"  # a CN area code in front of a short code (010-96110)
    INTERNATIONAL_PREFIX = "international_prefix"  # +86 95188, 0086 96110, 0096110


@dataclass(frozen=True)
class Entry:
    """One channel of one provider, with its value normalised for matching."""

    provider: Provider
    channel: Channel
    phone: Phone | None = None
    host: Host | None = None
    social: SocialHandle | None = None
    text: str | None = None


class ContactDirectory:
    """The validated, indexed directory. Immutable once built; safe to share between threads."""

    def __init__(self, data: DirectoryData) -> None:
        self.data = data
        self.providers: tuple[Provider, ...] = data.providers
        entries = [_entry(p, c) for p in data.providers for c in p.channels]
        self.phones = tuple(e for e in entries if e.phone is not None)
        self.hosts = tuple(e for e in entries if e.host is not None)
        self.socials = tuple(e for e in entries if e.social is not None)
        self.in_app_paths = tuple(e for e in entries if e.channel.kind is ChannelKind.IN_APP_PATH)
        self.publishers = tuple(
            e for e in entries if e.channel.kind is ChannelKind.APP_STORE_PUBLISHER
        )
        self._by_key = {_key(name): p for p in data.providers for name in _names(p)}
        _check_no_contradictions(entries)

    # -- providers -----------------------------------------------------------------

    def find_provider(self, key: str) -> Provider | None:
        """A provider by id, English or Chinese name, or alias (case- and space-insensitive)."""
        return self._by_key.get(_key(key))

    def provider(self, key: str) -> Provider:
        """Like :meth:`find_provider`, but an unknown key raises :class:`UnknownProvider`."""
        found = self.find_provider(key)
        if found is None:
            raise UnknownProvider(f"We have no directory entry for {key}.", provider=key)
        return found

    def anti_fraud_lines(self, country: str | None) -> tuple[tuple[Provider, Channel], ...]:
        """The anti-fraud numbers for ``country``; every country's when it is unknown or unlisted."""
        lines = [
            (p, c)
            for p in self.providers
            if p.kind is ProviderKind.ANTI_FRAUD
            for c in p.official_channels()
            if c.kind in (ChannelKind.PHONE, ChannelKind.SHORT_CODE)
        ]
        mine = [(p, c) for p, c in lines if country and p.country == country.upper()]
        return tuple(mine or lines)

    # -- lookups -------------------------------------------------------------------

    def match_phone(self, phone: Phone) -> tuple[tuple[Entry, PhoneMatch], ...]:
        """Every listed number ``phone`` is, with how it matched, in directory order."""
        found = []
        for entry in self.phones:
            how = _phone_match(phone, entry)
            if how is not None:
                found.append((entry, how))
        return tuple(found)

    def match_host(self, host: Host, kinds: Iterable[ChannelKind]) -> tuple[Entry, ...]:
        """Listed domains of ``kinds`` that ``host`` is, or is a subdomain of.

        Known fakes come first, then the longest (most specific) listed domain.
        """
        wanted = frozenset(kinds)
        found = [
            e
            for e in self.hosts
            if e.channel.kind in wanted and e.host is not None and host.is_within(e.host.ascii)
        ]
        return tuple(
            sorted(
                found,
                key=lambda e: (
                    e.channel.status is not ChannelStatus.KNOWN_FAKE,
                    -len(e.host.ascii if e.host else ""),
                ),
            )
        )

    def match_social(self, handle: SocialHandle) -> tuple[Entry, ...]:
        """Listed accounts with this handle on this platform (or with no platform on record)."""
        return tuple(
            e
            for e in self.socials
            if e.social is not None
            and e.social.handle == handle.handle
            and (e.social.platform is None or handle.platform in (None, e.social.platform))
        )

    def match_text(self, text: str) -> tuple[Entry, ...]:
        """Listed in-app paths or app-store publishers equal to ``text`` (normalised)."""
        path, name = normalise_in_app_path(text), normalise_name(text)
        return tuple(
            [e for e in self.in_app_paths if e.text == path]
            + [e for e in self.publishers if e.text == name]
        )

    def official_hosts(self) -> tuple[Entry, ...]:
        """Domains in use (web and email), for look-alike comparisons."""
        return tuple(e for e in self.hosts if e.channel.status is ChannelStatus.OFFICIAL)

    def official_socials(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.socials if e.channel.status is ChannelStatus.OFFICIAL)


def load_directory(path: Path | None = None) -> ContactDirectory:
    """Load and validate a directory file; the shipped one when ``path`` is ``None``.

    Raises :class:`DirectoryInvalid` with every problem found, never a half-loaded directory.
    """
    if path is None:
        text = resources.files("walletdesk").joinpath(_SHIPPED).read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return directory_from_yaml(text)


def directory_from_yaml(text: str) -> ContactDirectory:
    """Build a directory from YAML text (tests use small ones)."""
    try:
        data = DirectoryData.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, pydantic.ValidationError) as exc:
        raise DirectoryInvalid(str(exc)) from exc
    return ContactDirectory(data)


@cache
def default_directory() -> ContactDirectory:
    """The shipped directory, loaded on first use and shared by every caller."""
    directory = load_directory()
    if directory.providers[0].id != HOUSE_PROVIDER_ID:
        raise DirectoryInvalid(f"the shipped directory must list {HOUSE_PROVIDER_ID} first")
    return directory


# ------------------------------------------------------------------------------- internals


def _entry(provider: Provider, channel: Channel) -> Entry:
    value = channel.value
    where = f"{provider.id}: {channel.kind} {value!r}"
    if channel.kind in (ChannelKind.PHONE, ChannelKind.SHORT_CODE):
        phone = normalise_phone(value, channel.region)
        if phone is None or (channel.kind is ChannelKind.SHORT_CODE) != phone.is_short_code:
            raise DirectoryInvalid(f"{where} is not a {channel.kind} of {channel.region}")
        return Entry(provider, channel, phone=phone)
    if channel.kind in DOMAIN_KINDS:
        host = normalise_host(value)
        if host is None or host.registrable is None or host.ascii != value.lower():
            raise DirectoryInvalid(f"{where} must be a bare, lowercase, registrable host name")
        return Entry(provider, channel, host=host)
    if channel.kind is ChannelKind.SOCIAL_ACCOUNT:
        handle = normalise_social(value)
        if handle is None or not value.startswith("@"):
            raise DirectoryInvalid(f"{where} must be an @handle")
        return Entry(provider, channel, social=SocialHandle(handle.handle, channel.platform))
    if channel.kind is ChannelKind.IN_APP_PATH:
        return Entry(provider, channel, text=normalise_in_app_path(value))
    return Entry(provider, channel, text=normalise_name(value))


def _phone_match(phone: Phone, entry: Entry) -> PhoneMatch | None:
    listed = entry.phone
    if listed is None:
        return None
    if listed.is_short_code:
        if not phone.is_short_code or phone.digits != listed.digits:
            return None
        if phone.region is not None and phone.region != listed.region:
            return None
        if phone.international_prefix:
            return PhoneMatch.INTERNATIONAL_PREFIX
        return PhoneMatch.AREA_CODE if phone.area_code else PhoneMatch.EXACT
    if phone.is_short_code:
        return None
    if phone.e164 is not None:
        return PhoneMatch.EXACT if phone.e164 == listed.e164 else None
    region = listed.region or entry.channel.region or ""
    return PhoneMatch.EXACT if phone_in_region(phone.digits, region).e164 == listed.e164 else None


def _check_no_contradictions(entries: list[Entry]) -> None:
    # One value cannot be both a provider's official channel and a known fake: whichever
    # the checker found first would decide a user's money.
    seen: dict[str, ChannelStatus] = {}
    for e in entries:
        key = _normalised_key(e)
        status = e.channel.status
        earlier = seen.get(key)
        pair = {earlier, status}
        if earlier is not None and ChannelStatus.KNOWN_FAKE in pair and len(pair) > 1:
            raise DirectoryInvalid(f"{e.channel.value!r} is listed both as {earlier} and {status}")
        seen[key] = status


def _normalised_key(e: Entry) -> str:
    if e.phone is not None:
        return f"phone:{e.phone.region}:{e.phone.e164 or e.phone.digits}"
    if e.host is not None:
        return f"host:{e.host.ascii}"
    if e.social is not None:
        return f"social:{e.social.handle}"
    return f"{e.channel.kind}:{e.text}"


def _names(p: Provider) -> tuple[str, ...]:
    return (p.id, p.names.en, p.names.zh_cn, *p.aliases)


def _key(name: str) -> str:
    return "".join(normalise_name(name).replace("-", " ").replace("_", " ").split())


def get_providers(
    directory: ContactDirectory,
    provider: str | None = None,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[tuple[Provider, ...], str | None]:
    """A page of providers in directory order (the house first), and the next page's cursor.

    ``provider`` narrows to one (by id, name or alias; unknown raises
    :class:`UnknownProvider`). The cursor is the id of the last provider of the previous
    page; one that names no provider raises :class:`~walletdesk.core.errors.ValidationError`.
    """
    if provider:
        return (directory.provider(provider),), None
    ids = [p.id for p in directory.providers]
    start = 0
    if cursor:
        if cursor not in ids:
            raise ValidationError("The cursor is not one this list gave out.")
        start = ids.index(cursor) + 1
    page = directory.providers[start : start + limit]
    more = start + limit < len(ids)
    return page, (page[-1].id if more and page else None)

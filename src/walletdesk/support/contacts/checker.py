"""Is this number, address or account really the provider's? (DOMAIN.md §6)

:func:`check` is pure given the directory and the day: it reads nothing else and
changes nothing. Its verdict is one of ``official``, ``official_but_spoofable``,
``known_fake``, ``suspicious`` or ``unknown``; there is no "safe", and a value that is
not in the directory is ``unknown`` however harmless it looks.

The rules, in the order they decide:

1. a listed known fake -> ``known_fake``;
2. a short code shown with an international prefix (``+86 95188``, ``0096110``) ->
   ``suspicious``: such numbers cannot carry one, so the caller ID is forged;
3. a listed channel -> ``official`` (``official_but_spoofable`` for a number on an
   incoming call), or ``suspicious`` when it is retired, not a number the provider
   calls from, or another provider's than the one claimed;
4. for a claimed provider: any phone number when it has no phone line, any unlisted
   number when it says only its listed ones are real, a number of the wrong shape
   (a mobile number as Alipay's hotline), and its short code with a digit or two added
   (``951880`` as Alipay's) -> ``suspicious``;
5. look-alikes: one or two edits or the same confusable skeleton as an official domain
   or handle, the brand plus other words, the brand in front of a foreign registrable
   domain, the brand under another suffix -> ``suspicious``; so are links to an IP
   address, links whose host cannot be read, and a provider's domain used as a decoy
   before "@" (``https://alipay.com@evil.cn``, or ``alipay.com@evil.cn`` with no scheme);
6. anything claimed for a provider after it closed -> ``suspicious``;
7. otherwise ``unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from walletdesk.support.contacts.advice import advice_for
from walletdesk.support.contacts.directory import (
    ContactDirectory,
    Entry,
    PhoneMatch,
    default_directory,
)
from walletdesk.support.contacts.lookalike import (
    has_brand,
    has_term,
    host_imitations,
    official_summary,
    social_imitations,
)
from walletdesk.support.contacts.model import (
    DOMAIN_KINDS,
    PHONE_KINDS,
    Channel,
    ChannelStatus,
    Direction,
    Provider,
    SourceTier,
    Text,
    Verdict,
)
from walletdesk.support.contacts.normalise import (
    Contact,
    ContactKind,
    Host,
    Phone,
    PhoneShape,
    normalise_host,
    parse_contact,
    phone_in_region,
)
from walletdesk.support.contacts.reasons import (
    CHANNEL_KIND,
    SHAPE,
    SOURCE_TIER,
    Note,
    channel_value,
    join,
    note,
    plain,
)


@dataclass(frozen=True)
class CheckResult:
    """The answer for one value. ``provider`` is the one matched or claimed, if any."""

    value: str
    kind: ContactKind
    normalised: str
    verdict: Verdict
    provider: Provider | None
    channel: Channel | None
    reasons: tuple[Note, ...]
    advice: tuple[Note, ...]


@dataclass
class _Finding:
    verdict: Verdict
    provider: Provider | None = None
    channel: Channel | None = None
    reasons: list[Note] = field(default_factory=list)


def check(
    value: str,
    provider: str | None = None,
    direction: Direction | str | None = None,
    *,
    directory: ContactDirectory | None = None,
    today: date | None = None,
    country: str | None = None,
) -> CheckResult:
    """Check one phone number, short code, URL, domain, email, handle or in-app path.

    ``provider`` is who the value is claimed to belong to (id, name or alias; unknown
    raises :class:`~walletdesk.support.contacts.errors.UnknownProvider`). ``direction``
    ``incoming`` means it contacted you (caller ID can be forged), ``outgoing`` that you
    are about to contact it. ``today`` (default: the current UTC date) decides whether a
    closed provider or channel has ended; ``country`` (ISO alpha-2) picks the anti-fraud
    line in the advice. A ``direction`` outside the enum, or a ``value`` that is blank
    once trimmed, raises ``ValueError``.
    """
    directory = directory or default_directory()
    claimed = directory.provider(provider) if provider else None
    way = Direction(direction) if direction else None
    day = today or datetime.now(UTC).date()
    contact = parse_contact(value)
    if not contact.raw:
        raise ValueError("a blank value has nothing to check")
    # Reasons quote a number as the user typed it (folded), anything else normalised.
    shown = contact.raw if contact.phone is not None else contact.normalised()
    value_text = plain(shown or contact.raw)

    if contact.phone is not None:
        finding = _check_phone(contact.phone, value_text, claimed, way, day, directory)
    elif contact.host is not None:
        finding = _check_host(contact.host, claimed, day, directory)
        if contact.mailbox is not None and finding.verdict is Verdict.UNKNOWN:
            decoy = _mailbox_decoy(contact.mailbox, contact.host, claimed, directory)
            finding = decoy or finding
    elif contact.social is not None:
        finding = _check_social(contact, value_text, claimed, day, directory)
    else:
        finding = _check_text(contact, value_text, claimed, day, directory)

    closed = claimed if claimed is not None else _implied_provider(contact, directory)
    if (
        closed is not None
        and closed.is_closed_on(day)
        and finding.verdict is not Verdict.KNOWN_FAKE
    ):
        ended = note(
            "discontinued_provider", provider=closed.names, date=str(closed.discontinued_on)
        )
        finding = _Finding(Verdict.SUSPICIOUS, closed, finding.channel, [ended, *finding.reasons])

    return CheckResult(
        value=value,
        kind=contact.kind,
        normalised=contact.normalised(),
        verdict=finding.verdict,
        provider=finding.provider or claimed,
        channel=finding.channel,
        reasons=tuple(finding.reasons),
        advice=advice_for(finding.verdict, finding.provider or claimed, way, directory, country),
    )


# ------------------------------------------------------------------------------ listed channels


def _listed(
    entry: Entry, value: Text, claimed: Provider | None, way: Direction | None, day: date
) -> _Finding:
    """The verdict for a value that is one of ``entry``'s listed channel."""
    p, c = entry.provider, entry.channel
    if c.status is ChannelStatus.KNOWN_FAKE:
        return _Finding(
            Verdict.KNOWN_FAKE, p, c, [note("known_fake", value=value, provider=p.names)]
        )
    if claimed is not None and claimed.id != p.id:
        owned = note(
            "belongs_to_other_provider", value=value, owner=p.names, provider=claimed.names
        )
        return _Finding(Verdict.SUSPICIOUS, claimed, c, [owned])
    current = join([channel_value(o) for o in p.official_channels(c.kind)])
    if c.status is ChannelStatus.DEPRECATED:
        reason = note("deprecated_channel", value=value, provider=p.names, official=current)
        return _Finding(Verdict.SUSPICIOUS, p, c, [reason])
    if c.discontinued_on is not None and day > c.discontinued_on:
        reason = note(
            "discontinued_channel", value=value, provider=p.names, date=str(c.discontinued_on)
        )
        return _Finding(Verdict.SUSPICIOUS, p, c, [reason])
    reasons = [
        note(
            "official_channel",
            value=value,
            kind=CHANNEL_KIND[c.kind],
            provider=p.names,
            tier=SOURCE_TIER[c.source_tier],
            date=str(c.last_verified),
        )
    ]
    if c.source_tier is SourceTier.UNVERIFIED:
        reasons.append(note("source_unverified"))
    if way is Direction.INCOMING and c.kind in PHONE_KINDS:
        if c.calls_out is False:
            reasons.insert(0, note("not_a_calling_number", value=value, provider=p.names))
            return _Finding(Verdict.SUSPICIOUS, p, c, reasons)
        reasons.append(note("caller_id_spoofable", value=value, provider=p.names))
        return _Finding(Verdict.OFFICIAL_BUT_SPOOFABLE, p, c, reasons)
    return _Finding(Verdict.OFFICIAL, p, c, reasons)


def _pick(entries: list[Entry], claimed: Provider | None) -> Entry:
    """The claimed provider's entry when there is one, else the first (directory order)."""
    if claimed is not None:
        for e in entries:
            if e.provider.id == claimed.id:
                return e
    return entries[0]


# ------------------------------------------------------------------------------ phones


def _check_phone(
    phone: Phone,
    value: Text,
    claimed: Provider | None,
    way: Direction | None,
    day: date,
    directory: ContactDirectory,
) -> _Finding:
    matches = directory.match_phone(phone)
    fakes = [e for e, _ in matches if e.channel.status is ChannelStatus.KNOWN_FAKE]
    if fakes:
        return _listed(_pick(fakes, claimed), value, claimed, way, day)
    if phone.is_short_code and phone.international_prefix:
        owners = [e for e, _ in matches]
        owner = _pick(owners, claimed).provider if owners else claimed
        shown = plain(phone.digits)
        return _Finding(
            Verdict.SUSPICIOUS, owner, None, [note("international_prefix", value=shown)]
        )
    usable = [
        e
        for e, how in matches
        if how is PhoneMatch.EXACT
        or (how is PhoneMatch.AREA_CODE and e.channel.area_code_prefix_allowed)
    ]
    if usable:
        entry = _pick(usable, claimed)
        finding = _listed(entry, value, claimed, way, day)
        if phone.area_code:
            area = note("area_code_prefix", area=phone.area_code, value=plain(phone.digits))
            finding.reasons.append(area)
        return finding
    extra = [
        note("area_code_unexpected", value=plain(phone.digits))
        for _, how in matches
        if how is PhoneMatch.AREA_CODE
    ][:1]
    if claimed is None:
        return _Finding(Verdict.UNKNOWN, None, None, [*extra, note("not_listed", value=value)])
    return _unlisted_phone_for(claimed, phone, value, way, directory, extra)


def _unlisted_phone_for(
    claimed: Provider,
    phone: Phone,
    value: Text,
    way: Direction | None,
    directory: ContactDirectory,
    extra: list[Note],
) -> _Finding:
    """A number claimed for ``claimed`` that is not one of its listed numbers."""
    listed = [e for e in directory.phones if e.provider.id == claimed.id]
    official = [e for e in listed if e.channel.status is ChannelStatus.OFFICIAL]
    numbers = join([channel_value(e.channel) for e in official])
    names = claimed.names

    def suspicious(reason: Note) -> _Finding:
        return _Finding(Verdict.SUSPICIOUS, claimed, None, [*extra, reason])

    if not claimed.phone_support:
        return suspicious(note("no_phone_support", provider=names))
    if claimed.only_listed_phones:
        return suspicious(note("only_listed_numbers", provider=names, official=numbers))
    if way is Direction.INCOMING and claimed.calls_only_from_listed:
        callers = join([channel_value(e.channel) for e in official if e.channel.calls_out])
        return suspicious(note("calls_only_from_listed", provider=names, official=callers))
    shape = _shape_for(phone, claimed, official)
    official_shapes = {e.phone.shape for e in official if e.phone is not None}
    if shape is not None and official_shapes and shape not in official_shapes:
        first = official[0]
        reasons = [
            note(
                "wrong_shape",
                provider=names,
                official_shape=SHAPE[
                    first.phone.shape if first.phone and first.phone.shape else PhoneShape.OTHER
                ],
                official=numbers,
                shape=SHAPE[shape],
            )
        ]
        if shape is PhoneShape.MOBILE:
            reasons.append(note("mobile_number"))
        return _Finding(Verdict.SUSPICIOUS, claimed, None, [*extra, *reasons])
    copied = _short_code_with_digits_added(phone, official)
    if copied is not None:
        shown = plain(copied.channel.value)
        return suspicious(note("lookalike_number", value=value, provider=names, official=shown))
    reason = note(
        "not_listed_for_provider", value=value, provider=names, official=official_summary(claimed)
    )
    return _Finding(Verdict.UNKNOWN, claimed, None, [*extra, reason])


# A digit or two on the end (or front) of a short code: "951880", "95188 1".
_MAX_ADDED_DIGITS = 2


def _short_code_with_digits_added(phone: Phone, official: list[Entry]) -> Entry | None:
    """The official short code ``phone`` is made from by adding a digit or two, if any.

    Claimed as the provider's, such a number is not the provider's and can only be meant
    to pass for it; "95188, then press 1" written down as "95188 1" reads the same, and
    for that reader the answer (dial 95188 itself) is the same too.
    """
    for entry in official:
        listed = entry.phone
        if listed is None or not listed.is_short_code:
            continue
        added = len(phone.digits) - len(listed.digits)
        if 0 < added <= _MAX_ADDED_DIGITS and listed.digits in phone.digits:
            return entry
    return None


def _shape_for(phone: Phone, claimed: Provider, official: list[Entry]) -> PhoneShape | None:
    """The number's shape read in the provider's country (a national number has none alone)."""
    if phone.shape is not None:
        return phone.shape
    region = claimed.country or next((e.channel.region for e in official if e.channel.region), None)
    return phone_in_region(phone.digits, region).shape if region else None


# ------------------------------------------------------------------------------ hosts


def _check_host(
    host: Host, claimed: Provider | None, day: date, directory: ContactDirectory
) -> _Finding:
    value = plain(host.unicode if host.unicode != host.ascii else host.ascii)
    decoy = [note("userinfo_decoy", value=value)] if host.had_userinfo else []
    matches = list(directory.match_host(host, DOMAIN_KINDS))
    if matches:
        finding = _listed(_pick(matches, claimed), value, claimed, None, day)
        finding.reasons[:0] = decoy
        return finding
    if host.userinfo is not None:
        # A link that hides its destination behind "name@" has no honest reason to.
        imitated = [p for p in directory.providers if has_brand(p, host.userinfo)]
        owner = _prefer(imitated, claimed) if imitated else claimed
        return _Finding(Verdict.SUSPICIOUS, owner, None, decoy)
    if host.is_ip:
        return _Finding(Verdict.SUSPICIOUS, claimed, None, [note("ip_address")])
    if host.registrable is None:
        return _Finding(Verdict.UNKNOWN, claimed, None, [*decoy, note("not_recognised")])
    owners = [
        e for e in directory.official_hosts() if e.host and e.host.registrable == host.registrable
    ]
    if owners:
        owner = _pick(owners, claimed).provider
        reason = note(
            "same_owner_unlisted",
            value=value,
            registrable=plain(host.registrable),
            provider=owner.names,
        )
        return _Finding(Verdict.UNKNOWN, owner, None, [*decoy, reason])
    imitations = host_imitations(host, value, directory)
    if imitations:
        provider = _prefer([i.provider for i in imitations], claimed)
        return _Finding(Verdict.SUSPICIOUS, provider, None, [i.reason for i in imitations])
    return _not_listed(value, claimed, decoy)


def _mailbox_decoy(
    mailbox: str, host: Host, claimed: Provider | None, directory: ContactDirectory
) -> _Finding | None:
    """``alipay.com@evil.cn``: a provider's domain, or a look-alike, in front of "@".

    With no scheme this reads as an email address to evil.cn, but a browser opens it as
    a link to evil.cn and a reader sees "alipay.com": the same decoy as in a URL. Only a
    part before "@" that is itself a provider's domain or imitates one counts, so
    ``service@...`` and ``first.last@...`` stay ordinary mailboxes.
    """
    decoy = normalise_host(mailbox)
    if decoy is None or decoy.registrable is None:
        return None
    value = plain(host.unicode if host.unicode != host.ascii else host.ascii)
    named = [e.provider for e in directory.match_host(decoy, DOMAIN_KINDS)]
    named += [i.provider for i in host_imitations(decoy, plain(decoy.ascii), directory)]
    if not named:
        return None
    return _Finding(
        Verdict.SUSPICIOUS, _prefer(named, claimed), None, [note("userinfo_decoy", value=value)]
    )


def _implied_provider(contact: Contact, directory: ContactDirectory) -> Provider | None:
    """A closed provider whose brand the value carries (``line-pay-help.jp``), if any.

    Only closed providers are looked for: for them any use of the name is a claim to
    check against the end date; for open ones the look-alike rules decide.
    """
    return next(
        (
            p
            for p in directory.providers
            if p.discontinued_on is not None and has_term(p, contact.raw)
        ),
        None,
    )


def _prefer(providers: list[Provider], claimed: Provider | None) -> Provider:
    if claimed is not None and any(p.id == claimed.id for p in providers):
        return claimed
    return providers[0]


# ------------------------------------------------------------------------------ social, text


def _check_social(
    contact: Contact,
    value: Text,
    claimed: Provider | None,
    day: date,
    directory: ContactDirectory,
) -> _Finding:
    handle = contact.social
    assert handle is not None  # the caller dispatched on it
    matches = list(directory.match_social(handle))
    if matches:
        return _listed(_pick(matches, claimed), value, claimed, None, day)
    named = list(directory.match_text(contact.raw)) if contact.text is not None else []
    if named:
        return _listed(_pick(named, claimed), value, claimed, None, day)
    found = social_imitations(handle, value, directory)
    imitations = [i for i in found if i.reason.code != "platform_mismatch"]
    if imitations:
        provider = _prefer([i.provider for i in imitations], claimed)
        return _Finding(Verdict.SUSPICIOUS, provider, None, [i.reason for i in imitations])
    return _not_listed(value, claimed, [i.reason for i in found])


def _check_text(
    contact: Contact,
    value: Text,
    claimed: Provider | None,
    day: date,
    directory: ContactDirectory,
) -> _Finding:
    if contact.kind is ContactKind.WEB:
        # parse_contact gives a link no host only when no browser reading makes sense of it
        return _Finding(Verdict.SUSPICIOUS, claimed, None, [note("unreadable_link")])
    named = list(directory.match_text(contact.raw))
    if named:
        return _listed(_pick(named, claimed), value, claimed, None, day)
    if contact.kind is ContactKind.TEXT:
        return _Finding(Verdict.UNKNOWN, claimed, None, [note("not_recognised")])
    return _not_listed(value, claimed, [])


def _not_listed(value: Text, claimed: Provider | None, earlier: list[Note]) -> _Finding:
    if claimed is None:
        return _Finding(Verdict.UNKNOWN, None, None, [*earlier, note("not_listed", value=value)])
    reason = note(
        "not_listed_for_provider",
        value=value,
        provider=claimed.names,
        official=official_summary(claimed),
    )
    return _Finding(Verdict.UNKNOWN, claimed, None, [*earlier, reason])

"""Look-alike rules: is a domain or handle made to pass for a provider's? (pure)

A look-alike is one or two edits from an official name (``paypa1``, ``alipya``), the
same confusable skeleton (Cyrillic letters that render as ``apple``), the brand plus
other words (``paypal-support``, ``alipay-kefu``), the brand in front of someone else's
registrable domain (``alipay.com.secure-login.xyz``), or the brand under another suffix
(``paypal.co``). Each rule yields at most one reason per provider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from walletdesk.support.contacts.directory import ContactDirectory
from walletdesk.support.contacts.model import ChannelKind, Provider, Text
from walletdesk.support.contacts.normalise import Host, SocialHandle, skeleton, to_unicode
from walletdesk.support.contacts.reasons import Note, channel_value, join, note, plain


@dataclass(frozen=True)
class Imitation:
    """A provider a value imitates, and the reason to say so."""

    provider: Provider
    reason: Note


def host_imitations(host: Host, value: Text, directory: ContactDirectory) -> list[Imitation]:
    """Each provider ``host`` imitates, with the first reason found (one per provider)."""
    found: dict[str, Imitation] = {}
    label, shown = host.label or "", host.unicode_label or ""
    looks = skeleton(shown)
    for e in directory.official_hosts():
        p, listed = e.provider, e.host
        if listed is None or listed.label is None or p.id in found:
            continue
        target = plain(listed.registrable or listed.ascii)
        if label == listed.label:
            reason = note("other_suffix", value=value, provider=p.names, official=target)
        elif looks == skeleton(listed.unicode_label or listed.label):
            reason = note(
                "confusable_domain",
                value=value,
                provider=p.names,
                official=target,
                shown=plain(shown),
            )
        elif (distance := edits(shown, listed.label)) is not None:
            reason = note(
                "lookalike_domain",
                value=value,
                provider=p.names,
                official=target,
                edits=str(distance),
            )
        else:
            continue
        found[p.id] = Imitation(p, reason)
    for p in directory.providers:
        if p.id in found:
            continue
        if has_brand(p, to_unicode(host.subdomain)):
            registrable = plain(host.registrable or host.ascii)
            reason = note(
                "brand_in_subdomain", value=value, provider=p.names, registrable=registrable
            )
        elif brand_plus_word(p, shown):
            official = official_summary(p, kinds=(ChannelKind.WEB_DOMAIN,))
            reason = note("brand_plus_word", value=value, provider=p.names, official=official)
        else:
            continue
        found[p.id] = Imitation(p, reason)
    return list(found.values())


def edits(candidate: str, official: str) -> int | None:
    """The edit distance (transpositions count once) from ``official``, if it is a look-alike.

    A look-alike is within the allowance for ``official``'s length either as typed or
    after both are reduced to skeletons (``unlonpays`` is one skeleton edit from
    ``unionpay``). The distance returned is the one as typed, which is what a person
    would count. Short names get no allowance: two edits from "qq" or "wise" is half the web.
    """
    allowance = 2 if len(official) >= 8 else 1 if len(official) >= 5 else 0
    if allowance == 0 or candidate == official:
        return None
    typed = OSA.distance(candidate, official)
    looks = OSA.distance(skeleton(candidate), skeleton(official), score_cutoff=allowance)
    return typed if min(typed, looks) <= allowance else None


_TOKENS = re.compile(r"[^\W\d_]+|\d+")


def has_brand(provider: Provider, text: str) -> bool:
    """``text`` holds one of the provider's brand terms, or one of its words as a token."""
    if not text:
        return False
    tokens = _TOKENS.findall(text.casefold())
    return has_term(provider, text) or any(w in tokens for w in provider.brand_words)


def brand_plus_word(provider: Provider, label: str) -> bool:
    """The brand and something else: ``paypal-support``, ``alipaykefu``, ``apple-id-help``."""
    compact = re.sub(r"[-_.]", "", label.casefold())
    if compact in provider.brand_terms or compact in provider.brand_words:
        return False  # the bare name is the other-suffix rule's business, not this one's
    tokens = _TOKENS.findall(label.casefold())
    has_word = len(tokens) > 1 and any(w in tokens for w in provider.brand_words)
    return has_word or has_term(provider, label)


def has_term(provider: Provider, text: str) -> bool:
    """A brand term anywhere in ``text``, written plainly or with look-alike characters.

    Hyphens, dots and underscores are ignored ("pay-pal"); only terms of five or more
    characters are compared by skeleton, shorter ones collide with ordinary words.
    """
    compact = re.sub(r"[-_.]", "", text.casefold())
    looks = skeleton(compact)
    return any(t in compact or (len(t) >= 5 and skeleton(t) in looks) for t in provider.brand_terms)


def social_imitations(
    handle: SocialHandle, value: Text, directory: ContactDirectory
) -> list[Imitation]:
    """Official accounts ``handle`` imitates, one reason per provider.

    A ``platform_mismatch`` reason (the same handle, listed on another platform) is
    information, not an imitation; the caller tells them apart by code.
    """
    found: dict[str, Imitation] = {}
    for e in directory.official_socials():
        p, listed = e.provider, e.social
        if listed is None or p.id in found:
            continue
        official = plain(e.channel.value)
        if listed.handle == handle.handle:
            platform = plain(listed.platform or "?")
            reason = note(
                "platform_mismatch", provider=p.names, official=official, platform=platform
            )
        elif skeleton(handle.handle) == skeleton(listed.handle) or edits(
            handle.handle, listed.handle
        ):
            reason = note("lookalike_account", value=value, provider=p.names, official=official)
        else:
            continue
        found[p.id] = Imitation(p, reason)
    for p in directory.providers:
        if p.id not in found and brand_plus_word(p, handle.handle):
            official = official_summary(
                p, kinds=(ChannelKind.SOCIAL_ACCOUNT, ChannelKind.WEB_DOMAIN)
            )
            reason = note("brand_plus_word", value=value, provider=p.names, official=official)
            found[p.id] = Imitation(p, reason)
    return list(found.values())


def official_summary(provider: Provider, kinds: tuple[ChannelKind, ...] = ()) -> Text:
    """The provider's official channels as one readable list."""
    return join([channel_value(c) for c in provider.official_channels(*kinds)])

"""Pure normalisation of what people paste into a scam check.

Every function here is deterministic and does no I/O except reading two tables that
ship inside installed packages (the public-suffix list of ``publicsuffixlist`` and the
Unicode confusables table of ``confusable-homoglyphs``), each loaded once.

* phone numbers (:mod:`.phones`, re-exported here): full-width digits, separators,
  ``+``/``00`` prefixes, CN service short codes and area-code prefixes;
* hosts: scheme, userinfo, port, path stripped; lowercase; IDNA both ways; the
  registrable domain from the offline public-suffix list;
* skeletons: a string reduced to the ASCII letters it looks like, so Cyrillic look-alike
  letters (``xn--80ak6aa92e.com``) and ``app1e`` both read ``apple``;
* social handles: ``@Venmo``, ``venmo`` and ``https://twitter.com/venmo`` are the same
  handle, the last one on a known platform.
"""

from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources
from urllib.parse import unquote

import idna
from publicsuffixlist import PublicSuffixList

from walletdesk.support.contacts.phones import (
    Phone,
    PhoneShape,
    looks_like_phone,
    normalise_phone,
    phone_in_region,
)

# Phone normalisation lives in .phones; it is part of this module's interface too.
__all__ = [
    "Contact",
    "ContactKind",
    "Host",
    "Phone",
    "PhoneShape",
    "SocialHandle",
    "fold",
    "has_authority",
    "looks_like_host",
    "looks_like_in_app_path",
    "looks_like_phone",
    "normalise_host",
    "normalise_in_app_path",
    "normalise_name",
    "normalise_phone",
    "normalise_social",
    "parse_contact",
    "phone_in_region",
    "skeleton",
    "social_platform",
    "to_ascii",
    "to_unicode",
]

# --------------------------------------------------------------------------- text


def fold(text: str) -> str:
    """NFKC (full-width digits and letters become ASCII), then trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


# --------------------------------------------------------------------------- hosts


@cache
def _suffix_list() -> PublicSuffixList:
    # accept_unknown=False: "file.txt" or "paypal.local" have no registrable domain,
    # rather than inventing one from an unknown top-level label.
    return PublicSuffixList(accept_unknown=False)


# Dots that IDNA treats as dots and people paste from CJK text.
_DOTS = str.maketrans({"。": ".", "．": ".", "｡": "."})
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
# A host label: letters and digits of any script, hyphens inside, never an underscore.
_LABEL = re.compile(r"[^\W_](?:(?:[^\W_]|-)*[^\W_])?")
# A browser drops ASCII tab and newline anywhere in a URL: "alipay.com\t.evil.cn" opens
# alipay.com.evil.cn.
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")


@dataclass(frozen=True)
class Host:
    """A normalised host name, as a link or email address really points to it.

    ``ascii`` is lowercase punycode (``xn--...``); ``unicode`` the same host decoded;
    ``registrable`` the domain its owner registered (``secure-login.xyz`` for
    ``alipay.com.secure-login.xyz``), ``None`` for an IP address or an unknown suffix.
    """

    ascii: str
    unicode: str
    registrable: str | None
    suffix: str | None
    # "https://paypal.com@evil.xyz": the part before "@" is a decoy the browser ignores.
    userinfo: str | None = None
    is_ip: bool = False

    @property
    def had_userinfo(self) -> bool:
        return self.userinfo is not None

    @property
    def label(self) -> str | None:
        """The registrable domain without its public suffix, in punycode (``paypal``)."""
        if not self.registrable or not self.suffix:
            return None
        return self.registrable[: -len(self.suffix) - 1]

    @property
    def unicode_label(self) -> str | None:
        """:attr:`label` decoded, which is what a person sees (Cyrillic letters, not punycode)."""
        return to_unicode(self.label) if self.label else None

    @property
    def subdomain(self) -> str:
        """Everything left of the registrable domain, ``""`` when there is nothing."""
        if not self.registrable or self.ascii == self.registrable:
            return ""
        return self.ascii[: -len(self.registrable) - 1]

    def is_within(self, domain: str) -> bool:
        """True for ``domain`` itself or any subdomain of it (``domain`` in punycode)."""
        return self.ascii == domain or self.ascii.endswith("." + domain)


def looks_like_host(text: str) -> bool:
    """True for a URL, or a dotted name whose last label is a known public suffix."""
    folded = fold(text).translate(_DOTS)
    if _SCHEME.match(folded):
        return True
    if any(ch.isspace() for ch in folded) or "." not in folded:
        return False
    host = normalise_host(folded)
    return host is not None and (host.registrable is not None or host.is_ip)


def normalise_host(text: str) -> Host | None:
    """The host a URL, bare domain or ``user@host`` string points to, or ``None``.

    Reads the host the way a browser does (WHATWG URL): tabs and newlines anywhere are
    dropped, the authority is percent-decoded once before userinfo is split off, and a
    host that ends in a number is an IPv4 address in any of its forms (``3232235777``,
    ``0xC0A80101``, ``0300.0250.01.01``, ``192.168.257``) or no host at all. Strips
    scheme, userinfo, port, path, query and fragment; lowercases; converts to punycode
    with IDNA 2008 (UTS #46 mapping), falling back to IDNA 2003 for labels the stricter
    standard refuses (phishers use those too).
    """
    folded = _TAB_OR_NEWLINE.sub("", fold(text).translate(_DOTS)).strip("<>\"' ")
    rest = _SCHEME.sub("", folded, count=1).removeprefix("//")
    # Browsers decode "%2e", "%61" and "%40" in the host, so "alipay.com%2eevil.cn"
    # opens alipay.com.evil.cn and "alipay.com%40evil.cn" opens evil.cn: judge that.
    authority = unquote(re.split(r"[/?#\\]", rest, maxsplit=1)[0])
    userinfo, at, authority = authority.rpartition("@")
    decoy = userinfo if at else None
    if authority.startswith("["):  # [IPv6]:port
        literal = authority[1:].split("]", 1)[0]
        return _ip_host(literal, decoy)
    authority = re.sub(r":\d*$", "", authority).rstrip(".").lower()
    if not authority:
        return None
    if _ends_in_number(authority):
        # A browser reads this as an IPv4 address or refuses it; never as a name.
        address = _ipv4(authority)
        return _ip_host(str(address), decoy) if address is not None else None
    ip = _ip_host(authority, decoy)
    if ip is not None:
        return ip
    labels = authority.split(".")
    if any(not _LABEL.fullmatch(label) for label in labels):
        return None
    ascii_host = to_ascii(authority)
    if ascii_host is None:
        return None
    psl = _suffix_list()
    return Host(
        ascii=ascii_host,
        unicode=to_unicode(ascii_host),
        registrable=psl.privatesuffix(ascii_host),
        suffix=psl.publicsuffix(ascii_host),
        userinfo=decoy,
    )


def has_authority(text: str) -> bool:
    """True for ``scheme://`` followed by something where the host should be."""
    folded = _TAB_OR_NEWLINE.sub("", fold(text))
    match = _SCHEME.match(folded)
    return match is not None and bool(re.split(r"[/?#\\]", folded[match.end() :], maxsplit=1)[0])


def _ip_host(text: str, userinfo: str | None) -> Host | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return Host(
        ascii=str(address),
        unicode=str(address),
        registrable=None,
        suffix=None,
        userinfo=userinfo,
        is_ip=True,
    )


# WHATWG IPv4 parts: decimal, 0-prefixed octal, 0x-prefixed hex ("0x" alone is zero).
_IPV4_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")
_IPV4_MAX_PARTS = 4
_OCTET = 256


def _ipv4_number(part: str) -> int | None:
    if not _IPV4_PART.fullmatch(part):
        return None
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part)


def _ends_in_number(host: str) -> bool:
    """WHATWG's "ends in a number": the last label is digits or a valid IPv4 number."""
    last = host.rsplit(".", maxsplit=1)[-1]
    return bool(last) and ((last.isascii() and last.isdigit()) or _ipv4_number(last) is not None)


def _ipv4(host: str) -> ipaddress.IPv4Address | None:
    """``host`` read as WHATWG reads IPv4 (1-4 parts, the last filling the rest), or ``None``.

    ``192.168.257`` is 192.168.1.1: the last part spans the two bytes left.
    """
    parts = host.split(".")
    if not 1 <= len(parts) <= _IPV4_MAX_PARTS:
        return None
    numbers = [_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    *head, last = values
    if any(n >= _OCTET for n in head) or last >= _OCTET ** (_IPV4_MAX_PARTS + 1 - len(values)):
        return None
    number = last
    for index, n in enumerate(head):
        number += n * _OCTET ** (_IPV4_MAX_PARTS - 1 - index)
    return ipaddress.IPv4Address(number)


def to_ascii(host: str) -> str | None:
    """``host`` in lowercase punycode, or ``None`` if no IDNA version accepts it."""
    if host.isascii():
        return host.lower()
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        pass
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None


def to_unicode(host: str) -> str:
    """``host`` with every ``xn--`` label decoded; undecodable labels stay as they are."""
    return ".".join(_label_to_unicode(label) for label in host.split("."))


def _label_to_unicode(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return idna.decode(label)
    except idna.IDNAError:
        pass
    try:
        return label.encode("ascii").decode("idna")
    except UnicodeError:
        return label


# --------------------------------------------------------------------------- skeletons


@cache
def _confusable_map() -> dict[str, str]:
    """Non-ASCII character -> the ASCII letter or digit it is confusable with.

    Built from the Unicode confusables table that ``confusable-homoglyphs`` ships: for
    each character, the first ASCII letter (else digit) among its homoglyphs.
    """
    table = resources.files("confusable_homoglyphs").joinpath("confusables.json")
    raw: dict[str, list[dict[str, str]]] = json.loads(table.read_text(encoding="utf-8"))
    mapping: dict[str, str] = {}
    for char, homoglyphs in raw.items():
        if len(char) != 1 or char.isascii():
            continue
        candidates = [h["c"].lower() for h in homoglyphs if len(h["c"]) == 1 and h["c"].isascii()]
        letters = [c for c in candidates if c.isalpha()]
        digits = [c for c in candidates if c.isdigit()]
        if letters or digits:
            mapping[char] = (letters or digits)[0]
    return mapping


# After mapping to ASCII, the glyphs people cannot tell apart in a URL bar collapse into
# one: 1/i/l/| are all a vertical stroke, 0 is o, "rn" is m, "vv" is w.
_SEQUENCE_FOLDS = (("rn", "m"), ("vv", "w"))
_CHAR_FOLDS = str.maketrans({"1": "l", "i": "l", "|": "l", "!": "l", "0": "o"})


@lru_cache(maxsize=8192)
def skeleton(text: str) -> str:
    """What ``text`` looks like, reduced to ASCII: equal skeletons are visually confusable.

    Used only to compare a candidate with official names; it is lossy on purpose
    (``alipay`` and ``a1ipay`` share the skeleton ``allpay``).
    """
    mapping = _confusable_map()
    lowered = unicodedata.normalize("NFKC", text).casefold()
    ascii_text = "".join(ch if ch.isascii() else mapping.get(ch, ch) for ch in lowered)
    for sequence, replacement in _SEQUENCE_FOLDS:
        ascii_text = ascii_text.replace(sequence, replacement)
    return ascii_text.translate(_CHAR_FOLDS)


# --------------------------------------------------------------------------- social handles

# Host -> platform id. Only hosts whose first path segment is the account name.
SOCIAL_PLATFORMS: dict[str, str] = {
    "twitter.com": "x",
    "x.com": "x",
    "instagram.com": "instagram",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "tiktok.com": "tiktok",
    "youtube.com": "youtube",
    "threads.net": "threads",
    "weibo.com": "weibo",
    "t.me": "telegram",
}
# Paths on those hosts that are pages, not accounts.
_NOT_HANDLES = frozenset({"home", "intent", "share", "i", "search", "explore", "hashtag", "p"})
_HANDLE = re.compile(r"[\w.]{1,64}")


@dataclass(frozen=True)
class SocialHandle:
    """An account name without ``@``, casefolded; ``platform`` is ``None`` when not stated."""

    handle: str
    platform: str | None = None

    def display(self) -> str:
        return f"@{self.handle}" + (f" ({self.platform})" if self.platform else "")


def social_platform(host: Host) -> str | None:
    """The platform id of a social-network host (``www.x.com`` -> ``x``), else ``None``."""
    if host.registrable is None:
        return None
    return SOCIAL_PLATFORMS.get(host.registrable)


def normalise_social(text: str) -> SocialHandle | None:
    """``@Venmo``, ``venmo`` or ``https://twitter.com/venmo`` as a handle, else ``None``."""
    folded = fold(text)
    if _SCHEME.match(folded) or "/" in folded:
        host = normalise_host(folded)
        if host is None or (platform := social_platform(host)) is None:
            return None
        path = _SCHEME.sub("", folded, count=1).split("/", 1)
        segment = path[1].split("/")[0].split("?")[0].split("#")[0] if len(path) > 1 else ""
        handle = segment.removeprefix("@").casefold()
        if not handle or handle in _NOT_HANDLES or not _HANDLE.fullmatch(handle):
            return None
        return SocialHandle(handle=handle, platform=platform)
    handle = folded.removeprefix("@").casefold()
    if not _HANDLE.fullmatch(handle):
        return None
    return SocialHandle(handle=handle)


# --------------------------------------------------------------------------- in-app paths

_PATH_SEPARATORS = re.compile(r"\s*(?:→|->|=>|＞|>|›|»|/)\s*")


def looks_like_in_app_path(text: str) -> bool:
    """True for "Me → Help & feedback"-style menu paths (and not for URLs)."""
    folded = fold(text)
    return (
        not _SCHEME.match(folded)
        and bool(_PATH_SEPARATORS.search(folded))
        and "." not in folded.split("/")[0]
        and any(ch.isalpha() for ch in folded)
    )


def normalise_in_app_path(text: str) -> str:
    """Separators unified to " → ", whitespace collapsed, casefolded."""
    parts = [re.sub(r"\s+", " ", part).strip() for part in _PATH_SEPARATORS.split(fold(text))]
    return " → ".join(part for part in parts if part).casefold()


def normalise_name(text: str) -> str:
    """A free-text name (an app-store publisher) for comparison: NFKC, casefolded, one space."""
    return re.sub(r"\s+", " ", fold(text)).casefold()


# --------------------------------------------------------------------------- classification


class ContactKind(StrEnum):
    """What a checked value was read as."""

    PHONE = "phone"
    WEB = "web"  # a URL or bare domain
    EMAIL = "email"
    SOCIAL = "social_account"
    IN_APP_PATH = "in_app_path"
    TEXT = "text"  # none of the above: only names can match it


_EMAIL = re.compile(r"([^\s@/:]+)@([^\s@/]+)")


@dataclass(frozen=True)
class Contact:
    """A checked value, classified and normalised; exactly one of the parts is set.

    A ``web`` contact with ``text`` and no ``host`` is a link whose host cannot be read.
    """

    raw: str
    kind: ContactKind
    phone: Phone | None = None
    host: Host | None = None
    social: SocialHandle | None = None
    text: str | None = None  # in-app path or free text, normalised
    # An email address's part before "@": "alipay.com@evil.cn" dresses evil.cn up.
    mailbox: str | None = None

    def normalised(self) -> str:
        """A stable printable form (for responses and logs)."""
        if self.phone is not None:
            return self.phone.display()
        if self.host is not None:
            return self.host.ascii
        if self.social is not None:
            return self.social.display()
        return self.text or ""


def parse_contact(text: str, region: str | None = None) -> Contact:
    """Classify ``text`` as a phone number, link, email, social handle, in-app path or text.

    Order matters: a menu path can contain "/", an email contains a dotted host, and a
    bare word could be a handle or a name, so the most specific reading wins.
    """
    folded = fold(text)
    if looks_like_in_app_path(folded) and not looks_like_host(folded):
        return Contact(folded, ContactKind.IN_APP_PATH, text=normalise_in_app_path(folded))
    email = _EMAIL.fullmatch(folded.removeprefix("mailto:"))
    if email and not _SCHEME.match(folded):
        host = normalise_host(email.group(2))
        if host is not None:
            return Contact(folded, ContactKind.EMAIL, host=host, mailbox=email.group(1))
    if looks_like_phone(folded):
        phone = normalise_phone(folded, region)
        if phone is not None:
            return Contact(folded, ContactKind.PHONE, phone=phone)
    if looks_like_host(folded):
        host = normalise_host(folded)
        if host is not None:
            social = normalise_social(folded) if social_platform(host) else None
            if social is not None:
                return Contact(folded, ContactKind.SOCIAL, social=social)
            return Contact(folded, ContactKind.WEB, host=host)
        if has_authority(folded):
            # A link whose host no browser reading gives a name or address for: the
            # checker cannot say where it goes, which is itself a reason for caution.
            return Contact(folded, ContactKind.WEB, text=folded)
    social = normalise_social(folded)
    if social is not None:
        return Contact(folded, ContactKind.SOCIAL, social=social, text=normalise_name(folded))
    return Contact(folded, ContactKind.TEXT, text=normalise_name(folded))

"""Phone numbers and short codes as people type them, normalised (pure).

Full-width digits (NFKC), spaces, dashes and brackets, ``+`` and ``00`` international
prefixes, CN service short codes (95xxx, 96xxx, 12xxx) that ``phonenumbers`` does not
treat as ordinary numbers, and a CN area code written in front of a short code
(``010-96110``). A number that parses is not thereby genuine: that is the checker's job.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import PhoneNumberType, shortnumberinfo


class PhoneShape(StrEnum):
    """What kind of number it is; a hotline of one shape claimed in another is a red flag."""

    SHORT_CODE = "short_code"
    MOBILE = "mobile"
    FIXED_LINE = "fixed_line"
    FIXED_LINE_OR_MOBILE = "fixed_line_or_mobile"
    TOLL_FREE = "toll_free"
    SHARED_COST = "shared_cost"
    UAN = "uan"  # "universal access number", e.g. Korea's 1644-xxxx representative numbers
    PREMIUM_RATE = "premium_rate"
    VOIP = "voip"
    OTHER = "other"


_TYPE_TO_SHAPE: dict[int, PhoneShape] = {
    PhoneNumberType.MOBILE: PhoneShape.MOBILE,
    PhoneNumberType.FIXED_LINE: PhoneShape.FIXED_LINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: PhoneShape.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.TOLL_FREE: PhoneShape.TOLL_FREE,
    PhoneNumberType.SHARED_COST: PhoneShape.SHARED_COST,
    PhoneNumberType.UAN: PhoneShape.UAN,
    PhoneNumberType.PREMIUM_RATE: PhoneShape.PREMIUM_RATE,
    PhoneNumberType.VOIP: PhoneShape.VOIP,
}

# Characters people type between digits; none of them changes the number.
_PHONE_TEXT = re.compile(r"\+?[\d\s\-().\u00a0/]+")
# China's nationwide service numbers: 95xxx (companies), 96xxx (public services, 96110
# anti-fraud), 12xxx (government, 12381 anti-fraud SMS). Five digits, never dialled with
# a country code, which is why "+86 95188" or "0096110" on a screen is a forgery.
_CN_SERVICE_CODE = re.compile(r"(?:9[56]|12)\d{3}")
# A CN area code (010, 02x, 0xxx) written in front of a service number: genuine 96110 calls
# show up this way, so it has to parse rather than look like a landline.
_CN_AREA_CODE_THEN_SERVICE = re.compile(r"(0(?:10|2\d|[3-9]\d\d))((?:9[56])\d{3})")
# Longest short code we treat as one (Kenya's 100, Singapore's 1799, Hong Kong's 18222).
_MAX_SHORT_CODE_DIGITS = 6
# E.164 caps a number at 15 digits; two more allow a typed trunk prefix.
_MAX_PHONE_DIGITS = 17
_MIN_PHONE_DIGITS = 3


@dataclass(frozen=True)
class Phone:
    """A normalised phone number or short code.

    ``digits`` is the dialled number without any prefix: the short code itself, or the
    national significant number. ``e164`` is set only when the country is known (typed
    with ``+``/``00``, or a region was given). ``region`` is an ISO 3166 alpha-2 code or
    ``None`` when a national-format number could belong to several countries.
    """

    digits: str
    shape: PhoneShape | None  # None: national format without a region, shape unknowable
    region: str | None = None
    e164: str | None = None
    international_prefix: bool = False  # typed or shown with "+" or "00"
    area_code: str | None = None  # CN area code shown before a short code, e.g. "010"

    @property
    def is_short_code(self) -> bool:
        return self.shape is PhoneShape.SHORT_CODE

    def display(self) -> str:
        """The number the way a person would read it back."""
        if self.is_short_code:
            prefix = "+" if self.international_prefix else ""
            cc = (
                str(phonenumbers.country_code_for_region(self.region))
                if self.international_prefix and self.region
                else ""
            )
            area = f"{self.area_code}-" if self.area_code else ""
            return f"{prefix}{cc}{' ' if cc else ''}{area}{self.digits}"
        return self.e164 or self.digits


def looks_like_phone(text: str) -> bool:
    """True when ``text`` is only digits and the separators people type between them."""
    folded = _strip_tel(unicodedata.normalize("NFKC", text).strip())
    digits = re.sub(r"\D", "", folded)
    return bool(_PHONE_TEXT.fullmatch(folded)) and len(digits) >= _MIN_PHONE_DIGITS


def normalise_phone(text: str, region: str | None = None) -> Phone | None:
    """Parse a phone number or short code as typed, or ``None`` if it is not one.

    ``region`` (ISO alpha-2) is the country to read a national-format number in; without
    it a long national number keeps ``region``/``e164``/``shape`` unset and callers
    compare it with :func:`phone_in_region` per candidate country.
    """
    folded = _strip_tel(unicodedata.normalize("NFKC", text).strip())
    if not _PHONE_TEXT.fullmatch(folded):
        return None
    digits = re.sub(r"\D", "", folded)
    plus = folded.startswith("+")
    double_zero = not plus and digits.startswith("00")
    if double_zero:
        digits = digits[2:]
    if not (_MIN_PHONE_DIGITS <= len(digits) <= _MAX_PHONE_DIGITS):
        return None
    if plus or double_zero:
        return _international(digits)
    area = _CN_AREA_CODE_THEN_SERVICE.fullmatch(digits)
    if area:
        return Phone(
            digits=area.group(2), shape=PhoneShape.SHORT_CODE, region="CN", area_code=area.group(1)
        )
    if len(digits) <= _MAX_SHORT_CODE_DIGITS:
        return Phone(digits=digits, shape=PhoneShape.SHORT_CODE, region=region)
    if region is None:
        return Phone(digits=digits, shape=None)
    return phone_in_region(digits, region)


def phone_in_region(digits: str, region: str) -> Phone:
    """Read national-format ``digits`` as a number of ``region`` (trunk prefix allowed)."""
    if len(digits) <= _MAX_SHORT_CODE_DIGITS:
        return Phone(digits=digits, shape=PhoneShape.SHORT_CODE, region=region)
    try:
        parsed = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return Phone(digits=digits, shape=PhoneShape.OTHER, region=region)
    return _from_parsed(parsed, international=False)


def _international(digits: str) -> Phone:
    # "0096110" is 00 + 96110; read naively it would be Lebanon (+961) 10. A CN service
    # code after an international prefix is the forgery DOMAIN.md §6 warns about, so it
    # wins over that reading.
    if _CN_SERVICE_CODE.fullmatch(digits):
        return Phone(
            digits=digits, shape=PhoneShape.SHORT_CODE, region="CN", international_prefix=True
        )
    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return Phone(digits=digits, shape=PhoneShape.OTHER, international_prefix=True)
    return _from_parsed(parsed, international=True)


def _from_parsed(parsed: phonenumbers.PhoneNumber, *, international: bool) -> Phone:
    found = phonenumbers.region_code_for_number(parsed) or (
        phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    )
    region = None if found in (None, "ZZ", "001") else found
    national = phonenumbers.national_significant_number(parsed)
    if region and (
        shortnumberinfo.is_valid_short_number_for_region(parsed, region)
        or len(national) <= _MAX_SHORT_CODE_DIGITS
    ):
        return Phone(
            digits=national,
            shape=PhoneShape.SHORT_CODE,
            region=region,
            international_prefix=international,
        )
    shape = _TYPE_TO_SHAPE.get(phonenumbers.number_type(parsed), PhoneShape.OTHER)
    return Phone(
        digits=national,
        shape=shape,
        region=region,
        e164=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
        international_prefix=international,
    )


def _strip_tel(text: str) -> str:
    return text[4:] if text.lower().startswith("tel:") else text

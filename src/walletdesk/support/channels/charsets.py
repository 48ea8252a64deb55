"""Decoding what mail says it is written in, when the label is often not the whole truth.

Chinese mail labelled GB2312 holds GBK characters (镕), Big5 holds HKSCS ones (𡃁):
each label is read with its widest superset, in bodies and in RFC 2047 header words
alike. ISO-2022-JP is 7-bit, so its bytes also "decode" as UTF-8 with the escape
codes left in: it is never guessed as an 8-bit charset, but read with the ISO-2022-JP
variants Japanese mail programs really write (Windows adds NEC's ① and half-width
katakana), and failing those with its own codec, replacing what cannot be read.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from email.errors import HeaderParseError
from email.header import decode_header

# A label -> the codec that also reads what senders really put under it.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cp950": "big5hkscs",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
# Tried, in order, when bytes are not what their 8-bit label says.
_EIGHT_BIT_GUESSES = ("utf-8", "gb18030", "big5hkscs")
# Codecs whose text is 7-bit: any 7-bit text is valid UTF-8, so a UTF-8 "success"
# would only mean the escape sequences were kept as characters.
_SEVEN_BIT = re.compile(r"iso2022_|utf[-_]7$|hz$")
_UNFOLD = re.compile(r"\r?\n(?=[ \t])")


def _codec(charset: str | None) -> str:
    # RFC 2231 may append a language ("utf-8*en"); it says nothing about the bytes.
    name = (charset or "utf-8").strip().strip('"').split("*", 1)[0].lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


# -- ISO-2022-JP as Windows writes it (CP50220/CP50221/CP50222) -----------------------

_JIS_MODES = {
    b"\x1b(B": "ascii",
    b"\x1b(J": "ascii",  # JIS X 0201 Roman: ASCII but for ¥ and ‾, as cp932 reads it
    b"\x1b(I": "katakana",
    b"\x1b$@": "kanji",
    b"\x1b$B": "kanji",
}
_SO, _SI, _ESC = 0x0E, 0x0F, 0x1B


def _windows_iso2022_jp(data: bytes) -> str:
    """ISO-2022-JP with Microsoft's additions: NEC row 13 (①, ㈱), the NEC-selected IBM
    rows and half-width katakana (``ESC ( I`` or SO/SI). Python has no codec for it, but
    every JIS row maps to Shift_JIS arithmetically and cp932 holds the same additions."""
    out = bytearray()
    mode = "ascii"
    shifted = False  # SO ... SI: half-width katakana (CP50222)
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == _ESC:
            sequence = data[i : i + 3]
            if sequence not in _JIS_MODES:
                raise UnicodeDecodeError("cp50221", data, i, i + 3, "unknown escape sequence")
            mode = _JIS_MODES[sequence]
            i += 3
            continue
        if byte in (_SO, _SI):
            shifted = byte == _SO
            i += 1
            continue
        if byte >= 0x80:
            raise UnicodeDecodeError("cp50221", data, i, i + 1, "8-bit byte in 7-bit text")
        if byte < 0x21 or (mode == "ascii" and not shifted):
            out.append(byte)
            i += 1
        elif shifted or mode == "katakana":
            if byte > 0x5F:
                raise UnicodeDecodeError("cp50221", data, i, i + 1, "not a katakana byte")
            out.append(byte + 0x80)
            i += 1
        else:
            if i + 1 >= len(data) or not 0x21 <= data[i + 1] <= 0x7E or byte == 0x7F:
                raise UnicodeDecodeError("cp50221", data, i, i + 2, "half a JIS character")
            out += _jis_to_shift_jis(byte, data[i + 1])
            i += 2
    return bytes(out).decode("cp932")


def _jis_to_shift_jis(first: int, second: int) -> bytes:
    lead = ((first - 0x21) >> 1) + 0x81
    if lead > 0x9F:
        lead += 0x40
    # Odd JIS rows take the first half of a Shift_JIS lead byte's trail range, skipping 0x7F.
    trail = second + (0x1F if second < 0x60 else 0x20) if first % 2 else second + 0x7E
    return bytes((lead, trail))


_JAPANESE_VARIANTS: tuple[Callable[[bytes], str], ...] = (
    lambda data: data.decode("iso2022_jp_ext"),  # + half-width katakana
    lambda data: data.decode("iso2022_jp_2004"),  # + JIS X 0213
    lambda data: data.decode("iso2022_jp_2"),  # + the other ISO-2022 sets
    _windows_iso2022_jp,  # + NEC and IBM rows (Outlook, Windows)
)


def _seven_bit(data: bytes, codec: str) -> str:
    if codec.startswith("iso2022_jp"):
        for variant in _JAPANESE_VARIANTS:
            try:
                return variant(data)
            except UnicodeDecodeError:
                continue
    return data.decode(codec, errors="replace")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """``data`` in ``charset`` (read with its widest superset); undecodable bytes are
    replaced, never fatal. 8-bit text that is not what its label says is tried as UTF-8,
    GB18030 and Big5-HKSCS; 7-bit text (ISO-2022-*, UTF-7, HZ) never is."""
    codec = _codec(charset)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    if _SEVEN_BIT.match(codec):
        return _seven_bit(data, codec)
    for fallback in _EIGHT_BIT_GUESSES:
        try:
            return data.decode(fallback)
        except UnicodeDecodeError:
            continue
    return data.decode(codec, errors="replace")


def decode_header_text(raw: str) -> str:
    """A header's text: unfolded, RFC 2047 encoded-words decoded through :func:`decode_bytes`
    (so a GB2312 word holding GBK characters reads right). ``raw`` is the value as parsed
    from bytes, where 8-bit bytes sent without encoded-words are surrogate escapes."""
    value = _UNFOLD.sub("", raw)
    if not value.isascii():
        try:
            return decode_bytes(value.encode("ascii", "surrogateescape"), None)
        except UnicodeEncodeError:  # already text, not bytes read from the wire
            return value
    try:
        pieces = decode_header(value)
    except HeaderParseError:  # a broken encoded-word: show it as written
        return value
    return "".join(
        piece if isinstance(piece, str) else decode_bytes(piece, charset)
        for piece, charset in pieces
    )

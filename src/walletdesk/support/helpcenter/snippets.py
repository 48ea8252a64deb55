"""Search-result snippets: the passage of an article where the query's terms meet.

The index holds tokens, not readable text, so snippets are cut from the article's
own text in Python: find every place a query term occurs (matching on normalised
text, so ``ＲＥＦＵＮＤ`` and 帳戶 are found too), pick the window holding the most
distinct terms, and wrap each match in ``<mark>``. The rest of the text is
HTML-escaped, so a snippet is safe to insert into a page as it is.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache

from walletdesk.support.helpcenter.tokenize import QueryTerm, is_chinese, normalise_character

# Window sizes in characters: a Chinese character carries about as much as an
# English word, so Chinese snippets are shorter in characters.
ENGLISH_WIDTH = 160
CHINESE_WIDTH = 70
# Text shown before the first match, so it is read in context.
_LEAD_FRACTION = 4
# Enough places to choose a window from; long articles repeat their key words.
_MAX_SPANS = 200

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"(^|\n)\s*(#{1,6}\s+|[-*+]\s+|\d+\.\s+|>\s?)|[*_`]{1,3}")
_TABLE_RULE = re.compile(r"\|?(?:\s*:?-{3,}:?\s*\|)+(?:\s*:?-{3,}:?\s*)?")
_SPACES = re.compile(r"\s+")


def plain_text(markdown: str) -> str:
    """Markdown reduced to its words on one line (links keep their text)."""
    text = _LINK.sub(r"\1", markdown)
    text = _TABLE_RULE.sub(" ", text).replace("|", " ")
    text = _MARKUP.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


# Each character's normalised form, remembered: a page of results normalises the same
# few thousand characters again and again, and one dict lookup is about a tenth of
# NFKC + lower + translate. Bounded, as text can hold any of ~150k characters.
_FOLDED: dict[str, str] = {}
_FOLDED_LIMIT = 20_000


# ASCII characters normalise one to one (lower case; NFKC and the Simplified table leave
# them alone): an ASCII text is then normalised by one translate call, positions unmoved.
_ASCII = {chr(code): normalise_character(chr(code)) for code in range(128)}
_ASCII_ONE_TO_ONE = all(len(folded) == 1 for folded in _ASCII.values())
_ASCII_TABLE = str.maketrans(_ASCII)


def _normalised_with_origins(text: str) -> tuple[str, list[int]]:
    """``text`` normalised, and for each normalised character the index it came from."""
    if _ASCII_ONE_TO_ONE and text.isascii():  # English text: no loop over its characters
        return text.translate(_ASCII_TABLE), list(range(len(text)))
    folded = _FOLDED
    pieces: list[str] = []
    one_to_one = True
    for character in text:
        piece = folded.get(character)
        if piece is None:
            piece = normalise_character(character)
            if len(folded) < _FOLDED_LIMIT:
                folded[character] = piece
        if len(piece) != 1:
            one_to_one = False
        pieces.append(piece)
    if one_to_one:  # the usual case: positions do not move
        return "".join(pieces), list(range(len(text)))
    origins: list[int] = []
    for index, piece in enumerate(pieces):
        origins.extend([index] * len(piece))
    return "".join(pieces), origins


# A page of results looks the same few terms up in every snippet.
@lru_cache(maxsize=512)
def _pattern(term: QueryTerm) -> re.Pattern[str]:
    token = re.escape(term.token)
    if is_chinese(term.token):
        return re.compile(token)
    return re.compile(rf"(?<![^\W_]){token}" + (r"[^\W_]*" if term.prefix else r"(?![^\W_])"))


def _spans(text: str, terms: Sequence[QueryTerm]) -> list[tuple[int, int, int]]:
    """(start, end, term index) in ``text``'s own positions, sorted by start."""
    normalised, origins = _normalised_with_origins(text)
    found: list[tuple[int, int, int]] = []
    for number, term in enumerate(terms):
        for match in _pattern(term).finditer(normalised):
            if match.end() > match.start():
                found.append((origins[match.start()], origins[match.end() - 1] + 1, number))
            if len(found) >= _MAX_SPANS:
                break
    return sorted(found)


def _best_window(spans: list[tuple[int, int, int]], width: int) -> int:
    best_start, best_count = 0, -1
    for start, _end, _term in spans:
        window_end = start + width
        count = len({term for s, e, term in spans if s >= start and e <= window_end})
        if count > best_count:
            best_start, best_count = start, count
    return best_start


def make_snippet(text: str, terms: Sequence[QueryTerm]) -> str:
    """A short passage of ``text`` (plain, not Markdown) with the terms in ``<mark>``.

    With no term found in ``text`` the snippet is its opening. The result is
    HTML-escaped apart from the ``<mark>`` tags and starts/ends with "…" when cut.
    """
    width = CHINESE_WIDTH if is_chinese(text) else ENGLISH_WIDTH
    spans = _spans(text, terms)
    if not spans:
        cut = text[:width]
        return html.escape(cut) + ("…" if len(text) > width else "")
    first = _best_window(spans, width)
    start = max(0, first - width // _LEAD_FRACTION)
    end = min(len(text), start + width)
    if width == ENGLISH_WIDTH:
        # Do not cut English words in half.
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        while end < len(text) and not text[end].isspace():
            end += 1
    marked: list[tuple[int, int]] = []
    for found_start, found_end, _term in spans:
        if found_end <= start or found_start >= end:
            continue
        span_start, span_end = max(found_start, start), min(found_end, end)
        if marked and span_start <= marked[-1][1]:
            # Overlapping bigrams (申请, 请退, 退款) read as one highlighted phrase.
            marked[-1] = (marked[-1][0], max(marked[-1][1], span_end))
        else:
            marked.append((span_start, span_end))
    out: list[str] = ["…"] if start > 0 else []
    position = start
    for span_start, span_end in marked:
        out.append(html.escape(text[position:span_start]))
        out.append(f"<mark>{html.escape(text[span_start:span_end])}</mark>")
        position = span_end
    out.append(html.escape(text[position:end]))
    if end < len(text):
        out.append("…")
    return "".join(out)

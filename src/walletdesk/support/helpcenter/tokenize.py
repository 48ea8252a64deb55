"""Turning Chinese and English text into search tokens (DOMAIN.md §7).

The database's own tokenizers do not split Chinese, so walletdesk tokenises in
Python and hands the database space-separated tokens it only has to look up:

* normalise: NFKC (full-width ``ＲＥＦＵＮＤ`` and ``１２３`` become half-width), lower
  case, Traditional → Simplified for wallet words, ``1,000`` → ``1000``;
* Chinese runs become overlapping two-character chunks (``申请退款`` → 申请 请退 退款),
  plus single characters so a one-character query (``卡``) still finds something;
* other text becomes whole words; queries match them by prefix (``refun`` → refund)
  when they have at least :data:`MIN_PREFIX_LENGTH` letters.

Queries are tokenised differently from documents: question scaffolding (怎么办,
"how do I") is dropped and synonyms are added (:data:`vocabulary.SYNONYMS`).
Every token is made of word characters only, so it can be quoted into an FTS5 or
``tsquery`` expression without escaping.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from walletdesk.support.helpcenter.vocabulary import (
    CHINESE_STOP_BIGRAMS,
    CHINESE_STOP_CHARACTERS,
    ENGLISH_STOP_WORDS,
    SYNONYMS,
    TRADITIONAL_TO_SIMPLIFIED,
)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SEGMENT = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[^\W_{_CJK}]+)")
_DIGIT_GROUPS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_HAS_CJK = re.compile(rf"[{_CJK}]")
_TRANSLATE = str.maketrans(TRADITIONAL_TO_SIMPLIFIED)

# Query words shorter than this are matched exactly. A three-letter prefix expands to
# too many words to be worth its cost ("pay" → payment, payee, payout; "car" → card,
# care, carrier) and "to" or "id" would match half the corpus; from four letters a
# prefix is specific ("refun" → refund) and still finds inflections ("card" → cards).
MIN_PREFIX_LENGTH = 4
# Suffixes stripped from English query words before prefix matching, longest first,
# so "refunds", "refunded" and "charging" still find refund and charge. A word is not
# stripped below MIN_PREFIX_LENGTH ("asked" stays "asked", not the exact word "ask").
_SUFFIXES = ("ing", "ies", "ied", "ed", "es", "s")
_MIN_STEM_LENGTH = 4


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One token to look up; ``prefix`` means any indexed word starting with it matches."""

    token: str
    prefix: bool = False

    def matches(self, indexed_token: str) -> bool:
        """True when this term finds ``indexed_token`` (used for snippets and tests)."""
        if self.prefix:
            return indexed_token.startswith(self.token)
        return indexed_token == self.token


def normalise_character(character: str) -> str:
    """One character normalised: NFKC, lower case, Simplified. May return 0–3 characters.
    (Snippets, which call it for every character they show, remember the answers.)"""
    return unicodedata.normalize("NFKC", character).lower().translate(_TRANSLATE)


def normalise(text: str) -> str:
    """Text in the one form that is indexed and searched (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", text).lower().translate(_TRANSLATE)
    return _DIGIT_GROUPS.sub("", folded)


def is_chinese(text: str) -> bool:
    return _HAS_CJK.search(text) is not None


def chinese_runs(normalised: str) -> list[str]:
    """The runs of Chinese characters in normalised text, in order ("银行卡 退款": 银行卡,
    退款); each is indexed and searched as its overlapping pairs of characters."""
    return [match.group("cjk") for match in _SEGMENT.finditer(normalised) if match.group("cjk")]


def index_tokens(text: str) -> list[str]:
    """Tokens to index for ``text``, in order, repeats kept (BM25 counts them)."""
    tokens: list[str] = []
    for match in _SEGMENT.finditer(normalise(text)):
        run = match.group("cjk")
        if run is not None:
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
            tokens.extend(run)
            continue
        word = match.group("word")
        if word not in ENGLISH_STOP_WORDS:
            tokens.append(word)
    return tokens


def stem(word: str) -> str:
    """A light English suffix strip for prefix matching ("refunds" → "refund")."""
    if len(word) <= _MIN_STEM_LENGTH:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_PREFIX_LENGTH:
            return word[: -len(suffix)]
    return word


def _word_term(word: str) -> QueryTerm:
    if word.isdigit():
        return QueryTerm(word)
    stemmed = stem(word)
    return QueryTerm(stemmed, prefix=len(stemmed) >= MIN_PREFIX_LENGTH)


def _chinese_terms(run: str, *, drop_scaffolding: bool) -> list[QueryTerm]:
    if len(run) == 1:
        return [QueryTerm(run)]
    bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
    if drop_scaffolding:
        bigrams = [
            bigram
            for bigram in bigrams
            if bigram not in CHINESE_STOP_BIGRAMS
            and not any(character in CHINESE_STOP_CHARACTERS for character in bigram)
        ]
    return [QueryTerm(bigram) for bigram in bigrams]


def _phrase_terms(normalised: str, *, drop_scaffolding: bool) -> list[QueryTerm]:
    terms: list[QueryTerm] = []
    for match in _SEGMENT.finditer(normalised):
        run = match.group("cjk")
        if run is not None:
            terms.extend(_chinese_terms(run, drop_scaffolding=drop_scaffolding))
        elif match.group("word") not in ENGLISH_STOP_WORDS or not drop_scaffolding:
            terms.append(_word_term(match.group("word")))
    return terms


def _query_words(normalised: str) -> list[str]:
    return [stem(m.group("word")) for m in _SEGMENT.finditer(normalised) if m.group("word")]


def _member_in_query(member: str, normalised: str, words: list[str]) -> bool:
    if is_chinese(member):
        return member in normalised
    member_words = [stem(word) for word in member.split()]
    if len(member_words) == 1:
        target = member_words[0]
        # A word still being typed ("refun") counts, as it does for prefix search.
        return any(
            word == target or (len(word) >= _MIN_STEM_LENGTH and target.startswith(word))
            for word in words
        )
    span = len(member_words)
    return any(words[i : i + span] == member_words for i in range(len(words) - span + 1))


def synonyms_of(query: str) -> list[str]:
    """The synonym-group members a query triggers, except those it already contains."""
    normalised = normalise(query)
    words = _query_words(normalised)
    found: list[str] = []
    for group in SYNONYMS:
        present = [m for m in group if _member_in_query(m, normalised, words)]
        if present:
            found.extend(member for member in group if member not in present)
    return found


def query_terms(query: str) -> tuple[QueryTerm, ...]:
    """The terms to OR together for ``query``: its own tokens first, then synonyms'.

    Returns an empty tuple when the query has nothing searchable (only punctuation).
    When dropping question scaffolding would leave nothing ("怎么办"), it is kept.
    """
    normalised = normalise(query)
    own = _phrase_terms(normalised, drop_scaffolding=True) or _phrase_terms(
        normalised, drop_scaffolding=False
    )
    expanded = [
        term
        for member in synonyms_of(query)
        for term in _phrase_terms(member, drop_scaffolding=False)
    ]
    unique: dict[QueryTerm, None] = {}
    for term in [*own, *expanded]:
        unique.setdefault(term, None)
    # A prefix term already covers the exact term with the same token.
    prefixes = {term.token for term in unique if term.prefix}
    return tuple(term for term in unique if term.prefix or term.token not in prefixes)

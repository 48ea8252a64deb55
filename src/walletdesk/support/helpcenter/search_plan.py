"""Planning a help-centre search: which articles a query's terms choose for ranking.

How a search stays fast on a large corpus (:func:`plan_search`): every query term that
occurs in the searched language ranks the results, as before; but only the rarest
(term, field) pairs, up to :data:`CANDIDATE_BUDGET` postings, choose *which* articles
are ranked. A common word ("付款", "payment") still lifts the articles it is in, yet
no longer makes the database score most of the corpus; and a term that no article of
the language contains (an English synonym of a Chinese query) is left out entirely.
A small corpus fits the budget, so every match is ranked, as before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from walletdesk.support.helpcenter.search_index import TERMS_TABLE
from walletdesk.support.helpcenter.tokenize import QueryTerm

# Postings (article-term pairs) a search may choose its candidates from. Ranking one
# candidate costs about a microsecond on SQLite and ten on PostgreSQL (where the
# article's tsvector is de-TOASTed first), so this bounds a search at a few
# milliseconds whatever the corpus size. Measured on the 10,000-article benchmark:
# 300 keeps recall@3 at or above that of ranking every match (bench/RESULTS.md).
CANDIDATE_BUDGET = 300


@dataclass(frozen=True, slots=True)
class TermCounts:
    """How many indexed articles (of the searched locale) hold a term: anywhere, and in
    the title or tags. For a prefix term, the sum over the words it matches."""

    documents: int
    head_documents: int


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """What one search asks the database. Every ``rank`` term scores the candidates.
    Not ``narrowed``: the candidates are every article matching a ``rank`` term.
    ``narrowed``: only articles matching an ``anywhere`` term anywhere, or a ``head``
    term in their title or tags. ``rank`` is empty when nothing can match."""

    rank: tuple[QueryTerm, ...]
    anywhere: tuple[QueryTerm, ...] = ()
    head: tuple[QueryTerm, ...] = ()
    narrowed: bool = False


def plan_search(
    terms: Sequence[QueryTerm],
    counts: Mapping[QueryTerm, TermCounts],
    budget: int = CANDIDATE_BUDGET,
) -> SearchPlan:
    """Choose the candidates of a search from its terms' document frequencies.

    Terms no article holds are dropped. If the rest match at most ``budget`` postings
    they all choose candidates. Otherwise (term, field) pairs are taken rarest first
    while they fit the budget: a term anywhere costs its ``documents``, a term in titles
    and tags its ``head_documents``, and taking a term anywhere supersedes taking it in
    titles. If not even the rarest pair fits, it alone chooses.
    """
    absent = TermCounts(0, 0)
    rank = tuple(term for term in terms if counts.get(term, absent).documents > 0)
    if sum(counts[term].documents for term in rank) <= budget:
        return SearchPlan(rank=rank, anywhere=rank)
    # (postings, field, position): field 0 is anywhere, 1 title and tags; on a tie the
    # wider field goes first, and the query's own order decides the rest.
    options = sorted(
        [(counts[term].documents, 0, index) for index, term in enumerate(rank)]
        + [
            (counts[term].head_documents, 1, index)
            for index, term in enumerate(rank)
            if counts[term].head_documents > 0
        ]
    )
    anywhere: set[int] = set()
    head: set[int] = set()
    spent = 0
    for postings, field, index in options:
        if index in anywhere:
            continue
        # Taking a term anywhere gives back what taking it in titles cost.
        released = counts[rank[index]].head_documents if index in head else 0
        if spent - released + postings > budget:
            continue
        spent += postings - released
        if field == 0:
            anywhere.add(index)
            head.discard(index)
        else:
            head.add(index)
    if not anywhere and not head:
        _postings, field, index = options[0]
        (anywhere if field == 0 else head).add(index)
    return SearchPlan(
        rank=rank,
        anywhere=tuple(rank[i] for i in sorted(anywhere)),
        head=tuple(rank[i] for i in sorted(head)),
        narrowed=True,
    )


def _successor(prefix: str) -> str:
    """The first string after every string starting with ``prefix`` (code point order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def term_counts(
    conn: Connection, terms: Sequence[QueryTerm], locale: str | None
) -> dict[QueryTerm, TermCounts]:
    """Document frequencies of ``terms`` among the indexed articles of ``locale`` (all
    locales when None), from the term counts: one statement of primary-key lookups."""
    exact = sorted({term.token for term in terms if not term.prefix})
    prefixes = sorted({term.token for term in terms if term.prefix})
    params: dict[str, object] = {}
    lookups = []
    if exact and conn.dialect.name == "postgresql":
        lookups.append("token = ANY(:exact)")
        params["exact"] = exact
    elif exact:
        lookups.append(f"token IN ({', '.join(f':e{n}' for n in range(len(exact)))})")
        params.update({f"e{n}": token for n, token in enumerate(exact)})
    for n, prefix in enumerate(prefixes):
        lookups.append(f"token >= :p{n} AND token < :q{n}")
        params[f"p{n}"], params[f"q{n}"] = prefix, _successor(prefix)
    in_locale = ""
    if locale is not None:
        in_locale = " AND locale = :locale"
        params["locale"] = locale
    select_ = f"SELECT token, documents, head_documents FROM {TERMS_TABLE} WHERE "
    if conn.dialect.name == "postgresql":
        sql = select_ + f"({' OR '.join(f'({lookup})' for lookup in lookups)}){in_locale}"
    else:
        # One SELECT per lookup: SQLite scans the whole table for an OR of ranges.
        sql = " UNION ALL ".join(select_ + lookup + in_locale for lookup in lookups)
    documents: Counter[str] = Counter()
    heads: Counter[str] = Counter()
    for row in conn.execute(text(sql), params):
        documents[row.token] += int(row.documents)
        heads[row.token] += int(row.head_documents)
    return {
        term: TermCounts(
            sum(n for token, n in documents.items() if term.matches(token)),
            sum(n for token, n in heads.items() if term.matches(token)),
        )
        for term in terms
    }

"""Searching the help centre: the queries on SQLite (FTS5) and PostgreSQL (tsvector).

Both backends index the same pre-tokenised text (:mod:`.tokenize`), in three
weighted fields: title, tags, body. The database only looks tokens up and ranks:

* SQLite: an FTS5 table ``help_articles_search`` whose rowid is ``help_articles.id``,
  ``tokenize='unicode61'`` over the space-separated tokens, ranked with ``bm25()``.
  Locale, category and status are indexed as tokens of a ``facets`` column, so a
  filtered search is one FTS5 intersection instead of a join that reads every match.
* PostgreSQL: a ``search_vector tsvector`` column on ``help_articles`` with a GIN
  index, ranked with ``ts_rank_cd``, and a second GIN index over the title and tags
  lexemes only (``ts_filter(search_vector, '{a,b}')``, named ``help_articles_search_head``),
  so "this word in a title" is an index lookup too. The vector is written as a
  ``tsvector`` literal built in search_index.py rather than by ``to_tsvector('simple', ...)``: the
  result is what the 'simple' configuration makes of the same tokens, but it does not
  depend on the server's ``lc_ctype`` classifying CJK characters as letters.
* Both: a table ``help_articles_search_terms`` counts, per locale and token, the
  indexed articles holding the token anywhere and in their title or tags (document
  frequencies), plus one row (locale '', token '') counting every index entry.

Beside this module: search_plan.py chooses which articles a query ranks (the
terms' document frequencies against :data:`~.search_plan.CANDIDATE_BUDGET`), and
search_index.py makes the index objects and keeps entries and term counts current.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from walletdesk.support.helpcenter.search_index import (
    FTS_TABLE,
    PG_HEAD,
    facet_token,
)
from walletdesk.support.helpcenter.search_plan import SearchPlan, plan_search, term_counts
from walletdesk.support.helpcenter.snippets import make_snippet, plain_text
from walletdesk.support.helpcenter.tokenize import QueryTerm, query_terms

MAX_LIMIT = 50
# Field weights: a word in the title says more about an article than one in the body.
TITLE_WEIGHT = 6.0
TAGS_WEIGHT = 3.0
BODY_WEIGHT = 1.0
# ts_rank_cd weights for D (body), C (unused), B (tags), A (title).
_PG_WEIGHTS = "{0.1, 0.1, 0.5, 1.0}"

__all__ = ["MAX_LIMIT", "SearchHit", "search_in"]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One result. ``snippet`` is HTML-escaped text with matches in ``<mark>``;
    ``score`` is higher for better matches and comparable only within one search."""

    slug: str
    title: str
    category: str
    locale: str
    snippet: str
    score: float


# -- searching ------------------------------------------------------------------------


def _fts5_phrases(terms: Sequence[QueryTerm]) -> str:
    return " OR ".join(f'"{term.token}"' + ("*" if term.prefix else "") for term in terms)


def _fts5_match(plan: SearchPlan, locale: str | None, category: str | None) -> str:
    parts = []
    if locale is not None:
        parts.append(f'facets : "{facet_token("locale", locale)}"')
    if category is not None:
        parts.append(f'facets : "{facet_token("category", category)}"')
    if plan.narrowed:
        choices = []
        if plan.anywhere:
            choices.append(f"{{title tags body}} : ({_fts5_phrases(plan.anywhere)})")
        if plan.head:
            choices.append(f"{{title tags}} : ({_fts5_phrases(plan.head)})")
        parts.append(f"({' OR '.join(choices)})")
    # bm25() scores every phrase of the expression, so the narrowing terms, written
    # twice, count twice: the rare terms that chose an article weigh a little more.
    parts.append(f"{{title tags body}} : ({_fts5_phrases(plan.rank)})")
    # "Not a draft" rather than "published": the draft list is short, the other is all.
    return f'({" AND ".join(parts)}) NOT facets : "{facet_token("status", "draft")}"'


def _tsquery(terms: Sequence[QueryTerm]) -> str:
    return " | ".join(f"'{term.token}'" + (":*" if term.prefix else "") for term in terms)


def _candidates(
    conn: Connection,
    plan: SearchPlan,
    *,
    locale: str | None,
    category: str | None,
    limit: int,
) -> list[Any]:
    if conn.dialect.name == "sqlite":
        sql = (
            f"SELECT a.slug, a.title, a.category, a.locale, a.body_markdown, -s.rank AS score "
            f"FROM (SELECT rowid, bm25({FTS_TABLE}, {TITLE_WEIGHT}, {TAGS_WEIGHT}, "
            f"{BODY_WEIGHT}, 0.0) AS rank FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match "
            "ORDER BY rank LIMIT :limit) AS s "
            "JOIN help_articles AS a ON a.id = s.rowid ORDER BY s.rank, a.slug"
        )
        params: dict[str, object] = {"match": _fts5_match(plan, locale, category), "limit": limit}
        return list(conn.execute(text(sql), params))
    params = {"rank": _tsquery(plan.rank), "limit": limit}
    if plan.narrowed:
        choices = []
        if plan.anywhere:
            choices.append("search_vector @@ CAST(:anywhere AS tsquery)")
            params["anywhere"] = _tsquery(plan.anywhere)
        if plan.head:
            choices.append(f"{PG_HEAD} @@ CAST(:head AS tsquery)")
            params["head"] = _tsquery(plan.head)
        filters = [f"({' OR '.join(choices)})"]
    else:
        filters = ["search_vector @@ CAST(:rank AS tsquery)"]
    filters.append("status = 'published'")
    if locale is not None:
        filters.append("locale = :locale")
        params["locale"] = locale
    if category is not None:
        filters.append("category = :category")
        params["category"] = category
    sql = (
        "SELECT slug, title, category, locale, body_markdown, "
        f"ts_rank_cd('{_PG_WEIGHTS}', search_vector, CAST(:rank AS tsquery), 1) AS score "
        f"FROM help_articles WHERE {' AND '.join(filters)} ORDER BY score DESC, slug LIMIT :limit"
    )
    return list(conn.execute(text(sql), params))


def search_in(
    conn: Connection,
    query: str,
    *,
    locale: str | None = None,
    category: str | None = None,
    limit: int = 10,
) -> list[SearchHit]:
    """Published articles matching ``query``, best first, at most ``limit`` (1–50).

    Any term may match (OR); ranking decides. A query with nothing searchable
    (empty, only punctuation) returns no hits rather than every article. On a large
    corpus the candidates are chosen by the query's rarer terms (:func:`plan_search`).
    The index must be ready (:func:`search_index_ready`).
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1 to {MAX_LIMIT}")
    terms = query_terms(query)
    if not terms:
        return []
    plan = plan_search(terms, term_counts(conn, terms, locale))
    if not plan.rank:
        return []
    rows = _candidates(conn, plan, locale=locale, category=category, limit=limit)
    return [
        SearchHit(
            slug=row.slug,
            title=row.title,
            category=row.category,
            locale=row.locale,
            snippet=make_snippet(plain_text(row.body_markdown), plan.rank),
            score=float(row.score),
        )
        for row in rows
    ]

"""The help-centre search index on SQLite (FTS5) and PostgreSQL (tsvector), and its queries.

Both backends index the same pre-tokenised text (:mod:`.tokenize`), in three
weighted fields: title, tags, body. The database only looks tokens up and ranks:

* SQLite: an FTS5 table ``help_articles_search`` whose rowid is ``help_articles.id``,
  ``tokenize='unicode61'`` over the space-separated tokens, ranked with ``bm25()``.
  Locale, category and status are indexed as tokens of a ``facets`` column, so a
  filtered search is one FTS5 intersection instead of a join that reads every match.
* PostgreSQL: a ``search_vector tsvector`` column on ``help_articles`` with a GIN
  index, ranked with ``ts_rank_cd``. The vector is written as a ``tsvector``
  literal built here rather than by ``to_tsvector('simple', ...)``: the result is
  what the 'simple' configuration makes of the same tokens, but it does not depend
  on the server's ``lc_ctype`` classifying CJK characters as letters.

Index writes run inside the caller's transaction, so an article and its index
entry change together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text

from walletdesk.db.transactions import writing
from walletdesk.support.helpcenter.articles import Article
from walletdesk.support.helpcenter.snippets import make_snippet, plain_text
from walletdesk.support.helpcenter.tokenize import QueryTerm, index_tokens, query_terms

FTS_TABLE = "help_articles_search"
MAX_LIMIT = 50
# Field weights: a word in the title says more about an article than one in the body.
TITLE_WEIGHT = 6.0
TAGS_WEIGHT = 3.0
BODY_WEIGHT = 1.0
# ts_rank_cd weights for D (body), C (unused), B (tags), A (title).
_PG_WEIGHTS = "{0.1, 0.1, 0.5, 1.0}"
# A tsvector keeps at most 256 positions per lexeme and positions up to 16383.
_PG_MAX_POSITIONS = 255
_PG_MAX_POSITION = 16_383


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


def _facet(name: str, value: str) -> str:
    # One unicode61 token: letters and digits only ("zh-CN" -> "localezhcn").
    return name + "".join(character for character in value.lower() if character.isalnum())


def ensure_search_index(engine: Engine) -> None:
    """Create the dialect's search index if it is missing. Safe to call repeatedly."""
    with writing(engine) as conn:
        ensure_search_index_in(conn)


def ensure_search_index_in(conn: Connection) -> None:
    """:func:`ensure_search_index` inside the caller's transaction."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "title, tags, body, facets, tokenize='unicode61', prefix='2 3')"
        )
        return
    conn.exec_driver_sql(
        "ALTER TABLE help_articles ADD COLUMN IF NOT EXISTS search_vector tsvector"
    )
    conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_help_articles_search_vector "
        "ON help_articles USING GIN (search_vector)"
    )


def _fields(article: Article) -> tuple[list[str], list[str], list[str]]:
    return (
        index_tokens(article.title),
        index_tokens(" ".join(article.tags)),
        index_tokens(plain_text(article.body_markdown)),
    )


def tsvector_literal(fields: Sequence[tuple[list[str], str]]) -> str:
    """A tsvector literal for (tokens, weight letter) fields, positions running on."""
    positions: dict[str, list[str]] = {}
    position = 0
    for tokens, weight in fields:
        for token in tokens:
            position = min(position + 1, _PG_MAX_POSITION)
            seen = positions.setdefault(token, [])
            if len(seen) < _PG_MAX_POSITIONS:
                seen.append(f"{position}{weight}")
    return " ".join(f"'{token}':{','.join(where)}" for token, where in positions.items())


def index_article(conn: Connection, article_id: int, article: Article) -> None:
    """(Re)write the index entry of row ``article_id`` to match ``article``."""
    title, tags, body = _fields(article)
    if conn.dialect.name == "sqlite":
        conn.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": article_id})
        facets = [
            _facet("locale", article.locale),
            _facet("category", article.category.value),
            _facet("status", article.status.value),
        ]
        conn.execute(
            text(
                f"INSERT INTO {FTS_TABLE} (rowid, title, tags, body, facets) "
                "VALUES (:id, :title, :tags, :body, :facets)"
            ),
            {
                "id": article_id,
                "title": " ".join(title),
                "tags": " ".join(tags),
                "body": " ".join(body),
                "facets": " ".join(facets),
            },
        )
        return
    vector = tsvector_literal([(title, "A"), (tags, "B"), (body, "D")])
    conn.execute(
        text("UPDATE help_articles SET search_vector = CAST(:vector AS tsvector) WHERE id = :id"),
        {"vector": vector, "id": article_id},
    )


def _fts5_match(terms: Sequence[QueryTerm], locale: str | None, category: str | None) -> str:
    phrases = " OR ".join(f'"{term.token}"' + ("*" if term.prefix else "") for term in terms)
    expression = f"{{title tags body}} : ({phrases})"
    facets = [_facet("status", "published")]
    if locale is not None:
        facets.append(_facet("locale", locale))
    if category is not None:
        facets.append(_facet("category", category))
    return " AND ".join([*(f'facets : "{facet}"' for facet in facets), expression])


def _tsquery(terms: Sequence[QueryTerm]) -> str:
    return " | ".join(f"'{term.token}'" + (":*" if term.prefix else "") for term in terms)


def _candidates(
    conn: Connection,
    terms: Sequence[QueryTerm],
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
        params: dict[str, object] = {
            "match": _fts5_match(terms, locale, category),
            "limit": limit,
        }
        return list(conn.execute(text(sql), params))
    filters = ["search_vector @@ q", "status = 'published'"]
    params = {"query": _tsquery(terms), "limit": limit}
    if locale is not None:
        filters.append("locale = :locale")
        params["locale"] = locale
    if category is not None:
        filters.append("category = :category")
        params["category"] = category
    sql = (
        "SELECT slug, title, category, locale, body_markdown, "
        f"ts_rank_cd('{_PG_WEIGHTS}', search_vector, q, 1) AS score "
        "FROM help_articles, CAST(:query AS tsquery) AS q "
        f"WHERE {' AND '.join(filters)} ORDER BY score DESC, slug LIMIT :limit"
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
    (empty, only punctuation) returns no hits rather than every article.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1 to {MAX_LIMIT}")
    terms = query_terms(query)
    if not terms:
        return []
    rows = _candidates(conn, terms, locale=locale, category=category, limit=limit)
    return [
        SearchHit(
            slug=row.slug,
            title=row.title,
            category=row.category,
            locale=row.locale,
            snippet=make_snippet(plain_text(row.body_markdown), terms),
            score=float(row.score),
        )
        for row in rows
    ]

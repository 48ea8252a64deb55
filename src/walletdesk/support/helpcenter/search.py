"""The help-centre search index on SQLite (FTS5) and PostgreSQL (tsvector), and its queries.

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
  ``tsvector`` literal built here rather than by ``to_tsvector('simple', ...)``: the
  result is what the 'simple' configuration makes of the same tokens, but it does not
  depend on the server's ``lc_ctype`` classifying CJK characters as letters.
* Both: a table ``help_articles_search_terms`` counts, per locale and token, the
  indexed articles holding the token anywhere and in their title or tags (document
  frequencies), plus one row (locale '', token '') counting every index entry.

How a search stays fast on a large corpus (:func:`plan_search`): every query term that
occurs in the searched language ranks the results, as before; but only the rarest
(term, field) pairs, up to :data:`CANDIDATE_BUDGET` postings, choose *which* articles
are ranked. A common word ("付款", "payment") still lifts the articles it is in, yet
no longer makes the database score most of the corpus; and a term that no article of
the language contains (an English synonym of a Chinese query) is left out entirely.
A small corpus fits the budget, so every match is ranked, as before.

Index writes run inside the caller's transaction, so an article, its index entry and
the term counts change together. The index objects are made at runtime by
:func:`ensure_search_index` (not by Alembic: their names start with
``help_articles_search`` or are listed in ``db/migrations/env.py``), which also
upgrades an existing database and rebuilds the counts when they disagree with the index.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text

from walletdesk.db.transactions import writing
from walletdesk.support.helpcenter.articles import Article
from walletdesk.support.helpcenter.snippets import make_snippet, plain_text
from walletdesk.support.helpcenter.tokenize import QueryTerm, index_tokens, query_terms

FTS_TABLE = "help_articles_search"
TERMS_TABLE = "help_articles_search_terms"
VECTOR_INDEX = "ix_help_articles_search_vector"
HEAD_INDEX = "help_articles_search_head"
MAX_LIMIT = 50
# Postings (article-term pairs) a search may choose its candidates from. Ranking one
# candidate costs about a microsecond on SQLite and ten on PostgreSQL (where the
# article's tsvector is de-TOASTed first), so this bounds a search at a few
# milliseconds whatever the corpus size. Measured on the 10,000-article benchmark:
# 300 keeps recall@3 at or above that of ranking every match (bench/RESULTS.md).
CANDIDATE_BUDGET = 300
# Field weights: a word in the title says more about an article than one in the body.
TITLE_WEIGHT = 6.0
TAGS_WEIGHT = 3.0
BODY_WEIGHT = 1.0
# ts_rank_cd weights for D (body), C (unused), B (tags), A (title).
_PG_WEIGHTS = "{0.1, 0.1, 0.5, 1.0}"
# The title and tags lexemes of a search_vector; must match HEAD_INDEX's expression.
_PG_HEAD = "ts_filter(search_vector, '{a,b}')"
# A tsvector keeps at most 256 positions per lexeme and positions up to 16383.
_PG_MAX_POSITIONS = 255
_PG_MAX_POSITION = 16_383
# The (locale, token) of the row counting every index entry; no real token is empty.
_TOTAL = ("", "")
_READ_BATCH = 500


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


# -- the index objects ----------------------------------------------------------------


def _facet(name: str, value: str) -> str:
    # One unicode61 token: letters and digits only ("zh-CN" -> "localezhcn").
    return name + "".join(character for character in value.lower() if character.isalnum())


def ensure_search_index(engine: Engine) -> None:
    """Create or upgrade the dialect's search index. Safe to call repeatedly."""
    with writing(engine) as conn:
        ensure_search_index_in(conn)


def ensure_search_index_in(conn: Connection) -> None:
    """:func:`ensure_search_index` inside the caller's write transaction.

    Runs DDL only for objects that are missing (so no table lock on PostgreSQL when
    all exist), then rebuilds the term counts if they disagree with the index (a
    database from before they existed, or tables emptied behind the index's back).
    """
    if not _index_objects_exist(conn):
        _create_index_objects(conn)
    if conn.dialect.name == "postgresql":
        # One rebuild at a time; index writes wait for it rather than interleave.
        conn.exec_driver_sql(f"LOCK TABLE {TERMS_TABLE} IN SHARE ROW EXCLUSIVE MODE")
    if not _counts_agree(conn):
        _rebuild_counts(conn)


def search_index_ready(conn: Connection) -> bool:
    """True when every index object exists and the term counts agree with the index.
    Reads only; :func:`ensure_search_index` makes it true."""
    return _index_objects_exist(conn) and _counts_agree(conn)


def _index_objects_exist(conn: Connection) -> bool:
    if conn.dialect.name == "sqlite":
        found = conn.execute(
            text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (:a, :b)"),
            {"a": FTS_TABLE, "b": TERMS_TABLE},
        ).scalar_one()
        return bool(found == 2)
    found = conn.execute(
        text(
            "SELECT to_regclass(:terms) IS NOT NULL AND to_regclass(:head) IS NOT NULL "
            "AND coalesce((SELECT 'fastupdate=off' = ANY(reloptions) FROM pg_class "
            "WHERE oid = to_regclass(:vector)), false)"
        ),
        {"terms": TERMS_TABLE, "vector": VECTOR_INDEX, "head": HEAD_INDEX},
    ).scalar_one()
    return bool(found)


def _create_index_objects(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "title, tags, body, facets, tokenize='unicode61', prefix='2 3')"
        )
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {TERMS_TABLE} (locale TEXT NOT NULL, "
            "token TEXT NOT NULL, documents INTEGER NOT NULL, head_documents INTEGER NOT NULL, "
            "PRIMARY KEY (token, locale)) WITHOUT ROWID"
        )
        return
    conn.exec_driver_sql(
        "ALTER TABLE help_articles ADD COLUMN IF NOT EXISTS search_vector tsvector"
    )
    # fastupdate off: articles change rarely, and with it on every search would read
    # the index's whole pending list of recent entries (milliseconds after a bulk load).
    for name, expression in ((VECTOR_INDEX, "search_vector"), (HEAD_INDEX, _PG_HEAD)):
        conn.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {name} ON help_articles USING GIN ({expression}) "
            "WITH (fastupdate = off)"
        )
        # An index made before it was off: turn it off and merge what is pending.
        conn.exec_driver_sql(f"ALTER INDEX {name} SET (fastupdate = off)")
        conn.execute(text("SELECT gin_clean_pending_list(CAST(:name AS regclass))"), {"name": name})
    # Keyed by token first, so a prefix is one range scan whatever the locale; COLLATE
    # "C" (byte order) makes every token starting with a prefix one contiguous range.
    conn.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {TERMS_TABLE} (locale varchar(8) NOT NULL, "
        'token text COLLATE "C" NOT NULL, documents integer NOT NULL, '
        "head_documents integer NOT NULL, PRIMARY KEY (token, locale))"
    )


def _indexed_count(conn: Connection) -> int:
    if conn.dialect.name == "sqlite":
        # Every entry has exactly one status facet: two short posting lists, no row reads.
        match = f'facets : ("{_facet("status", "published")}" OR "{_facet("status", "draft")}")'
        sql = f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match"
        return int(conn.execute(text(sql), {"match": match}).scalar_one())
    sql = "SELECT count(search_vector) FROM help_articles"
    return int(conn.execute(text(sql)).scalar_one())


def _counts_agree(conn: Connection) -> bool:
    recorded = conn.execute(
        text(f"SELECT documents FROM {TERMS_TABLE} WHERE locale = :locale AND token = :token"),
        {"locale": _TOTAL[0], "token": _TOTAL[1]},
    ).scalar()
    return recorded is not None and int(recorded) == _indexed_count(conn)


def _rebuild_counts(conn: Connection) -> None:
    conn.exec_driver_sql(f"DELETE FROM {TERMS_TABLE}")
    total = _indexed_count(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                f"INSERT INTO {TERMS_TABLE} (locale, token, documents, head_documents) "
                "SELECT a.locale, u.lexeme, count(*), "
                "count(*) FILTER (WHERE u.weights && ARRAY['A', 'B']) "
                "FROM help_articles AS a, unnest(a.search_vector) AS u "
                "GROUP BY a.locale, u.lexeme"
            )
        )
        _add_counts(conn, Counter({_TOTAL: total}), Counter())
        return
    documents: Counter[tuple[str, str]] = Counter({_TOTAL: total})
    heads: Counter[tuple[str, str]] = Counter()
    rows = conn.execute(
        text(
            f"SELECT a.locale, s.title, s.tags, s.body FROM {FTS_TABLE} AS s "
            "JOIN help_articles AS a ON a.id = s.rowid"
        )
    )
    for row in rows:
        head = set(row.title.split()) | set(row.tags.split())
        documents.update((row.locale, token) for token in head | set(row.body.split()))
        heads.update((row.locale, token) for token in head)
    _add_counts(conn, documents, heads)


# -- writing the index ----------------------------------------------------------------


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


# An index entry's distinct tokens: (all of them, those in the title or tags).
_Entry = tuple[frozenset[str], frozenset[str]]


def _stored_entries(conn: Connection, article_ids: Sequence[int]) -> dict[int, _Entry]:
    """What the index holds now for these articles (absent: not indexed yet)."""
    found: dict[int, tuple[set[str], set[str]]] = {}
    for start in range(0, len(article_ids), _READ_BATCH):
        batch = list(article_ids[start : start + _READ_BATCH])
        if conn.dialect.name == "sqlite":
            marks = ", ".join(f":id{n}" for n in range(len(batch)))
            rows = conn.execute(
                text(f"SELECT rowid, title, tags, body FROM {FTS_TABLE} WHERE rowid IN ({marks})"),
                {f"id{n}": article_id for n, article_id in enumerate(batch)},
            )
            for row in rows:
                head = set(row.title.split()) | set(row.tags.split())
                found[row.rowid] = (head | set(row.body.split()), head)
            continue
        # Locked in key order: a concurrent edit of the same article waits, so the
        # counts are moved from exactly the tokens this transaction replaces.
        conn.execute(
            text("SELECT id FROM help_articles WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"),
            {"ids": batch},
        )
        rows = conn.execute(
            text(
                "SELECT a.id, u.lexeme, u.weights FROM help_articles AS a "
                "LEFT JOIN LATERAL unnest(a.search_vector) AS u ON true "
                "WHERE a.id = ANY(:ids) AND a.search_vector IS NOT NULL"
            ),
            {"ids": batch},
        )
        for row in rows:
            every, head = found.setdefault(row.id, (set(), set()))
            if row.lexeme is not None:
                every.add(row.lexeme)
                if {"A", "B"} & set(row.weights):
                    head.add(row.lexeme)
    return {key: (frozenset(every), frozenset(head)) for key, (every, head) in found.items()}


def index_article(conn: Connection, article_id: int, article: Article) -> None:
    """(Re)write the index entry of row ``article_id`` to match ``article``."""
    index_articles(conn, [(article_id, article)])


def index_articles(conn: Connection, entries: Iterable[tuple[int, Article]]) -> None:
    """(Re)write the index entries of (row id, article) pairs and move the term counts
    with them; for one row given twice, the last article wins. One round trip per kind
    of statement, so a bulk load should pass its articles in batches."""
    latest = dict(entries)
    if not latest:
        return
    ids = sorted(latest)
    before = _stored_entries(conn, ids)
    documents: Counter[tuple[str, str]] = Counter()
    heads: Counter[tuple[str, str]] = Counter()
    written: list[dict[str, object]] = []
    for article_id in ids:
        article = latest[article_id]
        title, tags, body = _fields(article)
        head = frozenset(title) | frozenset(tags)
        old_every, old_head = before.get(article_id, (frozenset(), frozenset()))
        if article_id not in before:
            documents[_TOTAL] += 1
        # The row keeps its locale for life ((slug, locale) is its identity).
        documents.update((article.locale, token) for token in head | frozenset(body))
        documents.subtract((article.locale, token) for token in old_every)
        heads.update((article.locale, token) for token in head)
        heads.subtract((article.locale, token) for token in old_head)
        written.append(_entry_values(conn, article_id, article, (title, tags, body)))
    if conn.dialect.name == "sqlite":
        conn.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), written)
        conn.execute(
            text(
                f"INSERT INTO {FTS_TABLE} (rowid, title, tags, body, facets) "
                "VALUES (:id, :title, :tags, :body, :facets)"
            ),
            written,
        )
    else:
        conn.execute(
            text(
                "UPDATE help_articles SET search_vector = CAST(:vector AS tsvector) WHERE id = :id"
            ),
            written,
        )
    _add_counts(conn, documents, heads)


def _entry_values(
    conn: Connection,
    article_id: int,
    article: Article,
    fields: tuple[list[str], list[str], list[str]],
) -> dict[str, object]:
    title, tags, body = fields
    if conn.dialect.name != "sqlite":
        return {
            "id": article_id,
            "vector": tsvector_literal([(title, "A"), (tags, "B"), (body, "D")]),
        }
    facets = [
        _facet("locale", article.locale),
        _facet("category", article.category.value),
        _facet("status", article.status.value),
    ]
    return {
        "id": article_id,
        "title": " ".join(title),
        "tags": " ".join(tags),
        "body": " ".join(body),
        "facets": " ".join(facets),
    }


def _add_counts(
    conn: Connection, documents: Counter[tuple[str, str]], heads: Counter[tuple[str, str]]
) -> None:
    # In key order, so concurrent writers lock the rows they share in the same order.
    keys = sorted(key for key in documents.keys() | heads.keys() if documents[key] or heads[key])
    if not keys:
        return
    conn.execute(
        text(
            f"INSERT INTO {TERMS_TABLE} AS t (locale, token, documents, head_documents) "
            "VALUES (:locale, :token, :documents, :heads) ON CONFLICT (token, locale) DO UPDATE "
            "SET documents = t.documents + excluded.documents, "
            "head_documents = t.head_documents + excluded.head_documents"
        ),
        [
            {"locale": key[0], "token": key[1], "documents": documents[key], "heads": heads[key]}
            for key in keys
        ],
    )


# -- searching ------------------------------------------------------------------------


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


def _fts5_phrases(terms: Sequence[QueryTerm]) -> str:
    return " OR ".join(f'"{term.token}"' + ("*" if term.prefix else "") for term in terms)


def _fts5_match(plan: SearchPlan, locale: str | None, category: str | None) -> str:
    parts = []
    if locale is not None:
        parts.append(f'facets : "{_facet("locale", locale)}"')
    if category is not None:
        parts.append(f'facets : "{_facet("category", category)}"')
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
    return f'({" AND ".join(parts)}) NOT facets : "{_facet("status", "draft")}"'


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
            choices.append(f"{_PG_HEAD} @@ CAST(:head AS tsquery)")
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

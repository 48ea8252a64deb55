"""The help-centre search index: its objects on SQLite (FTS5) and PostgreSQL
(tsvector), its entries, and the per-term document counts. The layout of both
backends is described in search.py.

Index writes run inside the caller's transaction, so an article, its index entry and
the term counts change together. The index objects are made at runtime by
:func:`ensure_search_index` (not by Alembic: their names start with
``help_articles_search`` or are listed in ``db/migrations/env.py``), which also
upgrades an existing database and rebuilds the counts when they disagree with the index.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import Connection, Engine, text

from walletdesk.db.transactions import writing
from walletdesk.support.helpcenter.articles import Article
from walletdesk.support.helpcenter.snippets import plain_text
from walletdesk.support.helpcenter.tokenize import index_tokens

FTS_TABLE = "help_articles_search"
TERMS_TABLE = "help_articles_search_terms"
VECTOR_INDEX = "ix_help_articles_search_vector"
HEAD_INDEX = "help_articles_search_head"
# The title and tags lexemes of a search_vector; must match HEAD_INDEX's expression.
PG_HEAD = "ts_filter(search_vector, '{a,b}')"
# A tsvector keeps at most 256 positions per lexeme and positions up to 16383.
_PG_MAX_POSITIONS = 255
_PG_MAX_POSITION = 16_383
# The (locale, token) of the row counting every index entry; no real token is empty.
_TOTAL = ("", "")
_READ_BATCH = 500


# -- the index objects ----------------------------------------------------------------


def facet_token(name: str, value: str) -> str:
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
    for name, expression in ((VECTOR_INDEX, "search_vector"), (HEAD_INDEX, PG_HEAD)):
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
        match = f'facets : ("{facet_token("status", "published")}" OR "{facet_token("status", "draft")}")'
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


def tsvector_literal(
    fields: Sequence[tuple[Sequence[str], str]],
    lexemes: Callable[[str], Sequence[str]] = lambda token: (token,),
) -> str:
    """A tsvector literal for (tokens, weight letter) fields, positions running on.
    ``lexemes`` gives what each token is indexed under, all at the token's position (the
    ticket search adds English words' prefixes); by default the token itself."""
    positions: dict[str, list[str]] = {}
    position = 0
    for tokens, weight in fields:
        for token in tokens:
            position = min(position + 1, _PG_MAX_POSITION)
            for lexeme in lexemes(token):
                seen = positions.setdefault(lexeme, [])
                if len(seen) < _PG_MAX_POSITIONS:
                    seen.append(f"{position}{weight}")
    return " ".join(f"'{lexeme}':{','.join(where)}" for lexeme, where in positions.items())


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
        facet_token("locale", article.locale),
        facet_token("category", article.category.value),
        facet_token("status", article.status.value),
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

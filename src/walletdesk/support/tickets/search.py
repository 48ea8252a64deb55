"""Agents' ticket search over subjects and messages, on SQLite (FTS5) and PostgreSQL.

The same approach as the help centre's search (:mod:`walletdesk.support.helpcenter.search`),
with its tokeniser: text is normalised and cut into tokens in Python (Chinese in
two-character chunks, English in words), the database only looks tokens up and ranks,
and queries are expanded with the help centre's synonyms.

* SQLite: two contentless FTS5 tables, ``ticket_subjects_search`` (rowid =
  ``tickets.seq``; the ticket number and subject) and ``ticket_messages_search``
  (rowid = ``ticket_messages.seq``; the body), ranked with ``bm25()``.
* PostgreSQL: a ``search_vector tsvector`` column with a GIN index on ``tickets`` and
  on ``ticket_messages``, ranked with ``ts_rank`` (not ``ts_rank_cd``: its cover
  density costs 5-10x more per row for a query of several words or synonyms, and
  ranking was most of a search's time; see bench/RESULTS.md, "Issue 5: ticket search
  on PostgreSQL"). English words are also indexed under their prefixes
  (:func:`postgres_lexemes`), so a prefix query is one exact lookup. The whole search,
  the page's tickets included, is one statement (:mod:`.search_postgres`).

Neither is declared in the tables' metadata (Alembic's env.py ignores them): they
are made on first use by :func:`ensure_search_index_in`, which also indexes every
ticket and message already stored, so a database upgraded from before the index
existed is searchable without a separate step. After that, :func:`insert_ticket` and
:func:`insert_message` keep the index in step, inside the transaction that writes
the ticket or the message. Messages are never edited; a merge moves them to another
ticket without changing their rows' ``seq``, so their index entries stay right.

A search does not look the index up in the catalogue first: it reads it, and only when
that fails (a fresh database, or one upgraded from before the index existed) builds it
and searches again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    Cast,
    Connection,
    Engine,
    Float,
    Integer,
    String,
    Table,
    TableClause,
    Uuid,
    and_,
    column,
    insert,
    select,
    table,
    text,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.exc import DBAPIError

from walletdesk.db.transactions import run_transaction
from walletdesk.identity.model import User
from walletdesk.identity.roles import Permission, authorize
from walletdesk.support.helpcenter.search_index import tsvector_literal
from walletdesk.support.helpcenter.snippets import make_snippet
from walletdesk.support.helpcenter.tokenize import (
    MIN_PREFIX_LENGTH,
    QueryTerm,
    chinese_runs,
    index_tokens,
    is_chinese,
    normalise,
    query_terms,
)
from walletdesk.support.tickets import tables as t
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.search_postgres import Reading, newest_subjects, search_page
from walletdesk.support.tickets.views import staff_summary

SUBJECTS_FTS = "ticket_subjects_search"
MESSAGES_FTS = "ticket_messages_search"
# The GIN indexes are named after the vectors' format: a database whose indexes carry
# an older name has vectors of that format, and is re-indexed (ensure_search_index_in).
SUBJECTS_GIN = "ix_tickets_search_v2"
MESSAGES_GIN = "ix_ticket_messages_search_v2"
# Version 1: words without their prefixes (prefix queries used ':*').
LEGACY_GIN = ("ix_tickets_search_vector", "ix_ticket_messages_search_vector")
# Every object above, for Alembic's env.py to leave alone.
INDEX_OBJECTS = frozenset({SUBJECTS_FTS, MESSAGES_FTS, SUBJECTS_GIN, MESSAGES_GIN, *LEGACY_GIN})

MAX_LIMIT = 50
# A subject says what the whole ticket is about; one message says less.
SUBJECT_WEIGHT = 2.0
# How much of a large desk one search reads. A query's matches are taken newest first,
# at most WINDOW of them, in subjects and in messages: those containing every word of
# the query, and only when those are too few for a page, those containing any word or
# synonym. Only the best POOL of each window are grouped by ticket. A common word on a
# desk of millions of messages thus costs what it costs on a small one, and an old
# ticket is still found by the words that set it apart.
WINDOW = 500
POOL = 100
# The "any word or synonym" subject window looks at the newest SUBJECT_SPAN tickets only.
# Subjects are short, so few of them hold any one word: finding the newest WINDOW that do
# read ~12,000 tickets (of 20,000) on the bench desk, most of a fallback search's time.
# 2,000 tickets reach about four times further back than the message window does.
SUBJECT_SPAN = 2_000
# For messages holding every word of a query of several, PostgreSQL may read the window
# in two parts: the newest RECENT_MESSAGES messages, then, only when those hold fewer
# than WINDOW matches, the older ones (when, see search_postgres.message_reading).
RECENT_MESSAGES = 20_000
# PostgreSQL's GIN finds a prefix (':*') by merging the entries of every word starting
# with it, then rechecks each row: 3-5x an exact word's cost, most of an English
# search's time ("payment failed": 8 of 10 ms). So there, an English word is also
# indexed under each of its prefixes of MIN_PREFIX_LENGTH to PREFIX_LEXEMES_UP_TO letters
# ("cards" under card and cards), and a prefix term is one exact lookup. A longer term
# keeps ':*'. SQLite's FTS5 reads a prefix from its own doclists quickly.
PREFIX_LEXEMES_UP_TO = 16
# A message's row stays whole in its page up to 8,160 bytes (PostgreSQL's default moves
# values out of rows over 2,032). A vector holds every word, its prefixes and positions:
# 5x the body, and 1 message in 12 of the bench desk had its vector moved to the TOAST
# table, read from there for each such row a search walked past: the "退款" message
# window took 2.7 ms, and 1.8 ms with every vector in its row (ad hoc; bench/RESULTS.md,
# fifth sitting). Set when the vectors are built, and by migration 0014 on databases
# that had them already.
MESSAGES_TOAST_SETTING = "toast_tuple_target = 8160"
_BACKFILL_BATCH = 2000


@dataclass(frozen=True, slots=True)
class TicketHit:
    """One ticket found; ``message_seq`` is its best-matching message, if any matched.
    ``every_word``: its subject or one of its messages holds every word of the query.
    ``score`` is higher for better matches and comparable only within one search."""

    ticket_id: uuid.UUID
    every_word: bool
    score: float
    message_seq: int | None


@dataclass(slots=True)
class _Tally:
    every_word: bool = False
    subject: float = 0.0
    message: float = 0.0
    message_seq: int | None = None

    @property
    def score(self) -> float:
        return SUBJECT_WEIGHT * self.subject + self.message


# -- the index ----------------------------------------------------------------------


def subject_text(number: str, subject: str) -> str:
    """What a ticket's subject entry indexes: its number ("WD-000123") finds it too."""
    return f"{number} {subject}"


def index_exists(conn: Connection) -> bool:
    """True when the index exists as :func:`ensure_search_index_in` makes it (on
    PostgreSQL: both GIN indexes, with ``fastupdate`` off)."""
    if conn.dialect.name == "sqlite":
        found = conn.execute(
            text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (:a, :b)"),
            {"a": SUBJECTS_FTS, "b": MESSAGES_FTS},
        ).scalar_one()
        return bool(found == 2)
    built, in_place = _postgres_state(conn)
    return built and in_place


def _postgres_state(conn: Connection) -> tuple[bool, bool]:
    """(both GIN indexes exist, every existing one has ``fastupdate`` off): one query."""
    row = conn.execute(
        text(
            "SELECT to_regclass(:a) IS NOT NULL AND to_regclass(:b) IS NOT NULL, "
            "coalesce((SELECT bool_and(coalesce('fastupdate=off' = ANY(reloptions), false)) "
            "FROM pg_class WHERE oid IN (to_regclass(:a), to_regclass(:b))), true)"
        ),
        {"a": SUBJECTS_GIN, "b": MESSAGES_GIN},
    ).one()
    return bool(row[0]), bool(row[1])


def ensure_search_index_in(conn: Connection) -> bool:
    """Create the index inside the caller's write transaction if it is missing, and index
    what is already stored. Returns True when it had to be built. Cheap when it exists:
    one catalogue lookup, and no DDL (so no table lock on PostgreSQL).

    On PostgreSQL an index made before ``fastupdate`` was off is switched, and its
    pending list merged, here (returning False: nothing was indexed)."""
    if conn.dialect.name == "sqlite":
        if index_exists(conn):
            return False
        for table in (SUBJECTS_FTS, MESSAGES_FTS):
            conn.exec_driver_sql(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5("
                "body, content='', tokenize='unicode61', prefix='2 3')"
            )
        _backfill(conn)
        return True
    built, in_place = _postgres_state(conn)
    if built and in_place:
        return False
    if not built:
        # Vectors of an older format are rewritten: without the old indexes, so the
        # rewrite does not keep them up to date row by row.
        for legacy in LEGACY_GIN:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {legacy}")
        for table in ("tickets", "ticket_messages"):
            conn.exec_driver_sql(
                f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS search_vector tsvector"
            )
        conn.exec_driver_sql(f"ALTER TABLE ticket_messages SET ({MESSAGES_TOAST_SETTING})")
        _backfill(conn)
    # Indexed after the backfill: one GIN build is much cheaper than row-by-row upkeep.
    # fastupdate off: with it on, every search also reads the index's whole pending list
    # of recent entries (on a busy desk, every message since the last vacuum).
    for table, index in (("tickets", SUBJECTS_GIN), ("ticket_messages", MESSAGES_GIN)):
        conn.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING GIN (search_vector) "
            "WITH (fastupdate = off)"
        )
        if not in_place:  # made before it was off: turn it off and merge what is pending
            conn.exec_driver_sql(f"ALTER INDEX {index} SET (fastupdate = off)")
            conn.execute(
                text("SELECT gin_clean_pending_list(CAST(:name AS regclass))"), {"name": index}
            )
    return not built


def _backfill(conn: Connection) -> None:
    """Index every stored ticket and message, in batches (one executemany each)."""
    last = 0
    while True:
        tickets = conn.execute(
            select(t.tickets.c.seq, t.tickets.c.number, t.tickets.c.subject)
            .where(t.tickets.c.seq > last)
            .order_by(t.tickets.c.seq)
            .limit(_BACKFILL_BATCH)
        ).all()
        if not tickets:
            break
        write_subjects(conn, [(row.seq, subject_text(row.number, row.subject)) for row in tickets])
        last = tickets[-1].seq
    last = 0
    while True:
        messages = conn.execute(
            select(t.ticket_messages.c.seq, t.ticket_messages.c.body)
            .where(t.ticket_messages.c.seq > last)
            .order_by(t.ticket_messages.c.seq)
            .limit(_BACKFILL_BATCH)
        ).all()
        if not messages:
            return
        write_messages(conn, [(row.seq, row.body) for row in messages])
        last = messages[-1].seq


def index_ticket(conn: Connection, ticket_seq: int, number: str, subject: str) -> None:
    """Index a new ticket's number and subject (once; subjects are not edited)."""
    if not ensure_search_index_in(conn):  # a fresh build has just indexed it already
        write_subjects(conn, [(ticket_seq, subject_text(number, subject))])


def index_message(conn: Connection, message_seq: int, body: str) -> None:
    """Index a new message's body, in the transaction that inserted it."""
    if not ensure_search_index_in(conn):  # a fresh build has just indexed it already
        write_messages(conn, [(message_seq, body)])


def insert_message(conn: Connection, values: dict[str, Any]) -> int:
    """Insert a ticket message (``values``: its ``ticket_messages`` columns) indexed for
    search, in the caller's transaction; returns its ``seq``.

    On PostgreSQL the vector goes into the INSERT itself: written by an UPDATE after it,
    as SQLite's separate index is, every message would leave a dead row version behind
    (the vector is indexed, so the update cannot be a HOT one)."""
    if conn.dialect.name == "sqlite":
        result = conn.execute(insert(t.ticket_messages).values(**values))
        key = result.inserted_primary_key
        assert key is not None
        index_message(conn, int(key[0]), values["body"])
        return int(key[0])
    ensure_search_index_in(conn)  # the column must exist before a row can carry it
    row = conn.execute(
        insert(_MESSAGES_WITH_VECTOR)
        .values(**values, search_vector=_as_vector(postgres_vector(index_tokens(values["body"]))))
        .returning(_MESSAGES_WITH_VECTOR.c.seq)
    )
    return int(row.scalar_one())


def insert_ticket(
    conn: Connection, values: dict[str, Any], number_for: Callable[[int], str]
) -> tuple[int, str]:
    """Insert a new ticket (``values``: its ``tickets`` columns but ``seq`` and
    ``number``), numbered by ``number_for(seq)`` and indexed for search, in the caller's
    transaction; returns (seq, number).

    On PostgreSQL it is one INSERT: the seq is drawn from the table's sequence first, so
    the number and the vector go into the row as it is written. Set by UPDATEs after it,
    each new ticket left two dead row versions behind. (SQLite updates in place.)"""
    if conn.dialect.name == "sqlite":
        result = conn.execute(
            insert(t.tickets).values(**values, number=f"pending-{values['id'].hex}")
        )
        key = result.inserted_primary_key
        assert key is not None
        seq = int(key[0])
        number = number_for(seq)
        conn.execute(update(t.tickets).where(t.tickets.c.seq == seq).values(number=number))
        index_ticket(conn, seq, number, values["subject"])
        return seq, number
    ensure_search_index_in(conn)  # the column must exist before a row can carry it
    seq = int(
        conn.execute(text("SELECT nextval(pg_get_serial_sequence('tickets', 'seq'))")).scalar_one()
    )
    number = number_for(seq)
    vector = postgres_vector(index_tokens(subject_text(number, values["subject"])))
    conn.execute(
        insert(_TICKETS_WITH_VECTOR).values(
            **values, seq=seq, number=number, search_vector=_as_vector(vector)
        )
    )
    return seq, number


def write_subjects(conn: Connection, entries: Sequence[tuple[int, str]]) -> None:
    """Index entries (tickets.seq, :func:`subject_text`) that are not indexed yet."""
    _write(conn, SUBJECTS_FTS, "tickets", entries)


def write_messages(conn: Connection, entries: Sequence[tuple[int, str]]) -> None:
    """Index entries (ticket_messages.seq, body) that are not indexed yet."""
    _write(conn, MESSAGES_FTS, "ticket_messages", entries)


def _write(conn: Connection, fts: str, table: str, entries: Sequence[tuple[int, str]]) -> None:
    if not entries:
        return
    tokens = [(seq, index_tokens(value)) for seq, value in entries]
    if conn.dialect.name == "sqlite":
        conn.execute(
            text(f"INSERT INTO {fts} (rowid, body) VALUES (:seq, :body)"),
            [{"seq": seq, "body": " ".join(words)} for seq, words in tokens],
        )
        return
    conn.execute(
        text(f"UPDATE {table} SET search_vector = CAST(:vector AS tsvector) WHERE seq = :seq"),
        [{"vector": postgres_vector(words), "seq": seq} for seq, words in tokens],
    )


def _is_english_word(token: str) -> bool:
    """Letters only, none of them Chinese, at least MIN_PREFIX_LENGTH of them."""
    return len(token) >= MIN_PREFIX_LENGTH and token.isalpha() and not is_chinese(token)


def _prefix_is_a_lexeme(token: str) -> bool:
    """True when PostgreSQL's index holds the prefix ``token`` as a lexeme of its own."""
    return len(token) <= PREFIX_LEXEMES_UP_TO and _is_english_word(token)


def postgres_lexemes(token: str) -> list[str]:
    """The lexemes a token is indexed under on PostgreSQL: itself, and for an English
    word its prefixes of MIN_PREFIX_LENGTH to PREFIX_LEXEMES_UP_TO letters ("cards":
    card, cards)."""
    if not _is_english_word(token):
        return [token]
    longest = min(len(token), PREFIX_LEXEMES_UP_TO)
    prefixes = [token[:length] for length in range(MIN_PREFIX_LENGTH, longest + 1)]
    return prefixes if len(token) <= PREFIX_LEXEMES_UP_TO else [*prefixes, token]


def postgres_vector(tokens: Sequence[str]) -> str:
    """A tsvector literal (weight A) for indexed tokens; a word's prefixes take its position,
    so ``ts_rank`` counts "cards" once for the term card, as FTS5 counts a prefix match."""
    return tsvector_literal([(tokens, "A")], postgres_lexemes)


def _with_vector(declared: Table) -> TableClause:
    """A table as PostgreSQL has it once indexed: its declared columns (their types bind
    values as the table's do) and the vector the metadata leaves out."""
    return table(
        declared.name,
        *(column(c.name, c.type) for c in declared.columns),
        column("search_vector", TSVECTOR),
    )


_TICKETS_WITH_VECTOR = _with_vector(t.tickets)
_MESSAGES_WITH_VECTOR = _with_vector(t.ticket_messages)


def _as_vector(literal: str) -> Cast[Any]:
    """A tsvector literal (:func:`postgres_vector`) bound as text, cast by the server."""
    return sql_cast(literal, TSVECTOR)


# -- searching ----------------------------------------------------------------------


def own_terms(query: str, terms: Sequence[QueryTerm]) -> tuple[QueryTerm, ...]:
    """The terms that come from the query's own words, not from synonyms: those whose
    token is written in the (normalised) query."""
    written = normalise(query)
    return tuple(term for term in terms if term.token in written)


def lexeme_groups(query: str, own: Sequence[QueryTerm]) -> list[list[str]]:
    """The tokens of the query's own terms, those of one run of Chinese characters
    together (验证码: 验证 and 证码, which go together), each other one alone."""
    runs = chinese_runs(normalise(query))
    groups: dict[int, list[str]] = {}
    for index, term in enumerate(own):
        run = next((n for n, chars in enumerate(runs) if term.token in chars), None)
        groups.setdefault(-1 - index if run is None else run, []).append(term.token)
    return list(groups.values())


def _fts5(terms: Sequence[QueryTerm], joiner: str) -> str:
    return f" {joiner} ".join(f'"{term.token}"' + ("*" if term.prefix else "") for term in terms)


def _tsquery(terms: Sequence[QueryTerm], joiner: str) -> str:
    # A prefix the index holds as a lexeme is looked up exactly (see PREFIX_LEXEMES_UP_TO).
    return f" {joiner} ".join(
        f"'{term.token}'" + (":*" if term.prefix and not _prefix_is_a_lexeme(term.token) else "")
        for term in terms
    )


def _span(column: str, kind: str, every_word: bool) -> str:
    """The condition keeping the any-word subject window to the newest tickets."""
    if kind != "subject" or every_word:
        return ""
    return newest_subjects(column)


def _sqlite_part(kind: str, match: str, every_word: bool) -> str:
    fts, table = (
        (SUBJECTS_FTS, "tickets") if kind == "subject" else (MESSAGES_FTS, "ticket_messages")
    )
    ticket, seq = ("x.id", "NULL") if kind == "subject" else ("x.ticket_id", "x.seq")
    span = _span("rowid", kind, every_word)
    return (
        f"SELECT '{kind}' AS kind, {int(every_word)} AS every_word, {ticket} AS ticket_id, "
        f"{seq} AS message_seq, w.score AS score FROM ("
        f"SELECT rowid, score FROM (SELECT rowid, -bm25({fts}) AS score FROM {fts} "
        f"WHERE {fts} MATCH {match}{span} ORDER BY rowid DESC LIMIT :window) "
        f"ORDER BY score DESC, rowid DESC LIMIT :pool) AS w JOIN {table} AS x ON x.seq = w.rowid"
    )


def _candidates(
    conn: Connection, terms: Sequence[QueryTerm], own: Sequence[QueryTerm], enough: int
) -> list[Any]:
    """(kind, every_word, ticket_id, message_seq, score) rows of the best matches, on
    SQLite (PostgreSQL does the whole search in one statement: :mod:`.search_postgres`).

    The "every word" windows (subjects and messages, one query) run first; the "any word
    or synonym" windows only when those found fewer than ``enough`` tickets, or when
    the query has no word of its own to require (only synonyms)."""
    params: dict[str, object] = {
        "any": _fts5(terms, "OR"),
        "every": _fts5(own, "AND"),
        "window": WINDOW,
        "pool": POOL,
        "subject_span": SUBJECT_SPAN,
    }
    rows: list[Any] = []
    if own:
        rows = _windows(conn, ":every", True, params)
        # One word and no synonyms: "any word" is "every word", nothing more to find.
        if len(terms) == 1 or len({row.ticket_id for row in rows}) >= enough:
            return rows
    return rows + _windows(conn, ":any", False, params)


_COLUMNS = {
    "kind": String,
    "every_word": Integer,
    "ticket_id": Uuid,
    "message_seq": Integer,
    "score": Float,
}


def _windows(
    conn: Connection, match: str, every_word: bool, params: dict[str, object]
) -> list[Any]:
    """The subject window and the message window taken by ``match``, in one query."""
    sql = " UNION ALL ".join(
        _sqlite_part(kind, match, every_word) for kind in ("subject", "message")
    )
    return list(conn.execute(text(sql).columns(**_COLUMNS), params))


def _search(
    conn: Connection, query: str, terms: Sequence[QueryTerm], limit: int
) -> list[TicketHit]:
    """SQLite's search: the candidates' rows tallied per ticket, best first."""
    own = own_terms(query, terms)
    tallies: dict[uuid.UUID, _Tally] = {}
    for row in _candidates(conn, terms, own, limit):
        tally = tallies.setdefault(row.ticket_id, _Tally())
        tally.every_word = tally.every_word or bool(row.every_word)
        score = float(row.score)
        if row.kind == "subject":
            tally.subject = max(tally.subject, score)
        elif score > tally.message:
            tally.message, tally.message_seq = score, int(row.message_seq)
    # Ties by id: UUIDs order as their hex text does, without making ~150 strings a search.
    ranked = sorted(
        tallies.items(), key=lambda item: (not item[1].every_word, -item[1].score, item[0])
    )
    return [
        TicketHit(ticket_id, tally.every_word, tally.score, tally.message_seq)
        for ticket_id, tally in ranked[:limit]
    ]


# -- the use case --------------------------------------------------------------------


def search_tickets(
    deps: TicketDeps, agent: User, query: str, *, limit: int = 20
) -> list[dict[str, Any]]:
    """Agents' search: tickets best first, each with its staff summary, ``score``, the
    best-matching message (``matched_message``: id and kind, None when only the subject
    or number matched) and an HTML-escaped ``snippet`` with the matches in ``<mark>``.

    Builds the index first if this database has none yet (a fresh or upgraded one).
    """
    authorize(agent.role, Permission.READ_CUSTOMERS)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1 to {MAX_LIMIT}")
    try:
        return _found(deps.engine, query, limit)
    except DBAPIError:
        # Read without a catalogue lookup first (that lookup was a tenth of a search on
        # PostgreSQL): a database without the index fails here, once.
        with deps.engine.connect() as conn:
            if index_exists(conn):
                raise
        run_transaction(deps.engine, ensure_search_index_in)
        return _found(deps.engine, query, limit)


def _found(engine: Engine, query: str, limit: int) -> list[dict[str, Any]]:
    """The search and what the page shows of each hit.

    Tickets holding every word of the query (in the subject or in one message) come
    first, then those holding some words or their synonyms; within each, by score: the
    subject's rank (weighted) plus the best message's. Words and synonyms are looked
    for only when fewer than ``limit`` tickets hold every word: then the page is filled
    up with them. A query with nothing searchable (empty, only punctuation) finds
    nothing. See :data:`WINDOW` for how much of a large desk is read.

    On PostgreSQL the search is one statement, read in autocommit: no BEGIN and ROLLBACK
    round trips around it. (Not on SQLite: there SQLAlchemy would hand the connection
    back with pysqlite's own transaction handling switched on, which db/engine.py turns
    off; and a local BEGIN costs no round trip.)"""
    terms = query_terms(query)
    if not terms:
        return []
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = _sqlite_page(conn, query, terms, limit)
        else:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            rows = postgres_page(conn, query, terms, limit)
    return [
        {
            **staff_summary(row),
            "score": round(row.hit_score, 6),
            "every_word": bool(row.hit_every_word),
            "matched_message": (
                {"id": str(row.message_id), "kind": row.message_kind}
                if row.message_id is not None
                else None
            ),
            "snippet": make_snippet(
                row.message_body if row.message_id is not None else row.subject, terms
            ),
        }
        for row in rows
    ]


def postgres_page(
    conn: Connection,
    query: str,
    terms: Sequence[QueryTerm],
    limit: int,
    *,
    reading: Reading | None = None,
) -> list[Any]:
    """PostgreSQL's page for ``query`` (:func:`.search_postgres.search_page`).
    ``reading`` forces how the every-word message window is read (the bench times each
    way); None decides (:func:`.search_postgres.message_reading`)."""
    own = own_terms(query, terms)
    return search_page(
        conn,
        any_query=_tsquery(terms, "|"),
        every_query=_tsquery(own, "&") if own else None,
        every_groups=lexeme_groups(query, own),
        # One word and no synonyms: "any word" is "every word".
        any_word=not own or len(terms) > 1,
        limits={
            "window": WINDOW,
            "pool": POOL,
            "subject_span": SUBJECT_SPAN,
            "recent": RECENT_MESSAGES,
            "limit": limit,
            "subject_weight": SUBJECT_WEIGHT,
        },
        reading=reading,
    )


def _sqlite_page(conn: Connection, query: str, terms: Sequence[QueryTerm], limit: int) -> list[Any]:
    """SQLite's page: the hits, then their tickets and best messages in one query, as
    rows like PostgreSQL's (:func:`.search_postgres.search_page`)."""
    hits = _search(conn, query, terms, limit)
    if not hits:
        return []
    messages = t.ticket_messages
    seqs = [hit.message_seq for hit in hits if hit.message_seq is not None]
    rows = {
        row.id: row
        for row in conn.execute(
            select(
                t.tickets,
                messages.c.id.label("message_id"),
                messages.c.kind.label("message_kind"),
                messages.c.body.label("message_body"),
            )
            .select_from(
                t.tickets.outerjoin(
                    # A message moved to another ticket since: the subject is shown instead.
                    messages,
                    and_(messages.c.ticket_id == t.tickets.c.id, messages.c.seq.in_(seqs)),
                )
            )
            .where(t.tickets.c.id.in_([hit.ticket_id for hit in hits]))
        )
    }
    page = []
    for hit in hits:
        values = dict(rows[hit.ticket_id]._mapping)
        if hit.message_seq is None:
            values["message_id"] = None
        page.append(SimpleNamespace(**values, hit_score=hit.score, hit_every_word=hit.every_word))
    return page

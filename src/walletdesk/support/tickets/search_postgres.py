"""Agents' ticket search on PostgreSQL: the whole search in one statement.

:mod:`walletdesk.support.tickets.search` describes the search: windows of the newest
matches, in subjects and in messages, holding every word of the query, then (only when
those name too few tickets) any word or synonym; the best of each window by
``ts_rank``, summed per ticket. On SQLite it is a few statements and a tally in Python.
Here one statement does it all, hydration of the page included:

* the "any word" windows sit behind a one-time filter on how many tickets the "every
  word" windows named, so PostgreSQL runs them only when those were too few;
* the every-word message window's older part (see :func:`message_reading`) sits
  behind a one-time filter on how many matches the recent part held;
* the tally per ticket, the order and the page are an aggregate, and the page's tickets
  and best messages are joined to it;
* a word's every-word windows, and the message window of several words, are read the
  way the words' statistics say costs least: walked newest first, or the matches
  collected through the index and sorted (:func:`sorts`, :func:`message_reading`).
  Left to itself, the planner prices the index's reads as random and a walk's as
  sequential, though the desk is in memory: it walked windows that cost three times as
  much as sorting them.

A search was up to five round trips and ~200 candidate rows for Python to tally; it
is one round trip and the page's rows (bench/RESULTS.md, "fifth sitting"; the reading
choices, "sixth sitting").
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Engine,
    Float,
    Select,
    Uuid,
    and_,
    select,
    text,
)

from walletdesk.support.tickets import tables as t

# How long the planner's word statistics (and the newest message's seq) are reused. They
# only steer how the message window is read, never what it finds: stale figures cost a
# little time, not a result.
STATISTICS_SECONDS = 60.0
# From how many expected matches of a message window's words the planner reads a range
# of seq through the primary key (a BitmapAnd with the words' GIN entries) rather than
# visiting every match and filtering: from ~200 on the bench desk (60 random pairs of
# common words, the newest 20,000 of 100,000 messages).
RANGE_READ_FROM = 250
# A phrase whose words go together in many messages (验证码: 验证 & 证码, one message in
# ten) is found fastest by walking the newest messages and testing each, as one common
# word is: ~0.4 us a message, so its window of 500 in ~5,500 messages (2.2 ms), where the
# index read its 9,500 matches in the whole table and the range intersected with them
# (5.5 ms; ad hoc, bench desk, bench/RESULTS.md "sixth sitting"). Walked: the newest
# WALK_SPAN messages at most, when the phrase is expected to fill the window WALK_FILL
# times over in them (a share of 6.25% or more); the older ones are read only if not.
WALK_SPAN = 10_000
WALK_FILL = 1.25
# One word's window: walk the newest rows testing each, or collect every match through
# the index and sort them? Per row walked against per match sorted, about 1 to 3 on the
# bench desk, in memory (messages 0.6 against 1.6 us, subjects 0.25 against 0.9; ad hoc,
# bench/RESULTS.md "sixth sitting"). See sorts().
WALK_COST_RATIO = 1 / 3


class Reading(StrEnum):
    """How the every-word message window of a query of several words is read."""

    WHOLE = "whole"  # all matches in the table at once, through the words' index entries
    RANGE = "range"  # the matches among the newest RECENT_MESSAGES first (reads_recent_first)
    WALK = "walk"  # the newest WALK_SPAN messages, newest first, each tested (walks)


@dataclass(frozen=True, slots=True)
class Shape:
    """Which parts a search's statement has (one cached statement per shape)."""

    every_word: bool  # the query has words of its own: the "every word" windows
    any_word: bool  # the "any word or synonym" windows, when those name too few tickets
    several_words: bool  # ...of two or more words (read through a bitmap: see _window)
    reading: Reading  # how the every-word message window is read
    subjects_sorted: bool  # one word's subject window: its matches sorted (see sorts())
    messages_sorted: bool  # one word's message window: the same


@dataclass(frozen=True, slots=True)
class WordStatistics:
    """What the planner knows of one table's words (messages', or subjects'): the share of
    rows holding each of its most common lexemes (``pg_stats.most_common_elems``), the
    table's rows, and its newest row's ``seq``."""

    newest: int
    rows: float
    share: Mapping[str, float]

    def most_holding_all(self, lexemes: Sequence[str]) -> float:
        """At most how many messages hold every lexeme: as many as hold the rarest. A
        lexeme missing from the statistics is rarer than all of them: counted as none."""
        return min((self.share.get(lexeme, 0.0) for lexeme in lexemes), default=0.0) * self.rows

    def expected(self, lexemes: Sequence[str]) -> float:
        """How many messages the planner expects to hold every lexeme: it multiplies their
        shares, as if words occurred independently."""
        expected = self.rows
        for lexeme in lexemes:
            expected *= self.share.get(lexeme, 0.0)
        return expected

    def phrase_share(self, groups: Sequence[Sequence[str]]) -> float:
        """The share of messages expected to hold every lexeme of ``groups``: lexemes of
        one group (the overlapping pairs of one run of Chinese characters: 验证码 is 验证
        and 证码) go together, so a group's share is its rarest lexeme's; groups (words
        apart) are counted as independent, as the planner counts every lexeme."""
        return math.prod(
            min((self.share.get(lexeme, 0.0) for lexeme in group), default=0.0) for group in groups
        )


@dataclass(frozen=True, slots=True)
class SearchStatistics:
    """The words' statistics of messages and of subjects, as read at ``read_at``."""

    read_at: float
    messages: WordStatistics
    subjects: WordStatistics


_statistics: weakref.WeakKeyDictionary[Engine, SearchStatistics] = weakref.WeakKeyDictionary()


def search_statistics(conn: Connection) -> SearchStatistics:
    """Messages' and subjects' statistics, read at most every STATISTICS_SECONDS per
    engine, in one statement."""
    now = time.monotonic()
    known = _statistics.get(conn.engine)
    if known is not None and now - known.read_at < STATISTICS_SECONDS:
        return known
    rows = conn.execute(
        text(
            "SELECT t.name, (SELECT coalesce(max(seq), 0) FROM ticket_messages) AS newest, "
            "(SELECT coalesce(max(seq), 0) FROM tickets) AS newest_ticket, "
            "(SELECT reltuples FROM pg_class WHERE oid = to_regclass(t.name)) AS rows, "
            "s.most_common_elems::text::text[] AS lexemes, s.most_common_elem_freqs AS shares "
            "FROM (VALUES ('ticket_messages'), ('tickets')) AS t (name) "
            "LEFT JOIN pg_stats AS s ON s.schemaname = current_schema() "
            "AND s.tablename = t.name AND s.attname = 'search_vector'"
        )
    ).all()
    tables = {}
    for row in rows:
        # The frequencies list ends with three summary figures; zip stops at the lexemes.
        share = dict(zip(row.lexemes or (), row.shares or (), strict=False))
        newest = row.newest if row.name == "ticket_messages" else row.newest_ticket
        # reltuples is -1 for a table never analysed: no statistics, no estimate.
        tables[row.name] = WordStatistics(int(newest), max(float(row.rows or 0), 0.0), share)
    known = SearchStatistics(now, tables["ticket_messages"], tables["tickets"])
    _statistics[conn.engine] = known
    return known


def sorts(statistics: WordStatistics, lexeme: str, window: int) -> bool:
    """Whether one word's window (its newest ``window`` matches) is found by collecting
    all its matches through the index and sorting them, rather than by walking the
    newest rows and testing each: when its matches (share x rows) cost less to sort than
    the rows a walk tests to find the window (window / share), that is when share^2 x
    rows < WALK_COST_RATIO x window. On the bench desk: below 4% of 100,000 messages and
    9% of 20,000 subjects.

    PostgreSQL's planner walks from ~2.5% of the messages and ~4% of the subjects: it
    prices the walk's reads as sequential and the index's as random, though both are in
    memory. There, a word in 2.5% of the messages took 14.2 ms walked and 4.9 sorted, and
    one in 4.3% of the subjects 2.9 and 0.9 (ad hoc, bench/RESULTS.md "sixth sitting").
    A word the statistics do not list is rarer than those they do: sorted. No statistics
    (a table never analysed): the planner chooses."""
    if statistics.rows <= 0:
        return False
    share = statistics.share.get(lexeme, 0.0)
    return share * share * statistics.rows < WALK_COST_RATIO * window


def reads_recent_first(
    statistics: WordStatistics, lexemes: Sequence[str], recent: int, window: int
) -> bool:
    """Whether the every-word message window of a query of several words reads the newest
    ``recent`` messages first, and the older ones only when those hold fewer than
    ``window`` matches.

    Told the range, the planner can intersect the words' index entries with it and visit
    only the rows in it. That pays when the recent messages may well fill the window:
    asked for the newest matches of words that go together (验证 & 证码: one message in
    ten, estimated one in seventy, as it multiplies their frequencies), it visited every
    match in the table instead (12 ms of a 16 ms search on the bench desk). Two things
    must hold, or a split costs a second read of the same matches:

    * even if the rarest word's messages all held the other words too, the recent ones
      could fill the window ("two factor": 2,420 messages hold "factor", 484 recent);
    * the planner expects at least RANGE_READ_FROM matches: expecting fewer, it visits
      every match whatever the range, only filtering by it.

    (:func:`message_reading` asks this after :func:`walks`.)"""
    if len(lexemes) < 2 or statistics.newest <= recent or statistics.rows <= 0:
        return False
    in_recent = statistics.most_holding_all(lexemes) * recent / statistics.rows
    return in_recent >= window and statistics.expected(lexemes) >= RANGE_READ_FROM


def walks(statistics: WordStatistics, groups: Sequence[Sequence[str]], window: int) -> bool:
    """Whether the every-word message window of a query of several words is found by
    walking the newest WALK_SPAN messages (see WALK_SPAN): when the lexemes' ``groups``
    (:meth:`WordStatistics.phrase_share`) are expected to fill ``window`` WALK_FILL
    times over in them. Within a group the estimate is at most the truth (no message
    holds a phrase more often than its rarest pair): a phrase whose pairs seldom meet
    costs the walk of WALK_SPAN messages (~4 ms), then the older ones are read."""
    if sum(len(group) for group in groups) < 2 or statistics.rows <= 0:
        return False
    return statistics.phrase_share(groups) * WALK_SPAN >= window * WALK_FILL


def message_reading(
    statistics: WordStatistics, groups: Sequence[Sequence[str]], recent: int, window: int
) -> Reading:
    """How to read the every-word message window of the lexemes ``groups``: walked
    (:func:`walks`), the recent messages first (:func:`reads_recent_first`), or whole.
    ``walletdesk bench ticket-search`` reads each query of several words all three ways
    and reports how often this chose the fastest (``reading``)."""
    if walks(statistics, groups, window):
        return Reading.WALK
    lexemes = [lexeme for group in groups for lexeme in group]
    if reads_recent_first(statistics, lexemes, recent, window):
        return Reading.RANGE
    return Reading.WHOLE


def newest_subjects(column: str) -> str:
    """The condition keeping the any-word subject window to the newest ``:subject_span``
    tickets (search.SUBJECT_SPAN), ``column`` being the tickets' seq; on both databases."""
    return f" AND {column} > (SELECT max(seq) FROM tickets) - :subject_span"


def _window(
    kind: str,
    match: str,
    *,
    every_word: bool,
    part: str = "all",
    by_address: bool = False,
    sort: bool = False,
) -> str:
    """The newest ``:window`` rows matching ``match``: subjects or messages. ``part``:
    "all"; "recent", those after ``:floor``; "walk", the same, each row tested in turn;
    "older", the rest, only as many as the recent part fell short of the window (and
    none when it did not). ``by_address``: the rows carry their addresses (``tid``)
    instead of their vectors. ``sort``: all matches collected, then sorted (sorts())."""
    table = "tickets" if kind == "subject" else "ticket_messages"
    ticket, seq = ("id", "NULL::bigint") if kind == "subject" else ("ticket_id", "seq")
    where, limit = f"search_vector @@ CAST({match} AS tsquery)", ":window"
    if kind == "subject" and not every_word:
        where += newest_subjects("seq")
    elif part == "walk":
        # The function, not the operator: the index cannot serve it, so the planner walks
        # the primary key from the newest message down, as for one common word.
        where = f"ts_match_vq(search_vector, CAST({match} AS tsquery)) AND seq > :floor"
    elif part == "recent":
        where += " AND seq > :floor"
    elif part == "older":
        where += " AND seq <= :floor AND (SELECT count(*) FROM every_recent) < :window"
        limit = "(SELECT :window - count(*) FROM every_recent)"
    vector = "ctid AS tid" if by_address else "search_vector"
    # By an expression, not the column: the primary key's order cannot serve it, so the
    # planner cannot walk; it collects the matches through the index and sorts them.
    order = "seq + 0" if sort else "seq"
    return (
        f"SELECT {ticket} AS ticket_id, {seq} AS message_seq, seq, {vector} "
        f"FROM {table} WHERE {where} ORDER BY {order} DESC LIMIT {limit}"
    )


def _best(kind: str, every_word: bool, rows: str, *, by_address: bool = False) -> str:
    """The best ``:pool`` of a window's ``rows``, scored against the any-word query
    whichever window they came from, so scores compare (ts_rank normalised by the log of
    the entry's length); equal scores keep the newest. ``by_address``: the rows carry
    their messages' addresses (``tid``), not their vectors."""
    vector, source = "w.search_vector", f"({rows}) AS w"
    if by_address:
        vector, source = "v.search_vector", f"{source} JOIN ticket_messages AS v ON v.ctid = w.tid"
    return (
        f"(SELECT '{kind}' AS kind, {str(every_word).lower()} AS every_word, w.ticket_id, "
        f"w.message_seq, ts_rank({vector}, CAST(:any AS tsquery), 1) AS score "
        f"FROM {source} ORDER BY score DESC, w.seq DESC LIMIT :pool)"
    )


def _hits_sql(shape: Shape) -> str:
    """The page of hits: (ticket_id, every_word, score, message_seq), best first."""
    ctes: list[str] = []
    parts: list[str] = []
    if shape.every_word:
        # The messages holding every word of several: the planner reads them through a
        # bitmap of the words' GIN entries (it expects few: it multiplies the words'
        # shares), then sorts them by seq. Sorted whole, with their ~900-byte vectors,
        # that sort was a third of "two factor" (2,535 rows) and 1.5 ms of "验证码": they
        # are sorted as row addresses, and _best fetches the window's vectors by address.
        # One word's window is sorted the same way when sorts() says so. (A walked window
        # comes newest first by the primary key: no sort, and fetching by address would
        # only add 500 lookups.)
        if shape.several_words:
            by_address = shape.reading is not Reading.WALK
        else:
            by_address = shape.messages_sorted
        messages = _window(
            "message", ":every", every_word=True, by_address=by_address, sort=shape.messages_sorted
        )
        if shape.reading is not Reading.WHOLE:
            part = "walk" if shape.reading is Reading.WALK else "recent"
            recent = _window("message", ":every", every_word=True, part=part, by_address=by_address)
            ctes.append(f"every_recent AS MATERIALIZED ({recent})")
            older = _window(
                "message", ":every", every_word=True, part="older", by_address=by_address
            )
            messages = f"SELECT * FROM every_recent UNION ALL ({older})"
        subjects = _window("subject", ":every", every_word=True, sort=shape.subjects_sorted)
        ctes.append(
            f"every_rows AS MATERIALIZED ({_best('subject', True, subjects)} "
            f"UNION ALL {_best('message', True, messages, by_address=by_address)})"
        )
        parts.append("SELECT * FROM every_rows")
    if shape.any_word:
        subjects = _window("subject", ":any", every_word=False)
        messages = _window("message", ":any", every_word=False)
        gate = (
            " WHERE (SELECT count(DISTINCT ticket_id) FROM every_rows) < :limit"
            if shape.every_word
            else ""
        )
        parts.append(
            f"SELECT * FROM ({_best('subject', False, subjects)} "
            f"UNION ALL {_best('message', False, messages)}) AS any_rows{gate}"
        )
    ctes.append(f"candidates AS ({' UNION ALL '.join(parts)})")
    # Per ticket: its subject's best score (weighted) plus its best message's; that
    # message, the newest of equals, those of the every-word windows first. In float8,
    # as the tally in Python sums the float4 scores.
    return (
        f"WITH {', '.join(ctes)} "
        "SELECT ticket_id, bool_or(every_word) AS every_word, "
        "CAST(:subject_weight AS float8) * "
        "coalesce(max(score) FILTER (WHERE kind = 'subject'), 0)::float8 "
        "+ coalesce(max(score) FILTER (WHERE kind = 'message' AND score > 0), 0)::float8 "
        "AS score, (array_agg(message_seq ORDER BY score DESC, every_word DESC, "
        "message_seq DESC) FILTER (WHERE kind = 'message' AND score > 0))[1] AS message_seq "
        "FROM candidates GROUP BY ticket_id "
        "ORDER BY every_word DESC, score DESC, ticket_id LIMIT :limit"
    )


@lru_cache(maxsize=32)  # ~15 shapes occur: see Shape
def statement(shape: Shape) -> Select[Any]:
    """The search of ``shape``, with the page's tickets and best messages joined to it."""
    hits = (
        text(_hits_sql(shape))
        .columns(ticket_id=Uuid, every_word=Boolean, score=Float, message_seq=BigInteger)
        .subquery("hits")
    )
    messages = t.ticket_messages
    return (
        select(
            t.tickets,
            hits.c.every_word.label("hit_every_word"),
            hits.c.score.label("hit_score"),
            messages.c.id.label("message_id"),
            messages.c.kind.label("message_kind"),
            messages.c.body.label("message_body"),
        )
        .select_from(
            hits.join(t.tickets, t.tickets.c.id == hits.c.ticket_id).outerjoin(
                # A message moved to another ticket since: the subject is shown instead.
                messages,
                and_(messages.c.seq == hits.c.message_seq, messages.c.ticket_id == t.tickets.c.id),
            )
        )
        .order_by(hits.c.every_word.desc(), hits.c.score.desc(), hits.c.ticket_id)
    )


def search_page(
    conn: Connection,
    *,
    any_query: str,
    every_query: str | None,
    every_groups: Sequence[Sequence[str]],
    any_word: bool,
    limits: Mapping[str, int | float],
    reading: Reading | None = None,
) -> list[Any]:
    """The page of a search, best first: each ticket's row with ``hit_every_word``,
    ``hit_score`` and its best message's ``message_id``, ``message_kind`` and
    ``message_body`` (None when only the subject matched).

    ``any_query`` and ``every_query`` are tsquery texts (``every_query`` None when the
    query has no words of its own, only synonyms), ``every_groups`` the lexemes the
    every-word query requires, grouped by the run of text they come from (see
    :meth:`WordStatistics.phrase_share`), ``any_word`` whether the any-word windows
    may be needed. ``limits``: window, pool, subject_span, recent, limit and
    subject_weight. ``reading`` forces how the every-word message window of several
    words is read; None lets :func:`message_reading` decide."""
    values: dict[str, object] = {**limits, "any": any_query, "every": every_query or ""}
    lexemes = [lexeme for group in every_groups for lexeme in group]
    several = every_query is not None and len(lexemes) > 1
    chosen = Reading.WHOLE
    subjects_sorted = messages_sorted = False
    if every_query is not None:
        statistics = search_statistics(conn)
        messages, window = statistics.messages, int(limits["window"])
        if several:
            recent = int(limits["recent"])
            chosen = (
                message_reading(messages, every_groups, recent, window)
                if reading is None
                else reading
            )
            # A literal bound, not a subquery: the planner sizes the range from it.
            values["floor"] = messages.newest - (WALK_SPAN if chosen is Reading.WALK else recent)
            if chosen is not Reading.WALK and messages.newest <= recent:
                chosen = Reading.WHOLE  # no older part to read after the recent one
        elif lexemes:
            subjects_sorted = sorts(statistics.subjects, lexemes[0], window)
            messages_sorted = sorts(messages, lexemes[0], window)
    shape = Shape(
        every_query is not None, any_word, several, chosen, subjects_sorted, messages_sorted
    )
    # Planned for the words searched for, every time. psycopg prepares a statement run
    # five times, and PostgreSQL may then reuse one generic plan for any words: planned
    # for none, it read "scam call" in 74 ms instead of 2 (ad hoc; bench/RESULTS.md).
    driver: Any = conn.connection.driver_connection  # psycopg's Connection
    threshold = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        return list(conn.execute(statement(shape), values))
    finally:
        driver.prepare_threshold = threshold

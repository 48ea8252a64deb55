"""How help-centre search stays fast on a large corpus: term counts, candidate planning,
and the index upgrading itself, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine, text

from walletdesk.core.clock import FakeClock
from walletdesk.db.engine import make_engine
from walletdesk.settings import Settings
from walletdesk.support.helpcenter import tables as help_tables
from walletdesk.support.helpcenter.articles import Article, Category, shipped_articles
from walletdesk.support.helpcenter.search_index import (
    HEAD_INDEX,
    TERMS_TABLE,
    VECTOR_INDEX,
    ensure_search_index,
    search_index_ready,
)
from walletdesk.support.helpcenter.search_plan import (
    CANDIDATE_BUDGET,
    SearchPlan,
    TermCounts,
    plan_search,
    term_counts,
)
from walletdesk.support.helpcenter.service import load_articles, search_articles
from walletdesk.support.helpcenter.tokenize import QueryTerm

assert help_tables.help_articles.name == "help_articles"

BACKENDS = ["sqlite", "postgres"]

RARE, COMMON, TITLED, ABSENT = (
    QueryTerm("quokka"),
    QueryTerm("payment", prefix=True),
    QueryTerm("receipt", prefix=True),
    QueryTerm("退款"),
)


# -- planning (no database) -----------------------------------------------------------


def test_a_query_within_the_budget_is_searched_whole_without_the_absent_terms() -> None:
    counts = {RARE: TermCounts(3, 1), COMMON: TermCounts(200, 5), ABSENT: TermCounts(0, 0)}
    plan = plan_search([RARE, COMMON, ABSENT], counts, budget=300)
    assert plan == SearchPlan(rank=(RARE, COMMON), anywhere=(RARE, COMMON), narrowed=False)


def test_over_the_budget_rare_terms_choose_the_candidates_and_every_term_ranks() -> None:
    counts = {RARE: TermCounts(3, 1), COMMON: TermCounts(5000, 900), TITLED: TermCounts(800, 4)}
    plan = plan_search([COMMON, RARE, TITLED], counts, budget=300)
    assert plan.narrowed
    assert plan.rank == (COMMON, RARE, TITLED)
    # "receipt" is common in bodies but rare in titles: it chooses by its title matches.
    assert (plan.anywhere, plan.head) == ((RARE,), (TITLED,))


def test_taking_a_term_anywhere_replaces_taking_it_in_titles() -> None:
    counts = {RARE: TermCounts(100, 5), TITLED: TermCounts(180, 0), COMMON: TermCounts(5000, 0)}
    plan = plan_search([RARE, TITLED, COMMON], counts, budget=300)
    # 5 (RARE in titles) then 100 - 5 (RARE anywhere) then 180: 280 postings.
    assert (plan.anywhere, plan.head) == ((RARE, TITLED), ())


def test_when_nothing_fits_the_budget_the_rarest_choice_alone_chooses() -> None:
    counts = {COMMON: TermCounts(5000, 900), TITLED: TermCounts(800, 400)}
    plan = plan_search([COMMON, TITLED], counts, budget=300)
    assert (plan.anywhere, plan.head, plan.narrowed) == ((), (TITLED,), True)


def test_a_query_no_article_can_match_plans_nothing() -> None:
    assert plan_search([ABSENT], {ABSENT: TermCounts(0, 0)}).rank == ()


# -- on a corpus larger than the budget -----------------------------------------------


def _filler(count: int) -> list[Article]:
    """Articles that all say "payment" (also in the title) and "receipt" (only in the
    body), so both are far over the budget."""
    return [
        Article(
            slug=f"filler-{number:04d}",
            locale="en",
            category=Category.PAYMENT_FAILURE,
            title=f"Payment note {number}",
            body_markdown="A payment is sent from your balance. Keep the receipt.\n",
        )
        for number in range(count)
    ]


def _article(slug: str, title: str, body: str) -> Article:
    return Article(slug, "en", Category.PAYMENT_FAILURE, title, body + "\n")


@pytest.fixture
def large(engine: Engine, clock: FakeClock) -> Engine:
    articles = [
        *_filler(CANDIDATE_BUDGET + 20),
        # Same length, same rare word: only the common word tells them apart.
        _article("b-quokka-payments", "Quokka payment guide", "A quokka may pay."),
        _article("a-quokka-pouches", "Quokka pouch guide", "A quokka may pay."),
        _article("receipts-explained", "Receipts explained", "Where to find one."),
    ]
    load_articles(engine, clock, articles)
    return engine


def test_the_rare_word_chooses_and_the_common_word_still_ranks(large: Engine) -> None:
    with large.connect() as conn:
        counts = term_counts(conn, [RARE, COMMON], "en")
    assert counts[RARE] == TermCounts(2, 2)
    assert counts[COMMON].documents > CANDIDATE_BUDGET
    hits = search_articles(large, "quokka payment", locale="en", limit=10)
    # Only the quokka articles are candidates, not the hundreds saying "payment"; but
    # "payment" still ranks them, so it puts the one with it in its title first
    # (without it the two would tie, and a tie goes to the slug that sorts first).
    assert [hit.slug for hit in hits] == ["b-quokka-payments", "a-quokka-pouches"]


def test_a_word_common_in_bodies_but_rare_in_titles_finds_the_titles(large: Engine) -> None:
    with large.connect() as conn:
        counts = term_counts(conn, [TITLED], "en")
    assert counts[TITLED] == TermCounts(CANDIDATE_BUDGET + 21, 1)
    hits = search_articles(large, "receipts", locale="en", limit=10)
    assert [hit.slug for hit in hits] == ["receipts-explained"]


def test_term_counts_follow_edits_as_a_rebuild_would_count(large: Engine, clock: FakeClock) -> None:
    first = _filler(1)[0]
    load_articles(
        large,
        clock,
        [
            _article("a-quokka-pouches", "Pouch guide", "No marsupials here."),
            replace(first, body_markdown=first.body_markdown + "A quokka paid.\n"),
        ],
    )
    with large.connect() as conn:
        # b-quokka-payments in its title, filler-0000 in its body.
        assert term_counts(conn, [RARE], "en")[RARE] == TermCounts(2, 1)
        incremental = conn.execute(text(f"SELECT * FROM {TERMS_TABLE}")).all()
    with large.begin() as conn:
        conn.execute(text(f"DELETE FROM {TERMS_TABLE}"))
    ensure_search_index(large)  # the counts disagree with the index: rebuilt
    with large.connect() as conn:
        rebuilt = conn.execute(text(f"SELECT * FROM {TERMS_TABLE}")).all()
    assert sorted(map(tuple, rebuilt)) == sorted(map(tuple, incremental))


def test_a_database_with_the_previous_index_upgrades_itself_on_the_first_search(
    engine: Engine, clock: FakeClock, database_settings: Settings
) -> None:
    load_articles(engine, clock)
    with engine.begin() as conn:
        # Back to the layout before term counts (and, on PostgreSQL, the title index
        # and in-place GIN updates).
        conn.execute(text(f"DROP TABLE {TERMS_TABLE}"))
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"DROP INDEX {HEAD_INDEX}"))
            conn.execute(text(f"ALTER INDEX {VECTOR_INDEX} RESET (fastupdate)"))
        assert not search_index_ready(conn)
    # A new process (a new engine) has not checked this database yet.
    fresh = make_engine(database_settings)
    try:
        hits = search_articles(fresh, "忘记密码怎么办", locale="zh-CN", limit=1)
        assert [hit.slug for hit in hits] == ["forgot-password"]
        with fresh.connect() as conn:
            assert search_index_ready(conn)
            documents = conn.execute(
                text(f"SELECT documents FROM {TERMS_TABLE} WHERE locale = '' AND token = ''")
            ).scalar_one()
        assert documents == len(shipped_articles())
    finally:
        fresh.dispose()

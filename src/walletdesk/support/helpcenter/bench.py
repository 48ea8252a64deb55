"""Help-centre search benchmark: latency and recall@3 at a realistic corpus size.

The shipped articles are padded with synthetic ones made of their own sentences,
shuffled and mixed across articles, so the corpus has the vocabulary and token
statistics of real help text (every query term is common, as it would be in a
large help centre) while the real articles stay the ones that should rank first.
SQLite runs in a temporary file; PostgreSQL in a scratch database created on the
given server and dropped afterwards.
"""

from __future__ import annotations

import random
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.engine import make_url

from walletdesk.core.clock import SystemClock
from walletdesk.db.engine import make_engine, normalise_url
from walletdesk.db.scratch import scratch_postgres
from walletdesk.settings import Settings
from walletdesk.support.helpcenter.articles import Article, Category, shipped_articles
from walletdesk.support.helpcenter.labelled_queries import LABELLED_QUERIES
from walletdesk.support.helpcenter.search_index import (
    TERMS_TABLE,
    ensure_search_index_in,
    index_articles,
)
from walletdesk.support.helpcenter.service import load_articles, search_articles
from walletdesk.support.helpcenter.snippets import plain_text
from walletdesk.support.helpcenter.tables import help_articles
from walletdesk.support.helpcenter.tokenize import is_chinese

TARGET_P95_MS = 10.0
TARGET_RECALL_AT_3 = 0.9
_SENTENCE = re.compile(r"[^.!?。！？]+[.!?。！？]?")
_ROUNDS = 5
_SENTENCES_PER_ARTICLE = (4, 9)
_INDEX_BATCH = 1000


def _sentences(articles: list[Article]) -> dict[str, list[str]]:
    pool: dict[str, list[str]] = {}
    for article in articles:
        found = [s.strip() for s in _SENTENCE.findall(plain_text(article.body_markdown))]
        pool.setdefault(article.locale, []).extend(s for s in found if len(s) > 8)
    return pool


def synthetic_articles(count: int, seed: int = 7) -> Iterator[Article]:
    """``count`` articles whose text is real help sentences, shuffled. Deterministic."""
    real = shipped_articles()
    pool = _sentences(real)
    titles = {locale: [a.title for a in real if a.locale == locale] for locale in pool}
    rng = random.Random(seed)
    locales = sorted(pool)
    categories = [c for c in Category if c is not Category.OTHER]
    for number in range(count):
        locale = locales[number % len(locales)]
        body = rng.sample(pool[locale], rng.randint(*_SENTENCES_PER_ARTICLE))
        # Titles borrow the first half of a real title, so titles compete too.
        title = _half_title(rng.choice(titles[locale])) + f" #{number}"
        yield Article(
            slug=f"synthetic-{number:06d}",
            locale=locale,
            category=rng.choice(categories),
            title=title,
            body_markdown=" ".join(body) + "\n",
            tags=(),
        )


def _half_title(title: str) -> str:
    """The first half of a title: of its words in English, of its characters in Chinese.

    Chinese titles have no spaces between words, so halving their space-separated words
    kept most of them whole: every real Chinese article then had ~200 synthetic twins
    with its exact title, and recall@3 at 10,000 articles measured those twins (SQLite
    0.70, bench/RESULTS.md "Help-centre search, eighth sitting")."""
    if is_chinese(title):
        return title[: max(2, len(title) // 2)]
    words = title.split()
    return " ".join(words[: max(1, len(words) // 2)])


def _load_shipped(engine: Engine) -> None:
    help_articles.create(engine, checkfirst=True)
    load_articles(engine)


def _fill(engine: Engine, size: int) -> float:
    """Pad the shipped articles (loaded) with synthetic ones up to ``size`` rows. Returns
    seconds."""
    started = time.perf_counter()
    now = SystemClock().now()
    missing = max(0, size - len(shipped_articles()))
    with engine.begin() as conn:
        ensure_search_index_in(conn)
        batch: list[tuple[int, Article]] = []
        for article in synthetic_articles(missing):
            article_id = conn.execute(
                insert(help_articles)
                .values(
                    slug=article.slug,
                    locale=article.locale,
                    category=article.category.value,
                    title=article.title,
                    body_markdown=article.body_markdown,
                    tags=[],
                    status=article.status.value,
                    updated_at=now,
                )
                .returning(help_articles.c.id)
            ).scalar_one()
            batch.append((article_id, article))
            if len(batch) >= _INDEX_BATCH:
                index_articles(conn, batch)
                batch.clear()
        index_articles(conn, batch)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ANALYZE help_articles, {TERMS_TABLE}")
    return time.perf_counter() - started


def _recall_at_3(engine: Engine) -> dict[str, float]:
    """The share of labelled queries with an expected article in the top three: overall
    and per language."""
    asked: dict[str, int] = {}
    answered: dict[str, int] = {}
    for labelled in LABELLED_QUERIES:
        hits = search_articles(engine, labelled.query, locale=labelled.locale, limit=3)
        asked[labelled.locale] = asked.get(labelled.locale, 0) + 1
        found = any(hit.slug in labelled.expected for hit in hits)
        answered[labelled.locale] = answered.get(labelled.locale, 0) + found
    recall = {"all": round(sum(answered.values()) / sum(asked.values()), 3)}
    for locale in sorted(asked):
        recall[locale] = round(answered[locale] / asked[locale], 3)
    return recall


def _measure(engine: Engine) -> dict[str, Any]:
    for labelled in LABELLED_QUERIES:  # warm caches and the statement cache
        search_articles(engine, labelled.query, locale=labelled.locale, limit=3)
    latencies: list[float] = []
    for _ in range(_ROUNDS):
        for labelled in LABELLED_QUERIES:
            started = time.perf_counter()
            search_articles(engine, labelled.query, locale=labelled.locale, limit=3)
            latencies.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(latencies, n=100)
    recall = _recall_at_3(engine)
    return {
        "searches": len(latencies),
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "max_ms": round(max(latencies), 2),
        "recall_at_3": recall["all"],
        "recall_at_3_by_locale": recall,
    }


def _run(engine: Engine, articles: int) -> dict[str, Any]:
    # Recall where the labelled queries belong, the shipped help centre (the issue's
    # target, >= 0.9), then, with latency, at ``articles`` (a stress test of ranking).
    _load_shipped(engine)
    shipped = _recall_at_3(engine)
    index_seconds = _fill(engine, articles)
    result = _measure(engine)
    result["recall_at_3_shipped"] = shipped
    result["index_seconds"] = round(index_seconds, 1)
    result["meets_target"] = result["p95_ms"] <= TARGET_P95_MS
    result["meets_recall_target"] = min(shipped.values()) >= TARGET_RECALL_AT_3
    return result


def run_search_bench(engine_url: str | None, articles: int = 10_000) -> dict[str, Any]:
    """Search latency (p50/p95/max in ms) and recall@3 over the labelled queries.

    Always runs on SQLite in a temporary file; also on PostgreSQL when
    ``engine_url`` names a server (a scratch database is created there and
    dropped; any other URL is ignored). ``articles`` is the corpus size including the
    shipped articles.
    Each backend runs every labelled query five times, one at a time.
    """
    report: dict[str, Any] = {
        "articles": articles,
        "queries": len(LABELLED_QUERIES),
        "target_p95_ms": TARGET_P95_MS,
        "target_recall_at_3": TARGET_RECALL_AT_3,
        "backends": {},
    }
    with tempfile.TemporaryDirectory(prefix="walletdesk-helpbench-") as folder:
        url = f"sqlite:///{Path(folder) / 'help.db'}"
        engine = make_engine(Settings(database_url=url))
        try:
            report["backends"]["sqlite"] = _run(engine, articles)
        finally:
            engine.dispose()
    if engine_url is not None and make_url(normalise_url(engine_url)).get_backend_name() == (
        "postgresql"
    ):
        with scratch_postgres(engine_url, "walletdesk_helpbench") as engine:
            report["backends"]["postgres"] = _run(engine, articles)
    return report

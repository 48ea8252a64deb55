"""The help-search benchmark runs end to end on a small corpus, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from walletdesk.db.engine import normalise_url
from walletdesk.db.scratch import scratch_postgres
from walletdesk.settings import Settings
from walletdesk.support.helpcenter.articles import shipped_articles
from walletdesk.support.helpcenter.bench import (
    TARGET_P95_MS,
    TARGET_RECALL_AT_3,
    run_search_bench,
    synthetic_articles,
)
from walletdesk.support.helpcenter.labelled_queries import LABELLED_QUERIES

BACKENDS = ["postgres"]


def test_the_help_bench_measures_both_databases_and_leaves_no_database_behind(
    database_settings: Settings,
) -> None:
    url = database_settings.database_url
    admin = create_engine(normalise_url(url))

    def scratch_databases() -> set[str]:
        with admin.connect() as conn:
            names = conn.execute(text("SELECT datname FROM pg_database")).scalars()
            return {name for name in names if name.startswith("walletdesk_helpbench_")}

    before = scratch_databases()
    report = run_search_bench(url, articles=150)
    assert scratch_databases() == before
    admin.dispose()
    assert set(report["backends"]) == {"sqlite", "postgres"}
    for result in report["backends"].values():
        assert result["searches"] == len(LABELLED_QUERIES) * 5
        assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["max_ms"]
        assert 0 <= result["recall_at_3"] <= 1
        assert result["meets_target"] == (result["p95_ms"] <= TARGET_P95_MS)
        shipped = result["recall_at_3_shipped"]
        assert set(shipped) == {"all", "en", "zh-CN"} == set(result["recall_at_3_by_locale"])
        assert result["meets_recall_target"] == (min(shipped.values()) >= TARGET_RECALL_AT_3)
        # The shipped help centre is what the labelled queries were written for: its
        # recall is the target's, and it is met on both databases.
        assert result["meets_recall_target"]
    # An URL of another database is never written to: no PostgreSQL part at all.
    assert set(run_search_bench("sqlite:///unused.db", articles=60)["backends"]) == {"sqlite"}


def test_a_scratch_database_is_made_on_postgres_only() -> None:
    with (
        pytest.raises(ValueError, match="PostgreSQL server only"),
        scratch_postgres("sqlite:///unused.db", "walletdesk_test"),
    ):
        pass


def test_synthetic_articles_never_carry_a_real_title_whole() -> None:
    # Chinese titles have no spaces: halving them by words once kept them whole, and
    # recall at 10,000 articles measured ~200 twins of each real article's title.
    real = {article.title for article in shipped_articles()}
    for article in synthetic_articles(400):
        borrowed = article.title.rsplit(" #", 1)[0]
        assert borrowed not in real
        assert any(title.startswith(borrowed) for title in real)

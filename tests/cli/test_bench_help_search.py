"""The help-search benchmark runs end to end on a small corpus, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from walletdesk.db.engine import normalise_url
from walletdesk.db.scratch import scratch_postgres
from walletdesk.settings import Settings
from walletdesk.support.helpcenter.bench import TARGET_P95_MS, run_search_bench
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
    # An URL of another database is never written to: no PostgreSQL part at all.
    assert set(run_search_bench("sqlite:///unused.db", articles=60)["backends"]) == {"sqlite"}


def test_a_scratch_database_is_made_on_postgres_only() -> None:
    with (
        pytest.raises(ValueError, match="PostgreSQL server only"),
        scratch_postgres("sqlite:///unused.db", "walletdesk_test"),
    ):
        pass

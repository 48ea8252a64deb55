"""The ticket-search benchmark runs end to end on a small desk and reports what it promises."""

from __future__ import annotations

from typing import Any

import pytest

from walletdesk.settings import Settings
from walletdesk.support.tickets import bench_search
from walletdesk.support.tickets.search_postgres import Reading

BACKENDS = ["postgres"]
# Enough tickets (~600) for the bench's 1-in-100 draw to pick several known items.
MESSAGES = 3_000


def check(result: dict[str, Any]) -> None:
    assert result["searches"] == len(bench_search.QUERIES) * bench_search.ROUNDS
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["max_ms"]
    slowest = list(result["slowest_ms"].values())
    assert len(slowest) == 3
    assert set(result["slowest_ms"]) <= set(bench_search.QUERIES)
    assert slowest == sorted(slowest, reverse=True)
    assert result["max_ms"] >= slowest[0] > 0
    # Every ticket the bench drew is found first by its number and by its order number.
    assert result["known_items"] >= 1
    assert result["first_by_number"] == result["known_items"]
    assert result["first_by_order_number"] == result["known_items"]
    assert result["index_ms_per_new_message"] >= 0
    assert result["tickets"] > 0


def test_the_bench_runs_on_sqlite_alone_without_a_server() -> None:
    report = bench_search.run(None, messages=MESSAGES)
    assert report["messages"] == MESSAGES
    assert set(report["backends"]) == {"sqlite"}
    check(report["backends"]["sqlite"])


def test_the_bench_runs_on_postgres_in_a_scratch_database(database_settings: Settings) -> None:
    report = bench_search.run(database_settings.database_url, messages=MESSAGES)
    assert set(report["backends"]) == {"sqlite", "postgres"}
    postgres = report["backends"]["postgres"]
    check(postgres)
    # Each query of several words of the bench's set was timed read each way.
    choices = postgres["reading"]
    assert choices["queries"] == len(choices["by_query"]) > 0
    assert 0 <= choices["chose_fastest"] <= choices["queries"]
    # However the messages were read, each query found the same page.
    assert choices["same_pages"] == choices["queries"]
    ways = [f"{reading}_ms" for reading in Reading]
    for item in choices["by_query"].values():
        assert all(item[way] > 0 for way in ways)
        chosen = item[f"{item['chose']}_ms"]
        # Rounded to 0.01 ms from unrounded times: within a rounding step of these.
        lost = chosen - min(item[way] for way in ways)
        assert item["lost_ms"] == pytest.approx(lost, abs=0.011)
    assert "reading" not in report["backends"]["sqlite"]

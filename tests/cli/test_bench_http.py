"""The HTTP benchmark's report, from a short SQLite-only run through a real uvicorn."""

from __future__ import annotations

import json

from walletdesk.benchmarks.http import run_http_bench


def test_a_short_run_pays_through_the_real_server_and_reports_every_figure() -> None:
    report = run_http_bench(None, 1.5, 4, workers=(1,), customers=4, warmup=0.5)

    json.dumps(report)  # the CLI prints it as JSON
    assert {"date", "machine", "parameters", "backends", "targets", "all_targets_pass"} <= set(
        report
    )
    assert {"platform", "cpu_count", "python", "sqlite_version"} <= set(report["machine"])
    assert report["backends"]["postgresql"]["available"] is False

    sqlite = report["backends"]["sqlite"]
    assert sqlite["available"] is True
    assert sqlite["ledger_invariants_ok"] is True
    [run] = sqlite["runs"]
    assert run["workers"] == 1
    assert run["payments_per_second"] > 0
    assert run["errors"] == 0
    assert run["p50_ms"] is not None
    assert 0 < run["p50_ms"] <= run["p99_ms"]
    assert run["consistency"]["match"] is True
    assert run["consistency"]["succeeded_in_database"] >= run["payments"]["measured_requests"]

    health = run["health"]
    assert health["requests_per_second"] > 0
    assert health["errors"] == 0
    assert 0 < health["p50_ms"] <= health["p99_ms"]
    assert run["payments_to_health"] > 0
    assert set(run["targets"].values()) <= {"pass", "fail"}

    statuses = {(t["backend"], t["workers"], t["metric"]): t["status"] for t in report["targets"]}
    assert statuses[("sqlite", 1, "payments_per_second")] in {"pass", "fail"}
    assert statuses[("sqlite", 1, "p99_ms")] in {"pass", "fail"}
    assert statuses[("postgresql", None, "payments_per_second")] == "not_run"

"""The ledger benchmark's report, from a quick SQLite-only run."""

from __future__ import annotations

import json

from walletdesk.benchmarks.ledger import run_all


def test_a_quick_run_reports_every_figure_beside_its_baseline() -> None:
    report = run_all(postgres_url=None, quick=True, history_sizes=[500])

    json.dumps(report)  # the CLI prints it as JSON
    assert {"date", "machine", "backends", "targets"} <= report.keys()
    assert {"platform", "cpu_count", "python", "sqlite_version"} <= report["machine"].keys()
    assert report["backends"]["postgresql"]["available"] is False

    sqlite = report["backends"]["sqlite"]
    assert set(sqlite["scenarios"]) == {"single_commit", "batch_1000", "batch_8000"}
    for scenario in sqlite["scenarios"].values():
        assert scenario["engine_tps"] > 0
        assert scenario["baseline_tps"] > 0
        assert scenario["ratio"] > 0
        assert scenario["repetitions"] >= 1
        assert all(x > 0 for x in scenario["engine_tps_runs"] + scenario["baseline_tps_runs"])

    reads = sqlite["read_costs"]["by_size"]["500"]
    assert reads["build_tps"] > 0
    for read in ("get_account", "transfers_first_page", "transfers_deep_page"):
        assert reads[read]["median_us"] > 0
        assert reads[read]["p95_us"] >= reads[read]["median_us"]

    statuses = {(t["backend"], t["scenario"]): t["status"] for t in report["targets"]}
    assert statuses[("postgresql", "batch_8000")] == "not_run"
    assert all(
        statuses[("sqlite", name)] in {"pass", "fail"}
        for name in ("single_commit", "batch_1000", "batch_8000")
    )

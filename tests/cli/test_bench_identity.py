"""`walletdesk bench identity` measures argon2id at the production cost and logins/second."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from walletdesk.cli.main import app


def test_bench_identity_reports_the_production_cost_and_its_figures_as_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A lowered cost in the environment must not reach the figures.
    monkeypatch.setenv("WALLETDESK_ARGON2_TIME_COST", "1")
    result = CliRunner().invoke(app, ["bench", "identity", "--json", "--seconds", "0.5"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["parameters"]["algorithm"] == "argon2id"
    assert (
        report["parameters"]["time_cost"],
        report["parameters"]["memory_kib"],
        report["parameters"]["parallelism"],
    ) == (3, 65536, 1)
    assert report["parameters"]["hash_example"].startswith("$argon2id$v=19$m=65536,t=3,p=1$")
    for figures in (report["argon2"]["hash"], report["argon2"]["verify"], report["login"]):
        assert figures["per_second"] > 0
        assert figures["median_ms"] > 0
    # A login is one argon2 verification (counted, not timed: timings of two separate
    # half-second runs on a shared machine need not keep their order).
    assert report["login"]["argon2_checks_per_login"] == 1.0

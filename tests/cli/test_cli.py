"""The walletdesk command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from walletdesk.cli.main import app


def test_db_upgrade_migrates_the_configured_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'walletdesk.db'}"
    monkeypatch.setenv("WALLETDESK_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "ledger_transfers" in inspect(create_engine(url)).get_table_names()


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "db", "bench"):
        assert command in result.output


def test_ledger_check_passes_on_a_healthy_ledger_and_fails_on_a_broken_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'walletdesk.db'}"
    monkeypatch.setenv("WALLETDESK_DATABASE_URL", url)
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    assert CliRunner().invoke(app, ["demo"]).exit_code == 0
    healthy = CliRunner().invoke(app, ["ledger-check"])
    assert healthy.exit_code == 0, healthy.output
    assert "every invariant holds" in healthy.output
    with create_engine(url).begin() as conn:
        conn.execute(
            text(
                "UPDATE ledger_accounts SET debits_posted = debits_posted + 7 "
                "WHERE id = (SELECT MIN(id) FROM ledger_accounts WHERE debits_posted > 0)"
            )
        )
    broken = CliRunner().invoke(app, ["ledger-check"])
    assert broken.exit_code == 1
    assert "problem" in broken.output

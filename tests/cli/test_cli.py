"""The walletdesk command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from walletdesk.cli.main import app
from walletdesk.settings import Settings


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


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::"])
def test_serve_refuses_an_outside_address_while_a_signing_key_is_the_published_default(
    host: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'walletdesk.db'}"
    monkeypatch.setenv("WALLETDESK_DATABASE_URL", url)
    monkeypatch.setenv("WALLETDESK_CHANNELS_SECRET", "a-long-random-value-set-by-ops")
    result = CliRunner().invoke(app, ["serve", "--host", host])
    assert result.exit_code == 2
    # Named by the variable that fixes it; the one set is not named.
    assert "WALLETDESK_CSAT_SECRET" in result.output
    assert "WALLETDESK_CHANNELS_SECRET" not in result.output
    assert not (tmp_path / "walletdesk.db").exists()  # refused before touching anything


def test_signing_keys_are_checked_for_outside_addresses_only_and_never_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings()
    assert settings.unsafe_signing_keys("127.0.0.1") == []
    assert settings.unsafe_signing_keys("localhost") == []
    assert settings.unsafe_signing_keys("0.0.0.0") == [
        "WALLETDESK_CHANNELS_SECRET",
        "WALLETDESK_CSAT_SECRET",
    ]
    monkeypatch.setenv("WALLETDESK_CHANNELS_SECRET", "x" * 40)
    monkeypatch.setenv("WALLETDESK_CSAT_SECRET", "y" * 40)
    assert Settings().unsafe_signing_keys("0.0.0.0") == []
    for short in ("", "short"):
        monkeypatch.setenv("WALLETDESK_CSAT_SECRET", short)
        with pytest.raises(ValidationError, match="csat_secret needs at least 16"):
            Settings()

"""`walletdesk audit verify`: exit 0 when intact, 1 when tampered with, 2 when it cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine, update
from typer.testing import CliRunner

from walletdesk.audit import tables as t
from walletdesk.audit.cli import audit_app
from walletdesk.core.clock import FakeClock
from walletdesk.settings import Settings

from .audit_world import tampering, write_chain


def point_cli_at(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("WALLETDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("WALLETDESK_ISOLATION_LEVEL", settings.isolation_level)
    monkeypatch.setenv("WALLETDESK_AUDIT_ANCHOR_FILE", settings.audit_anchor_file)


def test_verify_exits_0_on_an_intact_chain(
    engine: Engine,
    clock: FakeClock,
    database_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written = write_chain(engine, clock, 3)
    point_cli_at(monkeypatch, database_settings)

    result = CliRunner().invoke(audit_app, ["verify"])

    assert result.exit_code == 0, result.output
    assert result.output == (
        f"3 records checked; head at seq 3, hash {written[-1].hash}\n"
        "OK: the audit chain is intact.\n"
    )


def test_verify_exits_1_and_lists_the_problems_on_a_tampered_database(
    engine: Engine,
    clock: FakeClock,
    database_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written = write_chain(engine, clock, 3)
    with tampering(engine) as conn:
        conn.execute(update(t.audit_log).where(t.audit_log.c.seq == 2).values(actor_role="admin"))
    point_cli_at(monkeypatch, database_settings)

    result = CliRunner().invoke(audit_app, ["verify"])

    assert result.exit_code == 1
    assert result.output == (
        f"3 records checked; head at seq 3, hash {written[-1].hash}\n"
        "TAMPERED: 1 problem(s) found.\n"
        "  seq 2: hash_mismatch - the row's fields do not match its hash\n"
    )


def test_verify_exits_2_when_the_log_cannot_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database without the audit tables: nothing to verify, which is not "intact".
    monkeypatch.setenv("WALLETDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")

    result = CliRunner().invoke(audit_app, ["verify"])

    assert result.exit_code == 2
    assert "audit log could not be checked: OperationalError" in result.output


def test_verify_is_reachable_as_a_sub_command_of_the_main_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lead wires it with `app.add_typer(audit_app, name="audit")`.
    app = typer.Typer()

    @app.command()
    def serve() -> None:
        """Stands in for the real app's other commands."""

    app.add_typer(audit_app, name="audit")
    monkeypatch.setenv("WALLETDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")

    assert "verify" in CliRunner().invoke(app, ["audit", "--help"]).output
    assert CliRunner().invoke(app, ["audit", "verify"]).exit_code == 2

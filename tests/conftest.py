"""Shared fixtures: a fresh database per test on SQLite and, when reachable, PostgreSQL.

PostgreSQL: the suite creates one scratch database per run (``walletdesk_test_*``),
creates the schema there once, empties every table between tests, and drops the
database at the end. Outside CI an unreachable server skips those tests with a
clear note in the summary; in CI (``CI=true``) or with
``WALLETDESK_REQUIRE_POSTGRES=1`` an unreachable server fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from walletdesk.core.clock import FakeClock
from walletdesk.db.engine import make_engine, normalise_url
from walletdesk.db.schema import metadata
from walletdesk.ledger.service import Ledger
from walletdesk.settings import Settings

ADMIN_URL = os.environ.get(
    "WALLETDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = (
    os.environ.get("CI", "").lower() == "true"
    or os.environ.get("WALLETDESK_REQUIRE_POSTGRES") == "1"
)

BACKENDS = ["sqlite", "postgres", "postgres-serializable"]


@dataclass
class PostgresServer:
    url: str | None
    reason: str = ""


_SKIPPED_POSTGRES: list[str] = []


def _admin_engine() -> Engine:
    return create_engine(normalise_url(ADMIN_URL), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    name = f"walletdesk_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure to reach the server means "no PostgreSQL here"
        reason = f"PostgreSQL not reachable at {make_url(ADMIN_URL).host}: {type(exc).__name__}"
        if REQUIRE_POSTGRES:
            pytest.fail(f"{reason} — PostgreSQL tests are required in CI", pytrace=False)
        yield PostgresServer(url=None, reason=reason)
        return
    url = make_url(normalise_url(ADMIN_URL)).set(database=name).render_as_string(False)
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    try:
        yield PostgresServer(url=url)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{table.name}"' for table in reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_settings(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: PostgresServer
) -> Iterator[Settings]:
    """Settings pointing at an empty database of the parametrised backend."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'walletdesk.db'}",
            audit_anchor_file=str(tmp_path / "audit-anchors.jsonl"),
        )
        engine = make_engine(settings)
        metadata.create_all(engine)
        engine.dispose()
        yield settings
        return
    if postgres_server.url is None:
        _SKIPPED_POSTGRES.append(request.node.nodeid)
        pytest.skip(postgres_server.reason)
    _truncate_all(postgres_server.url)
    isolation = "SERIALIZABLE" if backend == "postgres-serializable" else "READ COMMITTED"
    yield Settings(
        database_url=postgres_server.url,
        isolation_level=isolation,
        audit_anchor_file=str(tmp_path / "audit-anchors.jsonl"),
    )


@pytest.fixture
def engine(database_settings: Settings) -> Iterator[Engine]:
    built = make_engine(database_settings)
    yield built
    built.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger(engine: Engine, clock: FakeClock) -> Ledger:
    return Ledger(engine, clock)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Tests that touch the database run once per backend unless they pin one.
    if "database_settings" in metafunc.fixturenames and not any(
        "database_settings" in (m.args[0] if m.args else "")
        for m in metafunc.definition.iter_markers("parametrize")
    ):
        backends = getattr(metafunc.module, "BACKENDS", BACKENDS)
        metafunc.parametrize("database_settings", backends, indirect=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SKIPPED_POSTGRES:
        terminalreporter.write_sep(
            "!",
            f"PostgreSQL tests SKIPPED: {len(_SKIPPED_POSTGRES)} tests ran on SQLite only "
            "(no server reachable; CI requires them)",
            yellow=True,
        )

"""Shared fixtures: a fresh database per test on SQLite and, when reachable, PostgreSQL.

SQLite: each test gets its own copy of a file made once with the schema.
PostgreSQL: the suite creates one scratch database per run (``walletdesk_test_*``),
creates the schema there once, empties every table between tests, and drops the
database at the end. Under pytest-xdist (``make test``) each worker process is a run
of its own: its own scratch database, SQLite template, temp folder and browser. Outside CI an unreachable server skips those tests with a
clear note in the summary; in CI (``CI=true``) or with
``WALLETDESK_REQUIRE_POSTGRES=1`` an unreachable server fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from walletdesk.core.clock import FakeClock
from walletdesk.db.engine import make_engine, normalise_url
from walletdesk.db.schema import metadata
from walletdesk.ledger.service import Ledger
from walletdesk.settings import Settings
from walletdesk.support.helpcenter.search_index import TERMS_TABLE

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


# Sequences owned by a table's serial or identity column that have handed out a value.
_USED_SEQUENCES_OWNERS = """
SELECT DISTINCT t.relname
FROM pg_depend d
JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_sequences ps
  ON ps.schemaname = s.relnamespace::regnamespace::text AND ps.sequencename = s.relname
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
  AND d.deptype IN ('a', 'i') AND ps.last_value IS NOT NULL
"""


def _truncate_all(engine: Engine) -> None:
    """Leave every table empty with its sequences restarted, as a TRUNCATE of all of them
    would. TRUNCATE costs about the same for an empty table as for a full one (new files
    for the table and each index, ~0.3 s for all 48 here, per test), and a test touches a
    few tables: only those holding rows or whose sequence has moved are truncated.

    The help centre's term counts live in a table made on first use, outside the
    metadata: emptied too once it exists, or one test's articles would weigh in the
    next one's ranking."""
    tables = [table.name for table in metadata.sorted_tables]
    with engine.connect() as conn:
        if conn.execute(text("SELECT to_regclass(:name)"), {"name": TERMS_TABLE}).scalar():
            tables.append(TERMS_TABLE)
    holding_rows = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in tables
    )
    with engine.begin() as conn:
        dirty = set(conn.execute(text(holding_rows)).scalars())
        dirty |= set(conn.execute(text(_USED_SEQUENCES_OWNERS)).scalars()) & set(tables)
        if dirty:
            names = ", ".join(f'"{name}"' for name in tables if name in dirty)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def postgres_cleaner(postgres_server: PostgresServer) -> Iterator[Engine | None]:
    """One engine for emptying the tables between tests (a new one per test costs a connect)."""
    if postgres_server.url is None:
        yield None
        return
    engine = create_engine(postgres_server.url, pool_size=1, pool_pre_ping=True)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the schema, made once per session (per xdist worker) and copied
    for each test: ``create_all`` on a new file costs ~0.1 s, the copy ~1 ms."""
    path = tmp_path_factory.mktemp("sqlite-template") / "walletdesk.db"
    engine = make_engine(Settings(database_url=f"sqlite:///{path}"))
    metadata.create_all(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    # The last connection closed checkpointed the WAL into the file and removed it:
    # the one file is the whole database.
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def database_settings(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_server: PostgresServer,
    postgres_cleaner: Engine | None,
) -> Iterator[Settings]:
    """Settings pointing at an empty database of the parametrised backend."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        database = tmp_path / "walletdesk.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), database)
        yield Settings(
            database_url=f"sqlite:///{database}",
            audit_anchor_file=str(tmp_path / "audit-anchors.jsonl"),
        )
        return
    if postgres_server.url is None or postgres_cleaner is None:
        _SKIPPED_POSTGRES.append(request.node.nodeid)
        pytest.skip(postgres_server.reason)
    _truncate_all(postgres_cleaner)
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The browser tests are the longest (seconds each, a browser and a server per
    # process): run them first, so that under pytest-xdist the workers share them out
    # and finish on the short database tests instead of waiting on one last browser test.
    browser_tests = Path(__file__).parent / "web"
    items.sort(key=lambda item: 0 if item.path.is_relative_to(browser_tests) else 1)


# Under pytest-xdist (`make test`) the tests run in worker processes while the summary is
# printed by the controller: each worker hands its notes over when it finishes. The
# browser's note comes from tests/web/conftest.py, which the controller does not import.
_WORKER_OUTPUT_KEY = "walletdesk_skipped_postgres"
_BROWSER_OUTPUT_KEY = "walletdesk_skipped_browser"
_SKIPPED_BROWSER_ON_WORKERS: list[str] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker
        workeroutput[_WORKER_OUTPUT_KEY] = list(_SKIPPED_POSTGRES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:  # xdist controller
    output = getattr(node, "workeroutput", {})
    _SKIPPED_POSTGRES.extend(output.get(_WORKER_OUTPUT_KEY, []))
    _SKIPPED_BROWSER_ON_WORKERS.extend(output.get(_BROWSER_OUTPUT_KEY, []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SKIPPED_POSTGRES:
        terminalreporter.write_sep(
            "!",
            f"PostgreSQL tests SKIPPED: {len(_SKIPPED_POSTGRES)} tests ran on SQLite only "
            "(no server reachable; CI requires them)",
            yellow=True,
        )
    if _SKIPPED_BROWSER_ON_WORKERS:  # the same words as tests/web/conftest.py's own note
        terminalreporter.write_sep(
            "!",
            f"browser tests SKIPPED: {_SKIPPED_BROWSER_ON_WORKERS[0]} (CI requires them)",
            yellow=True,
        )

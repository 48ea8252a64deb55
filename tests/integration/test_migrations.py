"""Alembic migrations build exactly the schema the code declares, and roll back cleanly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect, text

from walletdesk.db import migrate
from walletdesk.db.schema import metadata
from walletdesk.settings import Settings

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(autouse=True)
def schema_restored_afterwards(engine: Engine) -> Iterator[None]:
    """The PostgreSQL test database is shared by the whole run: leave it as create_all
    made it (no Alembic marker, no triggers), whatever these tests did or failed at."""
    yield
    start_from_nothing(engine)
    metadata.create_all(engine)


def start_from_nothing(engine: Engine) -> None:
    """The fixture made the schema with create_all; remove it, Alembic's marker, and the
    search-index tables other tests created at runtime (they are not Alembic's)."""
    metadata.drop_all(engine)
    leftovers = [
        name
        for name in inspect(engine).get_table_names()
        if name.startswith(
            ("help_articles_search", "ticket_subjects_search", "ticket_messages_search")
        )
    ]
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        for name in leftovers:
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))


def test_upgrade_creates_every_declared_table_and_downgrade_removes_them(
    database_settings: Settings, engine: Engine
) -> None:
    start_from_nothing(engine)
    migrate.upgrade(database_settings.database_url)
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert "alembic_version" in tables
    migrate.downgrade(database_settings.database_url, "base")
    assert set(inspect(engine).get_table_names()) & set(metadata.tables) == set()
    migrate.upgrade(database_settings.database_url)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())


def test_migrations_match_the_declared_metadata(
    database_settings: Settings, engine: Engine
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    start_from_nothing(engine)
    migrate.upgrade(database_settings.database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []

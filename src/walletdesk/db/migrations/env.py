"""Alembic environment: the URL comes from walletdesk's settings unless the caller set one."""

from __future__ import annotations

from alembic import context

from walletdesk.db.engine import make_engine
from walletdesk.db.schema import metadata
from walletdesk.settings import Settings

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or Settings().database_url
    engine = make_engine(Settings(database_url=url))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            # SQLite cannot ALTER most things in place; batch mode copies the table.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("walletdesk migrations run online only")
run_migrations_online()

"""Alembic environment: the URL comes from walletdesk's settings unless the caller set one."""

from __future__ import annotations

from alembic import context

from walletdesk.db.engine import make_engine
from walletdesk.db.schema import metadata
from walletdesk.settings import Settings

config = context.config

# The help centre's and the tickets' search indexes are built by
# support.helpcenter.search_index and support.tickets.search on first use (FTS5 tables
# on SQLite, tsvector columns with GIN indexes on PostgreSQL); Alembic must not try to
# drop them.
SEARCH_INDEX_OBJECTS = {
    "help_articles_search",
    "search_vector",
    "ix_help_articles_search_vector",
    "ix_tickets_search_vector",
    "ix_ticket_messages_search_vector",
    "ix_tickets_search_v2",
    "ix_ticket_messages_search_v2",
}
# FTS5 keeps each index in shadow tables named after it (..._data, ..._idx, ...).
SEARCH_INDEX_PREFIXES = ("help_articles_search", "ticket_subjects_search", "ticket_messages_search")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return not (
        reflected
        and name is not None
        and (name in SEARCH_INDEX_OBJECTS or name.startswith(SEARCH_INDEX_PREFIXES))
    )


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
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("walletdesk migrations run online only")
run_migrations_online()

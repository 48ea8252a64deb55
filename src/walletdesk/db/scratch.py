"""Scratch PostgreSQL databases for benchmarks: made on a given server, dropped after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from walletdesk.db.engine import make_engine, normalise_url
from walletdesk.settings import Settings


@contextmanager
def scratch_postgres(server_url: str, prefix: str) -> Iterator[Engine]:
    """An engine on a new database ``<prefix>_<random>`` of the server at ``server_url``;
    the database is dropped WITH (FORCE) afterwards, whatever happened. A real database
    is never written to: the benchmarks fill and measure only what they made."""
    if make_url(normalise_url(server_url)).get_backend_name() != "postgresql":
        raise ValueError("a scratch database is made on a PostgreSQL server only")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(server_url)).set(database=name).render_as_string(False)
    engine = make_engine(Settings(database_url=url))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

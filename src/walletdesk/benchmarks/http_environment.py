"""Where the HTTP benchmark runs: a scratch PostgreSQL database, and a description
of the machine for the report.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sqlite3
import uuid
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from walletdesk.db.engine import normalise_url

# -- PostgreSQL scratch database -------------------------------------------------------


class ScratchDatabase:
    """``<prefix>_<random>`` on the given server, dropped WITH (FORCE) after."""

    def __init__(self, admin: str, database: str, url: str, version: str) -> None:
        self.admin = admin
        self.database = database
        self.url = url
        self.version = version

    @classmethod
    def create(cls, server_url: str, prefix: str = "walletdesk_bench_http") -> ScratchDatabase:
        parsed = make_url(normalise_url(server_url))
        admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        database = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            version = str(row[0]) if row else "unknown"
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        url = parsed.set(database=database).render_as_string(hide_password=False)
        return cls(admin, database, url, version)

    def fast_setup(self, on: bool) -> None:
        """Setup commits need not wait for the disk; the server's sessions use the default."""
        statement = (
            "ALTER DATABASE {} SET synchronous_commit = off"
            if on
            else "ALTER DATABASE {} RESET synchronous_commit"
        )
        with psycopg.connect(self.admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL(statement).format(sql.Identifier(self.database)))

    def drop(self) -> None:
        with psycopg.connect(self.admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.database)
                )
            )


# -- the machine -------------------------------------------------------------------------


def machine_description() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "processor": cpu_model() or platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_start": load_average(),
        "python": platform.python_version(),
        "sqlite_version": sqlite3.sqlite_version,
        "postgresql_version": None,
        "packages": {name: _version(name) for name in _PACKAGES},
    }


_PACKAGES = ("uvicorn", "fastapi", "starlette", "sqlalchemy", "psycopg", "httptools", "uvloop")


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def cpu_model() -> str | None:
    """The processor's model name from /proc/cpuinfo, where there is one."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None

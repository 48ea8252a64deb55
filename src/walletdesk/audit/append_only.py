"""Database-side guard for PostgreSQL: the audit log can only grow.

Triggers make the database itself refuse to UPDATE or DELETE ``audit_log`` rows,
to DELETE the head, and to move the head anywhere but one step forward, so a bug
or a stray hand-written statement cannot rewrite history. They do not stop the
tables' owner (who can drop triggers) and, as row triggers, not TRUNCATE: give
the application's role only SELECT and INSERT on ``audit_log`` and SELECT,
INSERT and UPDATE on ``audit_head`` for that. ``walletdesk audit verify``
detects what slips through either way.
"""

from __future__ import annotations

from sqlalchemy import Connection

_FUNCTIONS = (
    """
    CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        -- Concatenated rather than a format placeholder, whose percent sign the
        -- database driver would take for one of its own parameters.
        RAISE EXCEPTION USING MESSAGE = 'audit_log is append-only: ' || TG_OP || ' refused';
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION audit_head_only_forward() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'audit_head is append-only: DELETE refused';
        END IF;
        IF NEW.id <> OLD.id OR NEW.last_seq <> OLD.last_seq + 1 THEN
            RAISE EXCEPTION 'audit_head may only advance by one record';
        END IF;
        RETURN NEW;
    END
    $$
    """,
)
_TRIGGERS = (
    ("audit_log_append_only", "audit_log", "UPDATE OR DELETE", "audit_log_refuse_change"),
    ("audit_head_forward_only", "audit_head", "UPDATE OR DELETE", "audit_head_only_forward"),
)


def install_append_only_trigger(conn: Connection) -> None:
    """Create (or re-create) the guards on ``audit_log`` and ``audit_head``; PostgreSQL only.

    Idempotent, runs in the caller's transaction (e.g. an Alembic migration's).
    Raises ValueError on any other database.
    """
    _require_postgresql(conn)
    for function in _FUNCTIONS:
        conn.exec_driver_sql(function)
    for name, table, events, function_name in _TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        conn.exec_driver_sql(
            f"CREATE TRIGGER {name} BEFORE {events} ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {function_name}()"
        )


def drop_append_only_trigger(conn: Connection) -> None:
    """Remove what :func:`install_append_only_trigger` created (a migration's downgrade)."""
    _require_postgresql(conn)
    for name, table, _events, _function in _TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for _name, _table, _events, function_name in _TRIGGERS:
        conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function_name}()")


def _require_postgresql(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        raise ValueError(f"the append-only triggers are PostgreSQL-only, not {conn.dialect.name}")

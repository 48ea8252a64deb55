"""Test helpers for the audit log: write records the way services will, and look at raw rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select

from walletdesk.audit import tables as t
from walletdesk.audit.append_only import drop_append_only_trigger
from walletdesk.audit.log import record
from walletdesk.audit.model import AuditRecord, ChainReport
from walletdesk.core.clock import FakeClock
from walletdesk.db.transactions import run_transaction

AGENT_ID = uuid.UUID("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")


def append(engine: Engine, clock: FakeClock, **overrides: Any) -> AuditRecord:
    """One record in its own transaction, every optional field filled unless overridden."""
    fields: dict[str, Any] = {
        "action": "agent.refund.approved",
        "actor_id": AGENT_ID,
        "actor_role": "agent",
        "subject_type": "refund",
        "subject_id": "rf_1",
        "before": {"status": "requested", "amount": "12.34"},
        "after": {"status": "approved", "amount": "12.34"},
        "source_ip": "203.0.113.7",
        "user_agent": "walletdesk-console/1.0",
        "reason": "duplicate charge confirmed",
    }
    fields.update(overrides)
    clock.advance(timedelta(seconds=1))
    return run_transaction(engine, lambda conn: record(conn, now=clock.now(), **fields))


def write_chain(engine: Engine, clock: FakeClock, count: int = 5) -> list[AuditRecord]:
    return [append(engine, clock, subject_id=f"rf_{n}") for n in range(1, count + 1)]


def raw_log(engine: Engine) -> list[tuple[Any, ...]]:
    """Every audit_log row as stored, in seq order: for "nothing changed" assertions."""
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq))]


def raw_head(engine: Engine) -> tuple[Any, ...] | None:
    with engine.connect() as conn:
        row = conn.execute(select(t.audit_head)).one_or_none()
    return None if row is None else tuple(row)


@contextmanager
def tampering(engine: Engine) -> Iterator[Connection]:
    """A transaction for editing the log behind record()'s back, as an intruder would.

    On PostgreSQL the append-only triggers are dropped first: a migration test run
    earlier in the session may have left them on the shared test database.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            drop_append_only_trigger(conn)
        yield conn


def problems_of(report: ChainReport) -> list[tuple[int, str]]:
    return [(problem.seq, problem.reason.value) for problem in report.problems]

"""Anchors: an earlier head kept outside the database catches a rewrite of the whole chain.

The chain alone cannot: whoever can write the database can edit a record and recompute
every hash after it and the head (the verifier then finds nothing). Each test here
plays that intruder against an anchor file written before the rewrite.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select, update
from typer.testing import CliRunner

from walletdesk.audit import tables as t
from walletdesk.audit.anchors import append_anchor, check_anchors
from walletdesk.audit.cli import audit_app
from walletdesk.audit.log import record_from_row
from walletdesk.audit.model import compute_hash
from walletdesk.audit.verify import verify_chain
from walletdesk.core.clock import FakeClock
from walletdesk.settings import Settings

from .audit_world import append, tampering, write_chain


def rewrite_history(engine: Engine, seq: int, reason: str) -> None:
    """Edit record ``seq`` and recompute every hash from it on and the head, as an
    intruder with write access to the database would: the chain stays consistent."""
    with tampering(engine) as conn:
        rows = conn.execute(
            select(t.audit_log).where(t.audit_log.c.seq >= seq).order_by(t.audit_log.c.seq)
        ).all()
        prev: str | None = None
        for row in rows:
            stored = record_from_row(row)
            forged = replace(
                stored,
                reason=reason if stored.seq == seq else stored.reason,
                prev_hash=stored.prev_hash if prev is None else prev,
            )
            digest = compute_hash(forged)
            conn.execute(
                update(t.audit_log)
                .where(t.audit_log.c.seq == stored.seq)
                .values(reason=forged.reason, prev_hash=forged.prev_hash, hash=digest)
            )
            prev = digest
        conn.execute(update(t.audit_head).values(last_hash=prev))


def test_an_anchor_is_written_only_when_the_head_moved(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    anchors = tmp_path / "anchors" / "audit.jsonl"
    assert append_anchor(engine, anchors, clock.now()) is None  # an empty log: nothing
    written = write_chain(engine, clock, 3)
    first = append_anchor(engine, anchors, clock.now())
    assert first is not None
    assert (first.seq, first.hash) == (3, written[-1].hash)
    assert append_anchor(engine, anchors, clock.now()) is None
    newest = append(engine, clock)
    second = append_anchor(engine, anchors, clock.now())
    assert second is not None
    assert (second.seq, second.hash) == (4, newest.hash)
    lines = [json.loads(line) for line in anchors.read_text().splitlines()]
    assert [(line["seq"], line["hash"]) for line in lines] == [
        (3, written[-1].hash),
        (4, newest.hash),
    ]
    assert check_anchors(engine, anchors) == (2, [])


def test_a_rewritten_chain_passes_the_chain_check_but_not_the_anchors(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    anchors = tmp_path / "audit.jsonl"
    write_chain(engine, clock, 5)
    append_anchor(engine, anchors, clock.now())

    rewrite_history(engine, 2, "approved by supervisor")

    assert verify_chain(engine).ok  # the chain alone is fooled
    checked, problems = check_anchors(engine, anchors)
    assert checked == 1
    assert [(p.line, p.reason) for p in problems] == [(1, "hash_changed")]


def test_deleting_anchored_records_is_caught(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    anchors = tmp_path / "audit.jsonl"
    write_chain(engine, clock, 3)
    append_anchor(engine, anchors, clock.now())
    write_chain(engine, clock, 2)
    append_anchor(engine, anchors, clock.now())
    # The intruder drops the newest two records and winds the head back to seq 3.
    with tampering(engine) as conn:
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq > 3))
        kept = conn.execute(select(t.audit_log.c.hash).where(t.audit_log.c.seq == 3)).scalar_one()
        conn.execute(update(t.audit_head).values(last_seq=3, last_hash=kept))

    assert verify_chain(engine).ok
    _, problems = check_anchors(engine, anchors)
    assert [(p.line, p.reason) for p in problems] == [(2, "record_missing")]


def test_a_damaged_anchor_line_is_reported_and_the_rest_still_checked(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    anchors = tmp_path / "audit.jsonl"
    write_chain(engine, clock, 2)
    append_anchor(engine, anchors, clock.now())
    with anchors.open("a") as out:
        out.write("{not json\n")
    append(engine, clock)
    append_anchor(engine, anchors, clock.now())  # a good line after the damaged one

    checked, problems = check_anchors(engine, anchors)
    assert checked == 2
    assert [(p.line, p.reason) for p in problems] == [(2, "malformed")]


def test_verify_on_the_command_line_exits_1_on_an_anchor_mismatch(
    engine: Engine,
    clock: FakeClock,
    database_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WALLETDESK_DATABASE_URL", database_settings.database_url)
    monkeypatch.setenv("WALLETDESK_ISOLATION_LEVEL", database_settings.isolation_level)
    monkeypatch.setenv("WALLETDESK_AUDIT_ANCHOR_FILE", database_settings.audit_anchor_file)
    write_chain(engine, clock, 3)

    anchored = CliRunner().invoke(audit_app, ["anchor"])
    assert anchored.exit_code == 0, anchored.output
    assert anchored.output.startswith("anchored seq 3 hash ")
    intact = CliRunner().invoke(audit_app, ["verify"])
    assert intact.exit_code == 0, intact.output
    assert "1 anchors checked" in intact.output

    rewrite_history(engine, 1, "nothing to see")

    tampered = CliRunner().invoke(audit_app, ["verify"])
    assert tampered.exit_code == 1
    assert "TAMPERED: 1 problem(s) found." in tampered.output
    assert "anchor line 1: hash_changed - seq 3 hashes to" in tampered.output

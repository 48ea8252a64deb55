"""Anchors: the audit chain's head, copied now and then to a file outside the database.

The chain's hash is unkeyed, so someone who can write to the database (and drop the
PostgreSQL append-only triggers) can rewrite a record *and* recompute every hash after
it and the head: :func:`walletdesk.audit.verify.verify_chain` then finds nothing. What
they cannot rewrite is a copy of an earlier head kept where the database role cannot
write. Housekeeping appends the head's ``(seq, hash)`` to an anchor file (JSON lines)
whenever it has moved; ``walletdesk audit verify`` checks that every anchored record is
still there with the same hash. Ship the file off the host (log shipping, WORM storage)
and a rewrite of anything before the last shipped anchor is caught.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from walletdesk.audit import tables as t

# How many anchored seqs one statement looks up.
_LOOKUP_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Anchor:
    seq: int
    hash: str
    at: str  # when it was taken (ISO 8601, UTC), for the person reading the file


@dataclass(frozen=True, slots=True)
class AnchorProblem:
    line: int  # 1-based line of the anchor file
    reason: str  # "malformed" | "record_missing" | "hash_changed"
    detail: str


def read_head(engine: Engine) -> tuple[int, str] | None:
    """The chain's head (last seq, its hash), or None before the first record."""
    head = t.audit_head
    with engine.connect() as conn:
        row = conn.execute(
            select(head.c.last_seq, head.c.last_hash).where(head.c.id == t.HEAD_ID)
        ).one_or_none()
    if row is None or int(row.last_seq) == 0:
        return None
    return int(row.last_seq), str(row.last_hash)


def append_anchor(engine: Engine, path: Path, now: datetime) -> Anchor | None:
    """Append the current head to ``path`` unless the last anchor already names it.

    Returns the new anchor, or None when there was nothing new. The line is flushed
    and fsynced before returning: an anchor that a crash can lose proves nothing.
    """
    head = read_head(engine)
    if head is None:
        return None
    seq, digest = head
    last = _last_line(path)
    if last is not None:
        try:
            if int(json.loads(last)["seq"]) >= seq:
                return None
        except (ValueError, KeyError, TypeError):
            pass  # a damaged last line: write a good one after it; verify reports it
    anchor = Anchor(seq=seq, hash=digest, at=now.isoformat())
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"seq": anchor.seq, "hash": anchor.hash, "at": anchor.at})
    with path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())
    return anchor


def check_anchors(engine: Engine, path: Path) -> tuple[int, list[AnchorProblem]]:
    """Compare every anchor in ``path`` with the log: (anchors checked, problems)."""
    anchors: list[tuple[int, Anchor]] = []
    problems: list[AnchorProblem] = []
    with path.open(encoding="utf-8") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
                anchor = Anchor(seq=int(data["seq"]), hash=str(data["hash"]), at=str(data["at"]))
            except (ValueError, KeyError, TypeError):
                problems.append(AnchorProblem(number, "malformed", "not an anchor line"))
                continue
            anchors.append((number, anchor))
    stored = _hashes_at(engine, sorted({a.seq for _, a in anchors}))
    for number, anchor in anchors:
        found = stored.get(anchor.seq)
        if found is None:
            problems.append(
                AnchorProblem(number, "record_missing", f"seq {anchor.seq} is not in the log")
            )
        elif found != anchor.hash:
            problems.append(
                AnchorProblem(
                    number,
                    "hash_changed",
                    f"seq {anchor.seq} hashes to {found}, anchored {anchor.hash}",
                )
            )
    return len(anchors), problems


def _hashes_at(engine: Engine, seqs: list[int]) -> dict[int, str]:
    log = t.audit_log
    found: dict[int, str] = {}
    with engine.connect() as conn:
        for start in range(0, len(seqs), _LOOKUP_CHUNK):
            chunk = seqs[start : start + _LOOKUP_CHUNK]
            rows = conn.execute(select(log.c.seq, log.c.hash).where(log.c.seq.in_(chunk)))
            found.update({int(row.seq): str(row.hash) for row in rows})
    return found


def _last_line(path: Path) -> str | None:
    """The file's last non-empty line, read from the end (the file only grows)."""
    if not path.exists():
        return None
    with path.open("rb") as raw:
        raw.seek(0, os.SEEK_END)
        size = raw.tell()
        raw.seek(max(0, size - 4096))
        tail = raw.read().decode("utf-8", errors="replace")
    lines = [line for line in tail.splitlines() if line.strip()]
    return lines[-1] if lines else None

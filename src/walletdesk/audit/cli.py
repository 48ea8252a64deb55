"""``walletdesk audit verify`` checks the audit chain of the configured database, and
the anchors (earlier heads kept outside the database) when the anchor file exists;
``walletdesk audit anchor`` writes an anchor now (housekeeping also does, on a timer).

Exit status: 0 the chain is intact, 1 it was tampered with (each problem listed),
2 it could not be checked (e.g. the database is unreachable).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from walletdesk.audit.anchors import AnchorProblem, append_anchor, check_anchors
from walletdesk.audit.verify import verify_chain
from walletdesk.core.clock import SystemClock
from walletdesk.db.engine import make_engine
from walletdesk.settings import Settings

audit_app = typer.Typer(
    help="Audit log: the append-only, hash-chained record of sensitive actions."
)


@audit_app.callback()
def audit() -> None:
    """Audit log: the append-only, hash-chained record of sensitive actions."""
    # Without a callback Typer would collapse a one-command group into that command,
    # and `walletdesk audit verify` would stop parsing.


AnchorsOption = Annotated[
    Path | None,
    typer.Option(
        "--anchors",
        help="Anchor file to check against (default: WALLETDESK_AUDIT_ANCHOR_FILE).",
    ),
]


@audit_app.command("verify")
def verify(anchors: AnchorsOption = None) -> None:
    """Recompute the whole hash chain and compare it with the anchors; exit 1 and list
    the problems if it was tampered with."""
    settings = Settings()
    anchor_file = anchors or (
        Path(settings.audit_anchor_file) if settings.audit_anchor_file else None
    )
    engine = make_engine(settings)
    anchor_problems: list[AnchorProblem] = []
    try:
        report = verify_chain(engine)
        if anchor_file is not None and anchor_file.exists():
            checked, anchor_problems = check_anchors(engine, anchor_file)
            typer.echo(f"{checked} anchors checked against {anchor_file}")
        elif anchors is not None:
            typer.echo(f"no anchor file at {anchors}", err=True)
            raise typer.Exit(code=2)
    except SQLAlchemyError as exc:
        typer.echo(f"audit log could not be checked: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(code=2) from None
    finally:
        engine.dispose()
    typer.echo(
        f"{report.records_checked} records checked; head at seq {report.head_seq},"
        f" hash {report.head_hash}"
    )
    if report.ok and not anchor_problems:
        typer.echo("OK: the audit chain is intact.")
        return
    total = len(report.problems) + report.problems_omitted + len(anchor_problems)
    typer.echo(f"TAMPERED: {total} problem(s) found.")
    for problem in report.problems:
        typer.echo(f"  seq {problem.seq}: {problem.reason} - {problem.detail}")
    if report.problems_omitted:
        typer.echo(f"  ... and {report.problems_omitted} more")
    for anchored in anchor_problems:
        typer.echo(f"  anchor line {anchored.line}: {anchored.reason} - {anchored.detail}")
    raise typer.Exit(code=1)


@audit_app.command("anchor")
def anchor(anchors: AnchorsOption = None) -> None:
    """Append the chain's current head to the anchor file (if it moved since the last)."""
    settings = Settings()
    target = anchors or Path(settings.audit_anchor_file or "var/audit-anchors.jsonl")
    engine = make_engine(settings)
    try:
        written = append_anchor(engine, target, SystemClock().now())
    except SQLAlchemyError as exc:
        typer.echo(f"audit log could not be read: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(code=2) from None
    finally:
        engine.dispose()
    if written is None:
        typer.echo(f"nothing new to anchor in {target}")
    else:
        typer.echo(f"anchored seq {written.seq} hash {written.hash} in {target}")

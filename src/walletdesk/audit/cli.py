"""``walletdesk audit verify``: check the audit chain of the configured database.

Exit status: 0 the chain is intact, 1 it was tampered with (each problem listed),
2 it could not be checked (e.g. the database is unreachable).
"""

from __future__ import annotations

import typer
from sqlalchemy.exc import SQLAlchemyError

from walletdesk.audit.verify import verify_chain
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


@audit_app.command("verify")
def verify() -> None:
    """Recompute the whole hash chain; exit 1 and list the problems if it was tampered with."""
    engine = make_engine(Settings())
    try:
        report = verify_chain(engine)
    except SQLAlchemyError as exc:
        typer.echo(f"audit log could not be checked: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(code=2) from None
    finally:
        engine.dispose()
    typer.echo(
        f"{report.records_checked} records checked; head at seq {report.head_seq},"
        f" hash {report.head_hash}"
    )
    if report.ok:
        typer.echo("OK: the audit chain is intact.")
        return
    total = len(report.problems) + report.problems_omitted
    typer.echo(f"TAMPERED: {total} problem(s) found.")
    for problem in report.problems:
        typer.echo(f"  seq {problem.seq}: {problem.reason} - {problem.detail}")
    if report.problems_omitted:
        typer.echo(f"  ... and {report.problems_omitted} more")
    raise typer.Exit(code=1)

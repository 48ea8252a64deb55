"""``walletdesk serve | worker | db | users | bench``."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer

from walletdesk.audit.cli import audit_app
from walletdesk.settings import Settings

app = typer.Typer(help="walletdesk: a wallet with its customer-service centre built in.")
db_app = typer.Typer(help="Database migrations.")
bench_app = typer.Typer(help="Benchmarks (results are JSON on stdout).")
users_app = typer.Typer(help="Staff and customer accounts.")
app.add_typer(db_app, name="db")
app.add_typer(bench_app, name="bench")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind.")] = None,
    migrate: Annotated[bool, typer.Option(help="Apply migrations first.")] = True,
    dispatch: Annotated[
        bool,
        typer.Option(help="Deliver queued alerts in this process (off when workers run)."),
    ] = True,
) -> None:
    """Serve the API (and, later, the pages) with uvicorn."""
    import uvicorn  # imported here so other commands start fast

    from walletdesk.api.app import create_app
    from walletdesk.bootstrap import DISPATCH_BATCH, build
    from walletdesk.housekeeping import Housekeeper

    settings = Settings()
    bound = host or settings.host
    unsafe = settings.unsafe_signing_keys(bound)
    if unsafe:
        typer.echo(
            f"refusing to serve {bound}: {', '.join(unsafe)} still hold the published "
            "development defaults; set them to long random values (docs/operations.md)",
            err=True,
        )
        raise typer.Exit(2)
    container = build(settings, migrate_db=migrate)
    housekeeper = Housekeeper(container)
    try:
        if dispatch:
            # The embedded default: background threads drain the outbox and do the
            # time-driven work, so a single process is a whole walletdesk. Production
            # runs `walletdesk worker` instead.
            container.dispatcher.start(settings.notify_interval_seconds, limit=DISPATCH_BATCH)
            housekeeper.start()
        uvicorn.run(
            create_app(container),
            host=bound,
            port=port or settings.port,
            log_level="info",
        )
    finally:
        housekeeper.stop()
        container.close()


@app.command()
def worker(
    interval: Annotated[
        float | None,
        typer.Option(min=0.01, help="Seconds between passes (default: notify_interval_seconds)."),
    ] = None,
    batch: Annotated[
        int | None, typer.Option(min=1, help="Outbox rows claimed per pass (default 100).")
    ] = None,
) -> None:
    """Deliver queued alerts (inbox, email, SMS) until SIGTERM or Ctrl-C.

    Run as many as needed: PostgreSQL's FOR UPDATE SKIP LOCKED splits the outbox
    between them. A stop lets the pass in progress finish first.
    """
    import signal
    import threading

    from walletdesk.bootstrap import DISPATCH_BATCH, build

    settings = Settings()
    container = build(settings)
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        typer.echo(f"{signal.Signals(signum).name}: stopping after the current pass", err=True)
        # Set from another thread: this handler runs on the main thread, which may
        # hold the event's lock at this very moment.
        threading.Thread(target=stop.set, name="walletdesk-worker-stop").start()

    from walletdesk.housekeeping import Housekeeper

    housekeeper = Housekeeper(container)
    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        typer.echo(f"worker started (pid {os.getpid()})")
        housekeeper.start()
        container.dispatcher.serve_forever(
            interval or settings.notify_interval_seconds,
            limit=batch or DISPATCH_BATCH,
            stop_requested=stop,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        housekeeper.stop()
        container.close()
    typer.echo("worker stopped")


@app.command()
def demo() -> None:
    """Load demo users, a merchant and a few payments (skipped if already loaded)."""
    from walletdesk.bootstrap import build
    from walletdesk.demo import DEMO_PASSWORD, load_demo

    container = build(Settings())
    try:
        summary = load_demo(container)
    finally:
        container.close()
    typer.echo("demo data loaded" if summary.created else "demo data already present")
    typer.echo(f"log in with any of these, password {DEMO_PASSWORD}:")
    for login, role in summary.logins:
        typer.echo(f"  {login:28} {role}")
    if summary.merchant_api_key:
        typer.echo(f"merchant API key (shown once): {summary.merchant_api_key}")


@app.command("ledger-check")
def ledger_check() -> None:
    """Check every ledger invariant now; exit 1 and list the problems if any is broken."""
    from walletdesk.core.clock import SystemClock
    from walletdesk.db.engine import make_engine
    from walletdesk.ledger.service import Ledger

    settings = Settings()
    engine = make_engine(settings)
    try:
        problems = Ledger(engine, SystemClock()).check_invariants()
    finally:
        engine.dispose()
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        typer.echo(f"ledger: {len(problems)} problem(s)", err=True)
        raise typer.Exit(code=1)
    typer.echo("ledger: every invariant holds")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from walletdesk.db import migrate

    settings = Settings()
    migrate.upgrade(settings.database_url, revision)
    if revision == "head":
        from walletdesk.bootstrap import build
        from walletdesk.support.helpcenter.service import load_articles

        container = build(settings)
        try:
            # The shipped help articles and their search index follow the code.
            load_articles(container.engine, container.clock)
        finally:
            container.close()
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Roll migrations back to REVISION ("base" removes everything)."""
    from walletdesk.db import migrate

    migrate.downgrade(Settings().database_url, revision)
    typer.echo(f"database at {revision}")


@users_app.command("create")
def users_create(
    role: Annotated[str, typer.Option(help="admin, supervisor, agent, merchant or customer")],
    email: Annotated[str | None, typer.Option(help="Login email.")] = None,
    phone: Annotated[str | None, typer.Option(help="Login phone number.")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
    name: Annotated[str, typer.Option(help="Display name.")] = "walletdesk staff",
    locale: Annotated[str, typer.Option(help="zh-CN or en.")] = "en",
) -> None:
    """Create an account from the server's shell (the only way to make the first admin)."""
    from walletdesk.bootstrap import build
    from walletdesk.identity.accounts import do_register
    from walletdesk.identity.model import RequestContext
    from walletdesk.identity.roles import Role
    from walletdesk.identity.staff import console_operator

    container = build(Settings())
    try:
        chosen = Role(role)
        user = do_register(
            container.identity,
            phone=phone,
            email=email,
            password=password,
            display_name=name,
            locale=locale,
            ctx=RequestContext(user_agent="walletdesk-cli"),
            role=chosen,
            actor=None if chosen is Role.CUSTOMER else console_operator(container.clock.now()),
        )
    finally:
        container.close()
    typer.echo(f"created {user.role.value} {user.email or user.phone} ({user.id})")


@bench_app.command("help-search")
def bench_help_search(
    postgres_url: Annotated[str | None, typer.Option(help="PostgreSQL server URL.")] = None,
    articles: Annotated[int, typer.Option(help="Corpus size.")] = 10_000,
) -> None:
    """Help-centre search latency (p50/p95) and recall@3 at a given corpus size."""
    from walletdesk.support.helpcenter.bench import run_search_bench

    typer.echo(json.dumps(run_search_bench(postgres_url, articles), indent=2))


@bench_app.command("ticket-search")
def bench_ticket_search(
    postgres_url: Annotated[str | None, typer.Option(help="PostgreSQL server URL.")] = None,
    messages: Annotated[int, typer.Option(help="Ticket messages in the corpus.")] = 100_000,
) -> None:
    """Agents' ticket search latency (p50/p95) and known-item hits at a given corpus size."""
    from walletdesk.support.tickets.bench_search import run

    typer.echo(json.dumps(run(postgres_url, messages), indent=2))


@bench_app.command("contacts")
def bench_contacts() -> None:
    """The contact checker on its labelled set: every genuine recognised, every fake flagged."""
    from walletdesk.support.contacts.bench import run_checker_bench

    typer.echo(json.dumps(run_checker_bench(), indent=2))


@bench_app.command("triage")
def bench_triage(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Triage on its held-out labelled messages: accuracy per locale and category, confusion matrix."""
    from walletdesk.support.triage_eval import evaluate, render

    report = evaluate()
    if not as_json:
        typer.echo(render(report) + "\n")
    typer.echo(json.dumps(report, indent=None if as_json else 2, ensure_ascii=False))


@bench_app.command("ledger")
def bench_ledger(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
    postgres_url: Annotated[
        str | None, typer.Option(help="PostgreSQL server URL (a scratch database is made).")
    ] = None,
    quick: Annotated[bool, typer.Option(help="Smaller sizes, for a smoke run.")] = False,
    history_sizes: Annotated[
        str, typer.Option(help="Comma-separated ledger sizes for the read benchmark.")
    ] = "10000,1000000",
) -> None:
    """Transfers/second beside a raw-driver baseline, and read costs as history grows."""
    from walletdesk.benchmarks.ledger import run_all

    sizes = [int(s) for s in history_sizes.split(",") if s.strip()]
    report = run_all(postgres_url=postgres_url, quick=quick, history_sizes=sizes)
    typer.echo(json.dumps(report, indent=None if as_json else 2))


@bench_app.command("http")
def bench_http(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
    postgres_url: Annotated[
        str | None, typer.Option(help="PostgreSQL server URL (a scratch database is made).")
    ] = None,
    seconds: Annotated[
        float | None, typer.Option(min=0.5, help="Measured seconds per load (default 20).")
    ] = None,
    quick: Annotated[bool, typer.Option(help="3 seconds per load, for a smoke run.")] = False,
    clients: Annotated[int, typer.Option(min=1, help="Concurrent HTTP clients.")] = 50,
    workers: Annotated[
        str, typer.Option(help="Comma-separated uvicorn worker counts to measure.")
    ] = "1,2",
) -> None:
    """Payments/second and p50/p99 latency through uvicorn, beside GET /health."""
    from walletdesk.benchmarks.http import run_http_bench

    counts = [int(w) for w in workers.split(",") if w.strip()]
    length = seconds if seconds is not None else (3.0 if quick else 20.0)
    report = run_http_bench(postgres_url, length, clients, workers=counts)
    typer.echo(json.dumps(report, indent=None if as_json else 2, ensure_ascii=False))


@bench_app.command("identity")
def bench_identity(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
    seconds: Annotated[
        float, typer.Option(min=0.5, help="Seconds of login traffic to measure.")
    ] = 5.0,
) -> None:
    """argon2id hashes and verifies per second on one core, and logins per second."""
    from walletdesk.benchmarks.identity import run_identity_bench

    report = run_identity_bench(seconds)
    typer.echo(json.dumps(report, indent=None if as_json else 2, ensure_ascii=False))


if __name__ == "__main__":
    app()

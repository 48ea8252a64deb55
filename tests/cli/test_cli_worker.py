"""`walletdesk serve` delivers alerts in-process; `walletdesk worker` drains the outbox
until it is told to stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import func, select
from typer.testing import CliRunner

from walletdesk.cli.main import app
from walletdesk.core.clock import SystemClock
from walletdesk.db.engine import make_engine
from walletdesk.db.schema import metadata
from walletdesk.db.transactions import run_transaction
from walletdesk.notify import outbox
from walletdesk.notify import tables as notify_t
from walletdesk.settings import Settings


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'walletdesk.db'}"
    engine = make_engine(Settings(database_url=url))
    metadata.create_all(engine)
    engine.dispose()
    monkeypatch.setenv("WALLETDESK_DATABASE_URL", url)
    return url


@pytest.mark.parametrize(("flag", "dispatching"), [([], True), (["--no-dispatch"], False)])
def test_serve_starts_the_dispatcher_before_serving_and_stops_it_after(
    database_url: str, monkeypatch: pytest.MonkeyPatch, flag: list[str], dispatching: bool
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(asgi_app: Any, **options: Any) -> None:
        seen["dispatcher"] = asgi_app.state.container.dispatcher
        seen["running"] = seen["dispatcher"].running

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = CliRunner().invoke(app, ["serve", "--no-migrate", *flag])
    assert result.exit_code == 0, result.output
    assert seen["running"] is dispatching
    assert seen["dispatcher"].running is False


def queue_alert(url: str, user_id: uuid.UUID) -> None:
    engine = make_engine(Settings(database_url=url))
    run_transaction(
        engine,
        lambda conn: outbox.enqueue(
            conn,
            kind="password_changed",
            user_id=user_id,
            locale="en",
            params={"sessions_ended": 0},
            now=SystemClock().now(),
        ),
    )
    engine.dispose()


def inbox_count(url: str, user_id: uuid.UUID) -> int:
    engine = make_engine(Settings(database_url=url))
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count())
            .select_from(notify_t.inbox)
            .where(notify_t.inbox.c.user_id == user_id)
        ).scalar_one()
    engine.dispose()
    return int(count)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
def test_the_worker_delivers_queued_alerts_until_sigterm(database_url: str) -> None:
    user_id = uuid.uuid4()
    queue_alert(database_url, user_id)
    worker = subprocess.Popen(
        [sys.executable, "-m", "walletdesk.cli.main", "worker", "--interval", "0.05"],
        env={**os.environ, "WALLETDESK_DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().startswith("worker started")
        # The alert queued before it started, and one queued while it runs, arrive.
        queue_alert(database_url, user_id)
        deadline = time.monotonic() + 20
        while inbox_count(database_url, user_id) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert inbox_count(database_url, user_id) == 2
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    assert "SIGTERM: stopping after the current pass" in err
    assert out.strip().endswith("worker stopped")

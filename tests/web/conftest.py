"""Browser tests: the real app served by uvicorn, driven by Playwright in Debian's Chromium.

One server per test session on a fresh SQLite file with the demo data loaded (the
same `walletdesk demo` a newcomer sees); each test opens its own browser context
(fresh cookies) and makes its own users where it changes anything, so tests do not
depend on each other's order.

No browser download happens: Playwright launches the system Chromium
(``apt-get install chromium``; or ``WALLETDESK_CHROMIUM=/path``). Without one the
tests are skipped with a note in the summary; in CI (``CI=true``) or with
``WALLETDESK_REQUIRE_BROWSER=1`` a missing browser fails the run instead.

``WALLETDESK_SCREENSHOTS=1`` makes ``browser_steps.shot()`` write PNGs to docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REQUIRE_BROWSER = (
    os.environ.get("CI", "").lower() == "true"
    or os.environ.get("WALLETDESK_REQUIRE_BROWSER") == "1"
)
_SKIPPED: list[str] = []


def chromium_path() -> str | None:
    configured = os.environ.get("WALLETDESK_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class LiveServer:
    url: str
    container: object  # walletdesk.bootstrap.Container (typed loosely: imported lazily)


def _listening_socket() -> socket.socket:
    """A socket already bound to a free port, handed to uvicorn as it is: no other process
    (another pytest-xdist worker's server, say) can take the port in between."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    import uvicorn

    from walletdesk.api.app import create_app
    from walletdesk.bootstrap import build
    from walletdesk.demo import load_demo
    from walletdesk.settings import Settings
    from walletdesk.support.helpcenter.service import load_articles

    db = tmp_path_factory.mktemp("web") / "walletdesk.db"
    sock = _listening_socket()
    port = int(sock.getsockname()[1])
    # Links the app writes (payment links, CSAT) name the configured public address.
    # Cheap argon2 as in tests/api: these tests are about the pages, not the hashing cost
    # (measured in bench/); every demo login would otherwise spend 64 MiB and ~0.2 s.
    settings = Settings(
        database_url=f"sqlite:///{db}",
        public_url=f"http://127.0.0.1:{port}",
        audit_anchor_file=str(db.parent / "audit-anchors.jsonl"),
        argon2_time_cost=1,
        argon2_memory_kib=64,
        argon2_parallelism=1,
    )
    container = build(settings, migrate_db=True)
    load_articles(container.engine, container.clock)  # what `walletdesk db upgrade` does
    load_demo(container)
    app = create_app(container)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield LiveServer(url=f"http://127.0.0.1:{port}", container=container)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    container.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        message = "no Chromium found (apt-get install chromium, or set WALLETDESK_CHROMIUM)"
        if REQUIRE_BROWSER:
            pytest.fail(f"browser tests are required here but {message}")
        _SKIPPED.append(message)
        pytest.skip(f"browser tests skipped: {message}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object, live_server: LiveServer) -> Iterator[object]:
    """A fresh browser context (no cookies) on a phone-or-laptop-sized window, English."""
    context = browser.new_context(  # type: ignore[attr-defined]
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    # Money-moving buttons ask "are you sure?" through window.confirm: answer yes.
    tab.on("dialog", lambda dialog: dialog.accept())
    yield tab
    context.close()


@pytest.fixture
def zh_page(browser: object, live_server: LiveServer) -> Iterator[object]:
    """The same in a Chinese browser (Accept-Language zh-CN), on a phone-sized screen."""
    context = browser.new_context(  # type: ignore[attr-defined]
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())
    yield tab
    context.close()


# Under pytest-xdist the workers run the tests and the controller prints the summary; the
# controller runs no test and imports this conftest only when named on the command line,
# so tests/conftest.py receives each worker's note under this key and prints it.
_WORKER_OUTPUT_KEY = "walletdesk_skipped_browser"


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker
        workeroutput[_WORKER_OUTPUT_KEY] = list(_SKIPPED)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SKIPPED:
        terminalreporter.write_sep(
            "!", f"browser tests SKIPPED: {_SKIPPED[0]} (CI requires them)", yellow=True
        )

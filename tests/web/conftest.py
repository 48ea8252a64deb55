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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    import uvicorn

    from walletdesk.api.app import create_app
    from walletdesk.bootstrap import build
    from walletdesk.demo import load_demo
    from walletdesk.settings import Settings
    from walletdesk.support.helpcenter.service import load_articles

    db = tmp_path_factory.mktemp("web") / "walletdesk.db"
    port = _free_port()
    # Links the app writes (payment links, CSAT) name the configured public address.
    settings = Settings(database_url=f"sqlite:///{db}", public_url=f"http://127.0.0.1:{port}")
    container = build(settings, migrate_db=True)
    load_articles(container.engine, container.clock)  # what `walletdesk db upgrade` does
    load_demo(container)
    app = create_app(container)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield LiveServer(url=f"http://127.0.0.1:{port}", container=container)
    server.should_exit = True
    thread.join(timeout=10)
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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SKIPPED:
        terminalreporter.write_sep(
            "!", f"browser tests SKIPPED: {_SKIPPED[0]} (CI requires them)", yellow=True
        )

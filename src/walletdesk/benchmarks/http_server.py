"""The HTTP benchmark's server: uvicorn in its own process group, started and stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

SERVER_START_TIMEOUT = 60.0
SERVER_STOP_TIMEOUT = 15.0
HEALTH = "/api/v1/health"


# -- the server ----------------------------------------------------------------------


# A free port is found by binding to port 0 and letting go; another process may take it
# before uvicorn binds it. Then uvicorn exits at once saying so, and another port is tried.
PORT_ATTEMPTS = 3


@contextmanager
def running_server(url: str, workers: int, log_path: Path) -> Iterator[tuple[int, int]]:
    """uvicorn in its own process group on a free port; yields (port, pid); always stopped."""
    for attempt in range(1, PORT_ATTEMPTS + 1):
        port = _free_port()
        with open(log_path, "wb") as log:
            process = _start(url, workers, port, log)
            try:
                _wait_until_healthy(process, port, log_path)
            except PortTaken:
                _stop(process)
                if attempt == PORT_ATTEMPTS:
                    raise
                continue
            except BaseException:
                _stop(process)
                raise
            try:
                yield port, process.pid
            finally:
                _stop(process)
            return


class PortTaken(RuntimeError):
    """uvicorn could not bind the port chosen for it: something else took it meanwhile."""


def _start(url: str, workers: int, port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "WALLETDESK_DATABASE_URL": url}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "walletdesk.benchmarks.http:create_server_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "info",
    ]
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        command,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )


def _wait_until_healthy(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = _tail(log_path)
            # uvicorn logs the OS's "[Errno 98] ... address already in use" and exits 1.
            taken = PortTaken if "address already in use" in tail.lower() else RuntimeError
            raise taken(f"uvicorn exited ({process.returncode}): {tail}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{HEALTH}", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"uvicorn did not answer {HEALTH} in time: {_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (ours: it was started in a new session), then KILL."""
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=SERVER_STOP_TIMEOUT)
    # Workers of a multi-process server leave with their group.
    _signal_group(process.pid, signal.SIGKILL)


def _signal_group(pid: int, signum: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"

"""The HTTP benchmark's server process: a port taken between choosing and binding it."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest

from walletdesk.benchmarks import http_server


def test_a_port_taken_before_uvicorn_binds_it_is_given_up_for_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        chosen: list[int] = []
        free_port = http_server._free_port

        def first_taken_then_free() -> int:
            chosen.append(taken if not chosen else free_port())
            return chosen[-1]

        monkeypatch.setattr(http_server, "_free_port", first_taken_then_free)
        url = f"sqlite:///{tmp_path / 'bench.db'}"
        with http_server.running_server(url, 1, tmp_path / "server.log") as (port, _pid):
            assert chosen[0] == taken
            assert port == chosen[1] != taken
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{http_server.HEALTH}") as answer:
                assert answer.status == 200
        assert len(chosen) == 2


def test_a_server_that_fails_for_another_reason_is_not_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts: list[int] = []
    start = http_server._start

    def counted(*args: object, **kwargs: object) -> object:
        starts.append(1)
        return start(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(http_server, "_start", counted)
    # A database URL the app cannot open: uvicorn exits, and not for its port.
    url = "nonsense://"
    with (
        pytest.raises(RuntimeError) as failure,
        http_server.running_server(url, 1, tmp_path / "server.log"),
    ):
        pass
    assert not isinstance(failure.value, http_server.PortTaken)
    assert starts == [1]

"""The HTTP benchmark's load generator, run in its own process
(``python -m walletdesk.benchmarks.http_load``): the spec as JSON on stdin, the
result on stdout. Closed loop, one keep-alive connection per client (see http.py).
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import IO, Any

from walletdesk.benchmarks.http_cpu import CpuSample, cpu_sample, cpu_summary, process_tree
from walletdesk.benchmarks.http_server import HEALTH

REQUEST_TIMEOUT = 10.0


# -- the load generator (its own process) ----------------------------------------------


def run_load(
    port: int,
    server_pid: int,
    kind: str,
    clients: int,
    seconds: float,
    warm: float,
    *,
    tokens: list[str],
    intents: list[str],
) -> dict[str, Any]:
    """Run one load in a separate process (``python -m walletdesk.benchmarks.http_load``)."""
    spec = {
        "port": port,
        "server_pid": server_pid,
        "kind": kind,
        "clients": clients,
        "seconds": seconds,
        "warmup": warm,
        "tokens": tokens,
        "intents": intents,
    }
    budget = warm + seconds + REQUEST_TIMEOUT + 30
    with tempfile.TemporaryFile() as stderr:
        done = subprocess.run(
            [sys.executable, "-m", "walletdesk.benchmarks.http_load"],
            input=json.dumps(spec).encode(),
            stdout=subprocess.PIPE,
            stderr=stderr,
            timeout=budget,
            check=False,
        )
        if done.returncode != 0:
            stderr.seek(0)
            raise RuntimeError(f"load generator failed: {stderr.read().decode()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@dataclass
class _Tally:
    warm_end: float
    end: float
    # (completed at, latency) of every successful request, warm-up included.
    answered: list[tuple[float, float]]
    ok_total: int = 0
    errors: int = 0
    error_kinds: dict[str, int] | None = None
    exhausted: int = 0
    # When the first client ran out of intents: the window ends there, not later.
    exhausted_at: float | None = None

    def error(self, kind: str) -> None:
        self.errors += 1
        if self.error_kinds is None:
            self.error_kinds = {}
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


def _loadgen_main(spec: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_loadgen(spec))


async def _loadgen(spec: dict[str, Any]) -> dict[str, Any]:
    port: int = spec["port"]
    clients: int = spec["clients"]
    kind: str = spec["kind"]
    tokens: list[str] = spec["tokens"]
    intents: list[str] = spec["intents"]
    server_pids = process_tree(spec["server_pid"])
    start = time.perf_counter()
    tally = _Tally(
        warm_end=start + spec["warmup"], end=start + spec["warmup"] + spec["seconds"], answered=[]
    )
    host = f"127.0.0.1:{port}".encode()
    requests: list[list[bytes]] = []
    for client in range(clients):
        if kind == "health":
            requests.append(
                [b"GET " + HEALTH.encode() + b" HTTP/1.1\r\nHost: " + host + b"\r\n\r\n"]
            )
            continue
        own = tokens[client::clients] or [tokens[client % len(tokens)]]
        mine = intents[client::clients]
        requests.append(
            [
                b"POST /api/v1/payment-intents/"
                + intent.encode()
                + b"/pay HTTP/1.1\r\nHost: "
                + host
                + b"\r\nAuthorization: Bearer "
                + own[n % len(own)].encode()
                + b"\r\nContent-Length: 0\r\n\r\n"
                for n, intent in enumerate(mine)
            ]
        )
    sampler = asyncio.create_task(_sample_cpu(tally, server_pids))
    # Clients join one at a time: each connects once the previous one has had its
    # first answer. All connecting at once would let one worker process accept them
    # all in a single pass (asyncio accepts a whole backlog per wake-up).
    joined = [asyncio.Event() for _ in range(clients)]
    await asyncio.gather(
        *(
            _client(port, requests[i], kind == "health", tally, joined[i - 1] if i else None, ready)
            for i, ready in enumerate(joined)
        )
    )
    cpu = await sampler
    end = min(tally.end, tally.exhausted_at or tally.end)
    window = end - tally.warm_end
    latencies = sorted(lat for done, lat in tally.answered if tally.warm_end <= done <= end)
    count = len(latencies)
    return {
        "requests_per_second": round(count / window, 1) if window > 0 else 0.0,
        "measured_requests": count,
        "window_seconds": round(window, 3),
        "p50_ms": _percentile_ms(latencies, 50),
        "p90_ms": _percentile_ms(latencies, 90),
        "p99_ms": _percentile_ms(latencies, 99),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
        "mean_ms": round(sum(latencies) / count * 1000, 2) if count else None,
        "errors": tally.errors,
        "error_kinds": tally.error_kinds or {},
        "ok_total": tally.ok_total,
        "clients_out_of_intents": tally.exhausted,
        "cpu": cpu_summary(cpu, count),
    }


async def _client(
    port: int,
    requests: list[bytes],
    repeat: bool,
    tally: _Tally,
    after: asyncio.Event | None,
    ready: asyncio.Event,
) -> None:
    """One connection, one request at a time until the window ends (or its intents do).

    Starts when ``after`` is set; sets ``ready`` once its first request is answered.
    """
    stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    index = 0
    try:
        if after is not None:
            try:
                await asyncio.wait_for(after.wait(), max(0.0, tally.end - time.perf_counter()))
            except TimeoutError:
                return
        while time.perf_counter() < tally.end:
            if index:
                ready.set()
            if index >= len(requests):
                if not repeat:
                    tally.exhausted += 1
                    if tally.exhausted_at is None:
                        tally.exhausted_at = time.perf_counter()
                    return
                index = 0
            request = requests[index]
            index += 1
            sent = time.perf_counter()
            try:
                if stream is None:
                    stream = await asyncio.wait_for(
                        asyncio.open_connection("127.0.0.1", port), REQUEST_TIMEOUT
                    )
                status, close = await asyncio.wait_for(_exchange(*stream, request), REQUEST_TIMEOUT)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                tally.error(type(exc).__name__)
                close = True
            else:
                done = time.perf_counter()
                if status == 200:
                    tally.ok_total += 1
                    tally.answered.append((done, done - sent))
                else:
                    tally.error(f"http_{status}")
            if close and stream is not None:
                stream[1].close()
                stream = None
    finally:
        ready.set()
        if stream is not None:
            stream[1].close()


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bool]:
    """Send one request, read the whole answer; (status, server closes the connection)."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    chunked = close = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = b"close" in value.lower()
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, close


def _percentile_ms(ordered: list[float], percent: float) -> float | None:
    """Nearest-rank percentile of sorted seconds, in milliseconds."""
    if not ordered:
        return None
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return round(ordered[rank - 1] * 1000, 2)


async def _sample_cpu(tally: _Tally, pids: list[int]) -> tuple[CpuSample, CpuSample] | None:
    if not pids:
        return None
    await asyncio.sleep(max(0.0, tally.warm_end - time.perf_counter()))
    first = cpu_sample(pids)
    await asyncio.sleep(max(0.0, tally.end - time.perf_counter()))
    return first, cpu_sample(pids)


def _main(stdin: IO[bytes], stdout: IO[str]) -> None:
    """The load generator's entry point: the spec as JSON on stdin, the result on stdout."""
    result = _loadgen_main(json.loads(stdin.read()))
    stdout.write(json.dumps(result))


if __name__ == "__main__":
    _main(sys.stdin.buffer, sys.stdout)

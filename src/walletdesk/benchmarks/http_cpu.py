"""CPU accounting for the HTTP benchmark, from Linux /proc (absent elsewhere): the
server's processes, the load generator and the whole machine during the window.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# -- CPU accounting (Linux /proc; absent elsewhere) -------------------------------------


@dataclass(frozen=True)
class CpuSample:
    at: float
    server: dict[int, float]  # pid -> CPU seconds
    loadgen: float
    machine_busy: float | None
    machine_total: float | None


def cpu_sample(pids: list[int]) -> CpuSample:
    times = os.times()
    busy, total = _machine_jiffies()
    return CpuSample(
        at=time.perf_counter(),
        server={pid: _process_cpu(pid) for pid in pids},
        loadgen=times.user + times.system,
        machine_busy=busy,
        machine_total=total,
    )


def cpu_summary(
    samples: tuple[CpuSample, CpuSample] | None, requests: int
) -> dict[str, Any] | None:
    if samples is None:
        return None
    first, last = samples
    wall = last.at - first.at
    if wall <= 0:
        return None
    per_process = [last.server[pid] - first.server[pid] for pid in sorted(first.server)]
    server = sum(per_process)
    loadgen = last.loadgen - first.loadgen
    machine: float | None = None
    cores = os.cpu_count() or 1
    if (
        first.machine_busy is not None
        and last.machine_busy is not None
        and first.machine_total is not None
        and last.machine_total is not None
        and last.machine_total > first.machine_total
    ):
        share = (last.machine_busy - first.machine_busy) / (
            last.machine_total - first.machine_total
        )
        machine = share * cores
    return {
        "server_cores": round(server / wall, 2),
        "server_cores_per_process": [round(x / wall, 2) for x in per_process],
        "server_cpu_ms_per_request": round(server / requests * 1000, 3) if requests else None,
        "loadgen_cores": round(loadgen / wall, 2),
        "machine_busy_cores": round(machine, 2) if machine is not None else None,
        # The database server (PostgreSQL) and anything else running on the machine.
        "other_cores": round(machine - server / wall - loadgen / wall, 2)
        if machine is not None
        else None,
        "cores": cores,
    }


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (uvicorn's worker processes), from /proc."""
    if not Path(f"/proc/{root}/stat").exists():
        return []
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat_fields(int(entry.name))
            if stat is not None:
                parents[int(entry.name)] = int(stat[1])
    tree = [root]
    for pid in tree:
        tree.extend(child for child, parent in parents.items() if parent == pid)
    return tree


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: [state, ppid, ...]."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def _process_cpu(pid: int) -> float:
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    # utime and stime are fields 14 and 15 of stat; 11 and 12 after the name.
    return (int(fields[11]) + int(fields[12])) / ticks


def _machine_jiffies() -> tuple[float | None, float | None]:
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None, None
    values = [int(v) for v in first[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return float(sum(values) - idle), float(sum(values))

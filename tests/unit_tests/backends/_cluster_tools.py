"""Compute tools for the cluster fault tests (importable by Dask workers).

Each call appends `start N PID` and `done N PID` to a log file, so a test sees which
process ran which call and how many times a call started.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from langchain_llmorch import compute

GIVE_UP = 60.0  # a gate never opened means the test broke: do not hold a worker forever


def note(log: str, line: str) -> None:
    """Append a line to the log (one write: lines of two processes never mix)."""
    with Path(log).open("a") as f:
        f.write(line + "\n")


@compute
def nap(n: int, log: str, gate: str = "", seconds: float = 0.0) -> int:
    """Note the start, wait for the gate file (or `seconds`), note the end; return n * 10."""
    note(log, f"start {n} {os.getpid()}")
    deadline = time.monotonic() + (seconds or GIVE_UP)
    while time.monotonic() < deadline and not (gate and Path(gate).exists()):
        time.sleep(0.02)
    note(log, f"done {n} {os.getpid()}")
    return n * 10


def starts(log: Path) -> list[tuple[int, int]]:
    """(call n, pid) of every `start` line so far."""
    if not log.exists():
        return []
    lines = [line.split() for line in log.read_text().splitlines()]
    return [(int(n), int(pid)) for word, n, pid in lines if word == "start"]

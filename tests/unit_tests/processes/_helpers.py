"""Shared waits and probes for the worker-pool tests (polling only bounds how long they wait)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import psutil
import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from langchain_llmorch.processes.pool import ProcessPool

P = 2
PATIENCE = 30.0  # seconds a test waits for the pool to react before it fails instead of hanging


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting until {what}")
        time.sleep(0.005)


def read_pid(path: Path) -> int:
    wait_until(path.exists, f"{path.name} was written")
    return int(path.read_text())


def gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def repaired(pool: ProcessPool, old: set[int]) -> bool:
    pids = set(pool.worker_pids())
    return len(pids) == P and pids != old

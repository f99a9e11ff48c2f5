"""Spare processors: how much CPU other programs take right now (the paper's `spareprocs()`).

The paper's coordinator waits for spare processors, not only for idle workers.
`LoadMonitor.spare(P)` answers how many of our P processors are not taken by
*other* programs: the machine's busy CPU time over a short window, minus the CPU
time of this process and of its worker processes, in cores.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

import psutil

# Shorter windows make the reading noisy; longer ones react late to a neighbour's burst.
MIN_WINDOW_SECONDS = 0.1


def _busy_seconds() -> float:
    times = psutil.cpu_times()
    return float(times.user + times.system + getattr(times, "nice", 0.0))


def _own_seconds(pids: Iterable[int]) -> float:
    total = 0.0
    for pid in {psutil.Process().pid, *pids}:
        try:
            cpu = psutil.Process(pid).cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += cpu.user + cpu.system
    return total


class LoadMonitor:
    """Samples the CPU time other programs use, in cores.

    Example:
        ```python
        monitor = LoadMonitor(lambda: [])
        monitor.spare(2)  # 2 on an idle machine, 1 while something else burns a core
        ```
    """

    def __init__(self, own_pids: Callable[[], Iterable[int]]) -> None:
        """Watch the machine; `own_pids` lists our worker processes (not load to hold for)."""
        self._own_pids = own_pids
        self._lock = threading.Lock()
        self._last = (time.monotonic(), _busy_seconds(), _own_seconds(own_pids()))
        self._external = 0.0

    def external_cores(self) -> float:
        """Cores' worth of CPU taken by other programs over the last window."""
        with self._lock:
            now = time.monotonic()
            then, busy_then, own_then = self._last
            if now - then >= MIN_WINDOW_SECONDS:
                busy, own = _busy_seconds(), _own_seconds(self._own_pids())
                elapsed = now - then
                self._external = max(0.0, ((busy - busy_then) - (own - own_then)) / elapsed)
                self._last = (now, busy, own)
            return self._external

    def spare(self, processors: int) -> int:
        """How many of `processors` other programs leave free (rounded to whole cores)."""
        return max(0, processors - round(self.external_cores()))

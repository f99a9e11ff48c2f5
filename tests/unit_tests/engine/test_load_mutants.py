"""Spare processors (`engine/load.py`): what `LoadMonitor` counts, over which window.

Written for the mutants of `engine/load.py` that the run-level tests let live (they only
check that a reading is a non-negative number). The machine's and the processes' CPU
times and the clock are replaced by a fake machine whose numbers the test sets, so each
test states one rule exactly: the load of other programs is the machine's busy time
(user + system + nice) less the CPU time of this process and its workers, per second of
the window; a reading inside the window repeats the last one; a worker that is gone or
not ours to read is skipped; `spare` rounds to whole cores and is never negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import psutil
import pytest

from langchain_llmorch.engine import load
from langchain_llmorch.engine.load import MIN_WINDOW_SECONDS, LoadMonitor

OWN = 100  # this process's pid on the fake machine


@dataclass
class FakeMachine:
    """The psutil functions and the clock `engine.load` reads, with numbers set by the test."""

    now: float = 0.0
    user: float = 0.0
    system: float = 0.0
    nice: float | None = 0.0
    processes: dict[int, tuple[float, float]] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)
    denied: set[int] = field(default_factory=set)
    NoSuchProcess = psutil.NoSuchProcess
    AccessDenied = psutil.AccessDenied

    def monotonic(self) -> float:
        return self.now

    def cpu_times(self) -> SimpleNamespace:
        if self.nice is None:  # as on Windows: no nice time
            return SimpleNamespace(user=self.user, system=self.system)
        return SimpleNamespace(user=self.user, system=self.system, nice=self.nice)

    def Process(self, pid: int | None = None) -> SimpleNamespace:  # noqa: N802 - psutil's name
        pid = OWN if pid is None else pid

        def cpu_times() -> SimpleNamespace:
            if pid in self.gone:
                raise psutil.NoSuchProcess(pid)
            if pid in self.denied:
                raise psutil.AccessDenied(pid)
            user, system = self.processes[pid]
            return SimpleNamespace(user=user, system=system)

        return SimpleNamespace(pid=pid, cpu_times=cpu_times)

    def burn(self, pid: int, user: float, system: float) -> None:
        before = self.processes.get(pid, (0.0, 0.0))
        self.processes[pid] = (before[0] + user, before[1] + system)


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> FakeMachine:
    fake = FakeMachine(
        now=50.0,
        user=100.0,
        system=40.0,
        nice=10.0,
        processes={OWN: (5.0, 1.0), 201: (3.0, 2.0), 202: (1.0, 1.0)},
    )
    monkeypatch.setattr(load, "psutil", fake)
    monkeypatch.setattr(load, "time", fake)
    return fake


def test_other_programs_load_is_busy_time_less_ours_per_second(machine: FakeMachine) -> None:
    monitor = LoadMonitor(lambda: [201, 202])
    machine.now += 0.5
    # The machine was busy 1.75 s of CPU time in the window (user, system and nice)...
    machine.user += 1.0
    machine.system += 0.5
    machine.nice += 0.25  # type: ignore[operator]
    # ...0.75 s of it this process and its two workers (user and system time).
    machine.burn(OWN, 0.25, 0.125)
    machine.burn(201, 0.0625, 0.0625)
    machine.burn(202, 0.125, 0.125)
    assert monitor.external_cores() == 2.0  # (1.75 - 0.75) s over 0.5 s
    assert monitor.spare(4) == 2
    assert monitor.spare(2) == 0
    assert monitor.spare(1) == 0  # never negative


def test_a_reading_inside_the_window_repeats_the_last_one(machine: FakeMachine) -> None:
    machine.now = 0.0
    monitor = LoadMonitor(lambda: [201])
    machine.user += 1.0
    assert monitor.external_cores() == 0.0  # no window has passed: nothing read yet
    machine.now = MIN_WINDOW_SECONDS / 2
    assert monitor.external_cores() == 0.0
    machine.now = MIN_WINDOW_SECONDS  # exactly one window: a new reading
    assert monitor.external_cores() == pytest.approx(1.0 / MIN_WINDOW_SECONDS)
    machine.user += 5.0
    machine.now = MIN_WINDOW_SECONDS * 1.5  # inside the next window: the same reading
    assert monitor.external_cores() == pytest.approx(1.0 / MIN_WINDOW_SECONDS)
    machine.now = MIN_WINDOW_SECONDS + 2.0  # the next window starts where the last ended
    machine.burn(201, 1.0, 0.0)
    assert monitor.external_cores() == pytest.approx((5.0 - 1.0) / 2.0)


def test_workers_are_asked_for_at_each_reading_and_gone_ones_skipped(
    machine: FakeMachine,
) -> None:
    workers = [201]
    monitor = LoadMonitor(lambda: list(workers))
    workers += [202, 203, 204]
    machine.gone.add(203)  # ended between the list and the reading
    machine.denied.add(204)  # not ours to read
    machine.now += 1.0
    machine.user += 3.0
    machine.burn(202, 0.5, 0.5)  # a worker started after the monitor: still ours
    machine.burn(OWN, 0.5, 0.0)
    # 202's CPU time from before the window counts as new: 3 s busy - 3.5 s ours...
    assert monitor.external_cores() == 0.0  # ...is read as no load, never below zero
    machine.now += 1.0
    machine.user += 3.0
    machine.burn(202, 0.25, 0.25)
    assert monitor.external_cores() == 2.5


@pytest.mark.parametrize(("busy", "spare"), [(1.25, 1), (1.75, 0), (0.25, 2)])
def test_spare_rounds_other_programs_load_to_whole_cores(
    machine: FakeMachine, busy: float, spare: int
) -> None:
    monitor = LoadMonitor(list)
    machine.now += 1.0
    machine.system += busy
    assert monitor.spare(2) == spare


def test_a_machine_without_nice_time_counts_user_and_system(machine: FakeMachine) -> None:
    machine.nice = None
    monitor = LoadMonitor(list)
    machine.now += 0.5
    machine.user += 0.5
    machine.system += 0.25
    assert monitor.external_cores() == 1.5


def test_a_gone_worker_does_not_hide_the_others(machine: FakeMachine) -> None:
    # Small pids: CPython walks this set in the order 8, 9, 10, 11, 100 (the own pid).
    machine.processes.update({9: (0.0, 0.0), 11: (0.0, 0.0)})
    machine.gone.add(8)
    machine.denied.add(10)
    monitor = LoadMonitor(lambda: [8, 9, 10, 11])
    machine.now += 1.0
    machine.user += 3.0
    for pid in (9, 11, OWN):
        machine.burn(pid, 0.25, 0.25)
    assert monitor.external_cores() == 1.5

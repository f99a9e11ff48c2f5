"""Guarantees of the machine-wide compute slots (`langchain_llmorch.processes.slots`).

Concurrency is read from the holds' own timestamps or from who holds what, never from
wall-clock durations; polling helpers only bound how long a test may wait.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from langchain_llmorch.processes.cpus import MAX_PROCESSORS_ENV
from langchain_llmorch.processes.pool import ProcessPool
from langchain_llmorch.processes.slots import (
    SLOT_DIR_ENV,
    SLOT_GROUP_ENV,
    Limit,
    Slot,
    SlotGroup,
    group_name,
    machine_slots,
    slot_directory,
)
from tests.unit_tests import _pool_funcs as funcs
from tests.unit_tests.processes._slot_run import peak

HOLDER = Path(__file__).with_name("_slot_holder.py")
PATIENCE = 30.0  # seconds a test waits for something to happen before it fails instead of hanging


def wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting until {what}")
        time.sleep(0.002)


# --- one process ------------------------------------------------------------------------------


def test_at_most_size_slots_are_granted_and_release_hands_over(tmp_path: Path) -> None:
    """With P=2, a third request waits until a holder releases; then it holds that slot."""
    group = SlotGroup(2, tmp_path)
    got: list[Slot] = []
    for _ in range(3):
        group.request(got.append)
    assert [s.index for s in got] == [0, 1]
    assert group.holding() == 2
    group.release(got[0])
    assert [s.index for s in got] == [0, 1, 0]
    group.release(got[0])  # a second release of the same slot does nothing
    assert group.holding() == 2


def test_waiting_requests_are_served_by_priority_then_in_order(tmp_path: Path) -> None:
    """Lower priority first; equal priorities in the order they asked."""
    group = SlotGroup(1, tmp_path)
    first: list[Slot] = []
    group.request(first.append)
    order: list[str] = []
    slots: list[Slot] = []

    def record(tag: str) -> object:
        return lambda slot: (order.append(tag), slots.append(slot))

    for priority, tag in [(3.0, "c"), (1.0, "a1"), (2.0, "b"), (1.0, "a2"), (0.5, "z")]:
        group.request(record(tag), priority=priority)
    group.release(first[0])
    while len(order) < 5:
        group.release(slots[-1])
    assert order == ["z", "a1", "a2", "b", "c"]


def test_a_limit_caps_its_requests_below_the_machine_bound(tmp_path: Path) -> None:
    """A limit of 1 holds one slot even when two are free; others use the second."""
    group = SlotGroup(2, tmp_path)
    one = Limit(1)
    capped: list[Slot] = []
    other: list[Slot] = []
    group.request(capped.append, limit=one)
    group.request(capped.append, limit=one)
    group.request(other.append)
    assert (len(capped), len(other)) == (1, 1)
    group.release(capped[0])
    assert len(capped) == 2
    assert one.held == 1


def test_a_cancelled_request_is_never_granted(tmp_path: Path) -> None:
    """Cancel withdraws a waiting request; a granted one cannot be withdrawn."""
    group = SlotGroup(1, tmp_path)
    held: list[Slot] = []
    ticket = group.request(held.append)
    assert not group.cancel(ticket)
    late: list[Slot] = []
    waiting = group.request(late.append)
    assert group.cancel(waiting)
    group.release(held[0])
    assert late == []
    assert group.holding() == 0


async def test_cancelling_an_async_wait_leaks_no_slot(tmp_path: Path) -> None:
    """A task cancelled while waiting for a slot neither gets nor keeps one."""
    group = SlotGroup(1, tmp_path)
    first = await group.acquire()
    waiter = asyncio.ensure_future(group.acquire(priority=1.0))
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    group.release(first)
    assert group.holding() == 0
    again = await asyncio.wait_for(group.acquire(), PATIENCE)
    assert again.index == 0


def test_two_groups_on_one_directory_share_the_slots(tmp_path: Path) -> None:
    """Two groups over the same files exclude each other like two processes would (flock)."""
    a, b = SlotGroup(2, tmp_path), SlotGroup(2, tmp_path)
    held: list[Slot] = []
    a.request(held.append)
    a.request(held.append)
    got: list[Slot] = []
    b.request(got.append)
    assert got == []
    a.release(held[1])
    wait_until(lambda: len(got) == 1, "b's poller took the freed slot")
    assert got[0].index == 1


def test_a_slot_file_deleted_meanwhile_is_reopened(tmp_path: Path) -> None:
    """A slot file removed (a temp cleaner) and made again by another process still excludes."""
    a, b = SlotGroup(1, tmp_path), SlotGroup(1, tmp_path)
    first: list[Slot] = []
    a.request(first.append)
    a.release(first[0])  # a keeps the old file open
    (tmp_path / "slot-0.lock").unlink()
    held: list[Slot] = []
    b.request(held.append)  # b makes a new file and locks it
    assert len(held) == 1
    late: list[Slot] = []
    ticket = a.request(late.append)
    assert late == []
    a.cancel(ticket)
    b.release(held[0])


def test_unusable_slot_files_bound_this_process_only(tmp_path: Path) -> None:
    """If the directory cannot be used any more, calls are not stalled: the bound is local."""
    directory = tmp_path / "gone"
    group = SlotGroup(1, directory)
    directory.rmdir()
    directory.write_text("not a directory")
    held: list[Slot] = []
    group.request(held.append)
    group.request(held.append)
    assert len(held) == 1
    group.release(held[0])
    assert len(held) == 2


def test_group_names_and_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The env var names the group; `off` turns the slots off; names cannot escape the dir."""
    monkeypatch.setenv(SLOT_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(SLOT_GROUP_ENV, "team-a")
    assert group_name() == "team-a"
    assert slot_directory("team-a") == tmp_path / "team-a"
    slots = machine_slots(size=2)
    assert slots is not None
    assert slots.directory == tmp_path / "team-a"
    assert machine_slots(size=2) is slots
    assert machine_slots("OFF") is None
    monkeypatch.setenv(SLOT_GROUP_ENV, "off")
    assert machine_slots(size=2) is None
    for bad in ("../x", "a/b", "", " "):
        if bad.strip():
            with pytest.raises(ValueError, match="slot group"):
                group_name(bad)
        else:
            assert group_name(bad) == "default"


def test_the_default_directory_is_private_to_the_user(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without LLMORCH_SLOT_DIR the slots live in a per-user directory of mode 700."""
    monkeypatch.delenv(SLOT_DIR_ENV, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    slots = machine_slots(f"private-{os.getpid()}", size=2)
    assert slots is not None
    user_dir = tmp_path / f"langchain-llmorch-{os.getuid()}"
    assert slots.directory == user_dir / f"private-{os.getpid()}"
    assert stat.S_IMODE(user_dir.stat().st_mode) == 0o700


def test_a_directory_others_may_write_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A per-user directory others can write to is not trusted: the slots stay in-process."""
    monkeypatch.delenv(SLOT_DIR_ENV, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    shared = tmp_path / f"langchain-llmorch-{os.getuid()}"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    slots = machine_slots(f"open-{os.getpid()}", size=2)
    assert slots is not None
    assert slots.directory is None


def test_pool_calls_hold_slots_only_while_they_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A pool's calls take the machine-wide slots; done, cancelled or failed, they give them back."""
    group = f"pool-{os.getpid()}"
    monkeypatch.setenv(SLOT_DIR_ENV, str(tmp_path))
    pool = ProcessPool(2, slot_group=group)
    slots = pool.slots
    assert slots is not None
    try:
        gate = tmp_path / "gate"
        blockers = [pool.submit(funcs.wait_for_file, (str(gate),)) for _ in range(2)]
        wait_until(lambda: pool.running() == 2, "both calls run")
        assert slots.holding() == 2
        queued = pool.submit(funcs.return_value, (1,))
        assert not queued.done()
        queued.cancel()
        gate.touch()
        for blocker in blockers:
            blocker.result(timeout=PATIENCE)
        assert pool.submit(funcs.return_value, (7,)).result(timeout=PATIENCE).value == 7
        with pytest.raises(ValueError, match="boom"):
            pool.submit(funcs.raise_value_error, ("boom",)).result(timeout=PATIENCE)
        wait_until(lambda: slots.holding() == 0, "every slot is back")
    finally:
        pool.shutdown()


def test_pools_of_different_sizes_share_the_slots(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A pool of 3 and a pool of 1 on a P=2 machine: 2 calls at most, the small pool 1."""
    monkeypatch.setenv(SLOT_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(MAX_PROCESSORS_ENV, "2")
    big, small = ProcessPool(3), ProcessPool(1)
    try:
        futures = [pool.submit(funcs.sleep_for, (0.05,)) for pool in (big, small) for _ in range(4)]
        outcomes = [f.result(timeout=PATIENCE) for f in futures]
    finally:
        big.shutdown()
        small.shutdown()
    assert peak([(o.started_at, o.ended_at) for o in outcomes]) == 2
    assert peak([(o.started_at, o.ended_at) for o in outcomes[4:]]) == 1


# --- several processes ------------------------------------------------------------------------


def holder(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HOLDER), *map(str, args)], stdout=subprocess.PIPE, text=True
    )


def test_a_holder_killed_with_sigkill_frees_its_slots(tmp_path: Path) -> None:
    """kill -9 of a process holding every slot lets a waiting process proceed (the OS unlocks)."""
    owner = holder("hold", tmp_path, 2, 2)
    assert owner.stdout is not None
    waiter = None
    try:
        assert owner.stdout.readline().strip() == "held"
        waiter = holder("wait", tmp_path, 2)
        assert waiter.stdout is not None
        assert waiter.stdout.readline().strip() == "waiting"
        time.sleep(0.05)  # ten of the waiter's polls: it must still be waiting
        assert waiter.poll() is None
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        out, _ = waiter.communicate(timeout=PATIENCE)
        assert out.startswith("granted")
        assert waiter.returncode == 0
    finally:
        for proc in (owner, waiter):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()


def test_three_processes_never_hold_more_than_p_slots(tmp_path: Path) -> None:
    """3 processes x 4 threads ask for slots together: at most 2 holds overlap machine-wide."""
    gate = tmp_path / "go"
    procs = [holder("cycle", tmp_path, 2, 4, 0.03, gate) for _ in range(3)]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        gate.touch()
        spans = [tuple(s) for p in procs for s in json.loads(p.communicate(timeout=PATIENCE)[0])]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert len(spans) == 12
    assert peak(spans) == 2  # type: ignore[arg-type]


def test_the_forked_child_does_not_share_the_parents_slots(tmp_path: Path) -> None:
    """After os.fork the child reopens the slot files, so the parent's locks bind it too."""
    if not hasattr(os, "fork"):
        pytest.skip("no fork here")
    proc = holder("fork", tmp_path, 1)  # a fresh process: pytest's own has threads
    out, _ = proc.communicate(timeout=PATIENCE)
    assert out.strip() == "0"


def test_threads_of_one_process_share_the_bound(tmp_path: Path) -> None:
    """Eight threads each take a slot for a moment: at most P=2 holds overlap."""
    group = SlotGroup(2, tmp_path)
    spans: list[tuple[float, float]] = []

    def one() -> None:
        box: list[Slot] = []
        ready = threading.Event()
        group.request(lambda slot: (box.append(slot), ready.set()))
        ready.wait(PATIENCE)
        start = time.time()
        time.sleep(0.01)
        spans.append((start, time.time()))
        group.release(box[0])

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(spans) == 8
    assert peak(spans) == 2

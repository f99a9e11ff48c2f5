"""The machine-wide slots' guarantees that the mutation run of `processes.slots` found untested.

Orders come from the grants' own records; helper processes load only the slot modules.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from langchain_llmorch.processes.slots import (
    SLOT_DIR_ENV,
    Limit,
    Slot,
    SlotGroup,
    machine_slots,
)

HERE = Path(__file__).parent
HOLDER = HERE / "_slot_holder.py"
PATIENCE = 30.0  # seconds a helper or a wait may take before the test fails instead of hanging

# A fresh process: take the group's one slot, start its request thread, fork; the child asks
# for the slot through `machine_slots` and `request_off_loop` and must find it held.
FORKED_CHILD_ASKS = """
import os, sys, threading
sys.path.insert(0, sys.argv[1])
import _slot_holder as h
slots = h.load_slots()
group = slots.machine_slots("forked", size=1)
held = h.take(group)
group.request_off_loop(lambda slot: None).result()  # a ticket: our own slot is held
pid = os.fork()
if pid == 0:
    try:
        again = slots.machine_slots("forked", size=1)
        got = []
        ticket = again.request_off_loop(got.append).result(timeout=30)
        print("asked", again is group, ticket.waiting, got == [], flush=True)
    except BaseException as exc:
        print("failed", type(exc).__name__, flush=True)
    os._exit(0)
os.waitpid(pid, 0)
"""

# A fresh process takes the one slot and forks a child that lives on. The child prints its
# pid once it runs (after the fork handlers), then both sleep until killed.
HOLD_AND_FORK = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
import _slot_holder as h
from pathlib import Path
group = h.load_slots().SlotGroup(1, Path(sys.argv[2]))
h.take(group)
if os.fork() == 0:
    print(os.getpid(), flush=True)
time.sleep(3600)
"""


def python(code: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, str(HERE), *map(str, args)],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_request_without_a_priority_comes_before_positive_ones(tmp_path: Path) -> None:
    """The default priority is 0: it goes before priority 0.5 and after -1."""
    group = SlotGroup(1, tmp_path)
    held: list[Slot] = []
    group.request(held.append)
    order: list[str] = []
    slots: list[Slot] = []
    group.request(lambda slot: (order.append("half"), slots.append(slot)), priority=0.5)
    group.request(lambda slot: (order.append("default"), slots.append(slot)))
    group.request(lambda slot: (order.append("negative"), slots.append(slot)), priority=-1.0)
    group.release(held[0])
    while len(order) < 3:
        group.release(slots[-1])
    assert order == ["negative", "default", "half"]


async def test_acquire_without_a_priority_comes_before_positive_ones(tmp_path: Path) -> None:
    """`acquire()`'s default priority is 0 too."""
    group = SlotGroup(1, tmp_path)
    first = await group.acquire()
    late = asyncio.ensure_future(group.acquire(priority=0.5))
    early = asyncio.ensure_future(group.acquire())
    await asyncio.sleep(0)  # both tasks have asked, in order, on the group's request thread
    barrier = await asyncio.wrap_future(group.request_off_loop(lambda _slot: None, priority=9))
    assert group.cancel(barrier)  # asked after both: so both wait now
    await group.arelease(first)
    done, _ = await asyncio.wait({late, early}, return_when=asyncio.FIRST_COMPLETED)
    assert done == {early}
    await group.arelease(early.result())
    await group.arelease(await asyncio.wait_for(late, PATIENCE))


async def test_acquire_respects_its_limit(tmp_path: Path) -> None:
    """Waiting on the loop keeps a limit of 1 to one slot though two are free."""
    group = SlotGroup(2, tmp_path)
    one = Limit(1)
    first = await group.acquire(limit=one)
    second = asyncio.ensure_future(group.acquire(limit=one))
    other = await asyncio.wait_for(group.acquire(), PATIENCE)  # the second free slot
    assert not second.done()
    assert (one.held, group.holding()) == (1, 2)
    await group.arelease(other)
    await asyncio.sleep(0.01)
    assert not second.done()  # a slot is free, the limit is not
    await group.arelease(first)
    again = await asyncio.wait_for(second, PATIENCE)
    assert one.held == 1
    await group.arelease(again)
    assert (one.held, group.holding()) == (0, 0)


async def test_a_wait_cancelled_just_as_its_slot_arrives_gives_the_slot_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task is cancelled after its grant was set but before it resumed: no slot leaks."""
    group = SlotGroup(1, tmp_path)
    loop = asyncio.get_running_loop()
    made: list[asyncio.Future[Slot]] = []
    create = loop.create_future

    def spy() -> asyncio.Future[Slot]:
        future: asyncio.Future[Slot] = create()
        made.append(future)
        return future

    monkeypatch.setattr(loop, "create_future", spy)
    task = asyncio.ensure_future(group.acquire())
    await asyncio.sleep(0)  # the task made its grant future first
    monkeypatch.setattr(loop, "create_future", create)
    grant = made[0]
    await grant  # we wake before the task: it waits on the grant only after the request
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert group.holding() == 0
    again = await asyncio.wait_for(group.acquire(), PATIENCE)
    await group.arelease(again)


def test_a_releasing_process_lets_another_waiting_process_compete(tmp_path: Path) -> None:
    """While another process waits, a release unlocks the file: no direct hand-over here."""
    group = SlotGroup(1, tmp_path)
    held: list[Slot] = []
    group.request(held.append)
    threads: list[str] = []
    mine: list[Slot] = []
    got = threading.Event()
    group.request(
        lambda slot: (threads.append(threading.current_thread().name), mine.append(slot), got.set())
    )
    waiter = subprocess.Popen(
        [sys.executable, str(HOLDER), "wait", str(tmp_path), "1"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert waiter.stdout is not None
        assert waiter.stdout.readline().strip() == "waiting"
        group.release(held[0])
        assert threads != [threading.current_thread().name]  # not handed over in release
        assert got.wait(PATIENCE)  # ours, from the poller, before or after the other's
        group.release(mine[0])
        out, _ = waiter.communicate(timeout=PATIENCE)
        assert out.startswith("granted")
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.communicate()


def test_a_forked_child_can_ask_for_slots(tmp_path: Path) -> None:
    """After os.fork the child's process-wide groups and their request thread work again."""
    env = {**os.environ, SLOT_DIR_ENV: str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", FORKED_CHILD_ASKS, str(HERE)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    out, _ = proc.communicate(timeout=PATIENCE)
    assert out.split() == ["asked", "True", "True", "True"]


def test_a_forked_child_does_not_keep_its_parents_slot(tmp_path: Path) -> None:
    """A holder killed with SIGKILL frees its slot even if a child it forked lives on."""
    proc = python(HOLD_AND_FORK, tmp_path)
    child = None
    try:
        assert proc.stdout is not None
        child = int(proc.stdout.readline())
        proc.kill()
        proc.wait()
        group = SlotGroup(1, tmp_path)
        held: list[Slot] = []
        group.request(held.append)
        assert len(held) == 1
        group.release(held[0])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if child is not None:
            os.kill(child, signal.SIGKILL)


def test_unusable_machine_slots_are_reported_with_the_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A per-user directory others may write to is named in the warning, with the reason."""
    monkeypatch.delenv(SLOT_DIR_ENV, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    shared = tmp_path / f"langchain-llmorch-{os.getuid()}"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    with caplog.at_level(logging.WARNING, logger="langchain_llmorch.processes.slots"):
        slots = machine_slots(f"named-{os.getpid()}", size=2)
    assert slots is not None
    assert slots.directory is None
    directory = str(shared / f"named-{os.getpid()}")
    (record,) = [r for r in caplog.records if directory in r.getMessage()]
    assert "unusable" in record.getMessage()
    assert "not private" in record.getMessage()

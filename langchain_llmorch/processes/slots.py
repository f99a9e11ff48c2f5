"""Machine-wide compute slots: at most P compute calls at once in all of a user's processes.

Each of the P slots is a file, `slot-<i>.lock`, in a per-user directory, one directory per
group of processes. A process holds a slot while it holds an exclusive `flock` on that file.
The kernel drops the lock when the process ends, `kill -9` included, so a crashed holder gives
its slots back at once: there is no daemon to start and nothing to clean up.

    process A                          <dir>/<group>/                        process B
    ---------                          --------------                        ---------
    request(grant, priority, limit)    slot-0.lock   flock held by A         waiters, by
      -> waiters, by priority          slot-1.lock   flock held by B         priority
      -> try LOCK_NB on each free      waiting       lockf read locks of     poller thread:
         slot -> grant(slot)                         processes with          every POLL_SECONDS
    release(slot)                                    waiters                 try free slots again
      -> next waiter here, unless another process waits (then the file is unlocked)

Inside a process, waiting requests are served lowest priority first, ties in arrival order,
and each respects its `Limit` (the cap of the pool or orchestrator it comes from). Across
processes a freed slot goes to whichever waiting process asks first: a releasing process
hands a slot straight to its own next waiter only while no other process is waiting (the
`waiting` file tells), so a busy process cannot starve the others.

Why `fcntl` and not `filelock`: "take any one of P slots" is a non-blocking try over P files,
and waiting must follow the priorities and cancellations of many callers of one process;
filelock offers one blocking lock per path with its own polling loop and re-entrant counts,
so it would add a layer without removing any of this code. The module uses the standard
library only.

`LLMORCH_SLOT_GROUP` names the group (default `default`; `off` turns machine-wide slots off)
and `LLMORCH_SLOT_DIR` moves the directory (e.g. to a volume shared by containers). Without
`fcntl` (Windows) the slots bound this process only. The files and their locks are in
`processes.slot_files`.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from langchain_llmorch.processes.slot_files import (
    DEFAULT_GROUP,
    HAVE_FILE_LOCKS,
    OFF,
    SLOT_DIR_ENV,
    SLOT_GROUP_ENV,
    SlotFiles,
    group_name,
    make_private,
    slot_directory,
)

logger = logging.getLogger(__name__)

# A waiting process looks for a slot freed by another process this often. Each look is a
# few non-blocking syscalls (~20 us), so 5 ms costs well under 1% of a core while waiting,
# and adds at most 5 ms to a hand-over between processes; within a process there is no wait.
POLL_SECONDS = 0.005


class Limit:
    """A cap below the machine's: at most `size` slots held through it at once."""

    __slots__ = ("held", "size")

    def __init__(self, size: int) -> None:
        """Allow `size` slots at once."""
        self.size = size
        self.held = 0

    def __repr__(self) -> str:
        """Show the use."""
        return f"Limit({self.held}/{self.size})"


@dataclass(eq=False)
class Slot:
    """One held slot; give it back with `SlotGroup.release`."""

    index: int
    """Which of the group's P slots (0-based)."""
    limit: Limit | None
    released: bool = False


@dataclass(eq=False)
class Ticket:
    """A request waiting for a slot; `SlotGroup.cancel` withdraws it."""

    priority: float
    seq: int
    grant: Callable[[Slot], None] = field(repr=False)
    limit: Limit | None
    waiting: bool = True

    def __lt__(self, other: Ticket) -> bool:
        """Lower priority first, then arrival order."""
        return (self.priority, self.seq) < (other.priority, other.seq)


class SlotGroup:
    """P slots shared by every process that uses the same directory (in-process without one).

    Example:
        ```python
        group = SlotGroup(2, Path("/tmp/my-slots"))
        slot = await group.acquire(priority=1.0)
        try:
            ...  # at most 2 of these run at once across processes
        finally:
            await group.arelease(slot)
        ```
    """

    def __init__(self, size: int, directory: Path | None) -> None:
        """Make a group of `size` slots whose files live in `directory` (None: this process)."""
        if size < 1:
            msg = f"a slot group needs at least 1 slot, not {size}"
            raise ValueError(msg)
        self._size = size
        usable = directory is not None and HAVE_FILE_LOCKS
        self._files = SlotFiles(directory, size) if usable and directory else None
        self._lock = threading.Lock()
        self._held: set[int] = set()
        self._waiters: list[Ticket] = []  # sorted
        self._seq = itertools.count()
        self._poller: threading.Thread | None = None
        self._limits: dict[int, Limit] = {}
        self._withdrawals: set[asyncio.Future[None]] = set()  # abandoned waits being withdrawn
        self._requester: ThreadPoolExecutor | None = None  # `request_off_loop`'s thread
        _all_groups.add(self)

    @property
    def size(self) -> int:
        """P: how many slots the group has."""
        return self._size

    @property
    def directory(self) -> Path | None:
        """Where the slot files are (`None`: the slots bound this process only)."""
        return None if self._files is None else self._files.directory

    def holding(self) -> int:
        """How many slots this process holds now."""
        return len(self._held)

    def limit(self, size: int) -> Limit:
        """A process-wide cap of `size` slots, one per size (for callers without a pool)."""
        with self._lock:
            return self._limits.setdefault(size, Limit(size))

    # --- requests -----------------------------------------------------------------------------

    def request(
        self,
        grant: Callable[[Slot], None],
        *,
        priority: float = 0.0,
        limit: Limit | None = None,
    ) -> Ticket:
        """Ask for a slot; `grant(slot)` is called once one is held (maybe before returning).

        `grant` runs on whichever thread frees or finds the slot, outside the group's lock; it
        must be quick and must not block.
        """
        ticket = Ticket(priority, next(self._seq), grant, limit)
        with self._lock:
            bisect.insort(self._waiters, ticket)
            grants = self._pump()
        self._deliver(grants)
        return ticket

    def request_off_loop(
        self,
        grant: Callable[[Slot], None],
        *,
        priority: float = 0.0,
        limit: Limit | None = None,
    ) -> Future[Ticket]:
        """`request` on the group's own thread; the future holds the ticket.

        Asking may stat and lock the slot files, which must not block an event loop (a
        server such as `langgraph dev` refuses that). One thread asks for every such
        request, so they keep the order they were made in.
        """
        with self._lock:
            if self._requester is None:
                self._requester = ThreadPoolExecutor(1, thread_name_prefix="llmorch-slot-requests")
            requester = self._requester
        return requester.submit(partial(self.request, grant, priority=priority, limit=limit))

    def cancel(self, ticket: Ticket) -> bool:
        """Withdraw a waiting request; False when it was granted already."""
        with self._lock:
            if not ticket.waiting:
                return False
            ticket.waiting = False
            self._waiters.remove(ticket)
            self._update_marker()
            return True

    def release(self, slot: Slot) -> None:
        """Give a slot back (a second release of the same slot does nothing)."""
        with self._lock:
            if slot.released:
                return
            slot.released = True
            if slot.limit is not None:
                slot.limit.held -= 1
            following = self._first_eligible()
            files = self._files
            if following is not None and (files is None or not files.others_waiting()):
                grants = [self._assign(following, slot.index)]  # keep the file locked
                self._update_marker()
            else:
                self._held.discard(slot.index)
                if files is not None:
                    files.unlock(slot.index)
                grants = []  # a waiter here gets a slot from the poller, like the others
                self._update_marker()  # which may have stopped while the limit held them all
        self._deliver(grants)

    async def acquire(self, *, priority: float = 0.0, limit: Limit | None = None) -> Slot:
        """Wait for a slot on the running event loop; cancelling the wait withdraws it.

        The request is made off the loop (`request_off_loop`), and so is every release.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Slot] = loop.create_future()

        def settle(slot: Slot) -> None:
            if future.done():  # the wait was cancelled meanwhile
                loop.run_in_executor(None, self.release, slot)
            else:
                future.set_result(slot)

        def grant(slot: Slot) -> None:  # any thread
            loop.call_soon_threadsafe(settle, slot)

        asking = asyncio.wrap_future(self.request_off_loop(grant, priority=priority, limit=limit))
        try:
            await asyncio.shield(asking)
            return await future
        except BaseException:
            held = future.result() if future.done() and not future.cancelled() else None
            future.cancel()  # a grant still on its way is given back by `settle`
            withdrawal = asyncio.ensure_future(self._withdraw(asking, held))
            self._withdrawals.add(withdrawal)  # finishes even if this task is cancelled again
            withdrawal.add_done_callback(self._withdrawals.discard)
            await asyncio.shield(withdrawal)
            raise

    async def _withdraw(self, asking: asyncio.Future[Ticket], held: Slot | None) -> None:
        """Withdraw an abandoned wait: its request, and the slot it may have been given."""
        try:
            ticket: Ticket | None = await asking
        except BaseException:  # the request itself failed: nothing to withdraw
            ticket = None

        def give_back() -> None:
            if ticket is not None:
                self.cancel(ticket)
            if held is not None:
                self.release(held)

        await asyncio.get_running_loop().run_in_executor(None, give_back)

    async def arelease(self, slot: Slot) -> None:
        """`release` from the event loop: the slot files are unlocked on a worker thread."""
        await asyncio.get_running_loop().run_in_executor(None, self.release, slot)

    # --- under the lock -----------------------------------------------------------------------

    def _first_eligible(self) -> Ticket | None:
        for ticket in self._waiters:
            if ticket.limit is None or ticket.limit.held < ticket.limit.size:
                return ticket
        return None

    def _assign(self, ticket: Ticket, index: int) -> tuple[Ticket, Slot]:
        self._waiters.remove(ticket)
        ticket.waiting = False
        self._held.add(index)
        if ticket.limit is not None:
            ticket.limit.held += 1
        return ticket, Slot(index, ticket.limit)

    def _pump(self) -> list[tuple[Ticket, Slot]]:
        """Give free slots to the best eligible waiters; poll for the rest."""
        grants = []
        while (ticket := self._first_eligible()) is not None:
            index = self._take_free()
            if index is None:
                break
            grants.append(self._assign(ticket, index))
        self._update_marker()
        return grants

    def _take_free(self) -> int | None:
        for index in range(self._size):
            if index in self._held:
                continue
            if self._files is None or self._files.try_lock(index):
                return index
        return None

    def _update_marker(self) -> None:
        """Poll, and say so in the `waiting` file, while a request here waits for a slot."""
        waiting = self._first_eligible() is not None
        if waiting and self._poller is None:
            self._poller = threading.Thread(
                target=self._poll, name="llmorch-slots-poller", daemon=True
            )
            self._poller.start()
        if self._files is not None:
            self._files.mark_waiting(waiting)

    # --- outside the lock ---------------------------------------------------------------------

    def _deliver(self, grants: list[tuple[Ticket, Slot]]) -> None:
        for ticket, slot in grants:
            try:
                ticket.grant(slot)
            except Exception:  # a broken listener must not keep the slot
                logger.exception("a compute slot could not be handed over")
                self.release(slot)

    def _poll(self) -> None:
        """While requests wait here, try for slots freed by other processes."""
        while True:
            time.sleep(POLL_SECONDS)
            with self._lock:
                grants = self._pump()
                done = self._first_eligible() is None
                if done:
                    self._poller = None
            self._deliver(grants)
            if done:
                return

    def _reset_in_child(self) -> None:
        """After `os.fork()`: the child shares the parent's open files, so it reopens them."""
        self._lock = threading.Lock()
        if self._files is not None:
            self._files.forget_after_fork()
        self._held.clear()
        self._waiters.clear()
        self._poller = None
        self._requester = None  # its thread did not survive the fork
        for limit in self._limits.values():
            limit.held = 0


# --- the process-wide groups --------------------------------------------------------------

_all_groups: weakref.WeakSet[SlotGroup] = weakref.WeakSet()
_groups: dict[tuple[Path | None, int], SlotGroup] = {}
_groups_lock = threading.Lock()


def machine_slots(group: str | None = None, size: int | None = None) -> SlotGroup | None:
    """The process-wide slots of `group` (see `group_name`); `None` when the group is `off`.

    Args:
        group: the group's name; `None` reads `LLMORCH_SLOT_GROUP`.
        size: P; `None` means `usable_cpus()` (which honours `LLMORCH_MAX_PROCESSORS`).

    Example:
        ```python
        slots = machine_slots()
        print(slots.size, slots.directory)  # e.g. 2 /tmp/langchain-llmorch-1000/default
        ```
    """
    name = group_name(group)
    if name == OFF:
        return None
    if size is None:
        # Imported here so this module loads alone (psutil is only needed for the default P).
        from langchain_llmorch.processes.cpus import usable_cpus  # noqa: PLC0415

        size = usable_cpus()
    directory = slot_directory(name) if HAVE_FILE_LOCKS else None
    key = (directory, size)
    with _groups_lock:
        found = _groups.get(key)
        if found is None:
            try:
                if directory is not None and not os.environ.get(SLOT_DIR_ENV, "").strip():
                    make_private(directory.parent)
                found = SlotGroup(size, directory)
            except OSError as err:
                logger.warning(
                    "compute slots in %s are unusable (%s): they bound this process only",
                    directory,
                    err,
                )
                found = SlotGroup(size, None)
            _groups[key] = found
        return found


def _reset_groups_in_child() -> None:
    global _groups_lock  # noqa: PLW0603 -- the parent's lock may have been held at the fork
    _groups_lock = threading.Lock()
    for group in list(_all_groups):
        group._reset_in_child()  # noqa: SLF001 -- same module


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_groups_in_child)


__all__ = [
    "DEFAULT_GROUP",
    "OFF",
    "POLL_SECONDS",
    "SLOT_DIR_ENV",
    "SLOT_GROUP_ENV",
    "Limit",
    "Slot",
    "SlotGroup",
    "Ticket",
    "group_name",
    "machine_slots",
    "slot_directory",
]

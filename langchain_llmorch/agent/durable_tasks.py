"""The LangGraph task of each durable call: when a call waits for it, which config it runs with.

Holds the task itself (`record` / `arecord`, one per call, see `agent/durable.py`), the
rules for when a call waits for its task to start (`TaskStarts`), the count of the
`interrupt()`s a call makes with the node's config (`NodeQuestions`), and the choice of
each call's config between the two (`OwnConfigs`). `CallLedger` holds one of each.

An inout call's tool runs with the config of its own task, not the node's: LangGraph
matches the values of `Command(resume=...)` to `interrupt()` calls by their order *within a
task* (the task's scratchpad counts them and its pending writes keep the values it already
took). In the node, the order of all the calls' questions changes from one resume to the
next (a restored call does not ask again, parallel calls ask in any order), so an answer
could reach the wrong question; each call's own task keeps its answers, and the interrupt's
id names that task (when calls ask at once, resume by id:
`Command(resume={interrupt.id: answer})`; a single value goes to whichever asks first).

A task's config exists once the task starts, and LangGraph starts them a bounded number
at a time, first issued, first started: a sync graph (`invoke`) in its thread pool
(`max_concurrency` threads, else the default of Python's `ThreadPoolExecutor`), an async
graph `max_concurrency` at once when its config sets it (else all at once). A task holds its
thread or slot until its call ends, so a call waits for its task to start (on the run's
event loop, holding no thread, slot or limit) only when one is sure to be free for it, that
is when fewer tasks issued before it are still running than there are (one is kept for the
node). Else it never waits for other calls to end (they could be waiting for it: a
deadlock) and runs with the node's config, as it would without a checkpointer; its task
still saves its result once it starts. `aissue` likewise waits only for the tasks sure to
start; the others' saved values are taken when LangGraph hands them back within a few turns
of the loop (that needs no slot). A call that fails ends its task at once, and so do the
calls that wait for it (they will not run), so their threads go to the tasks behind them.

A call whose task started though it was not sure to (a thread was free by chance) still
asks in the node, as it would in another run, unless its task holds answers given by the
ids of its own questions: which config a call asks with does not depend on timing, so an
answer given by a question's id finds it on resume.

With the node's config, a call's answers are matched in the node's order. Each such call's
`interrupt()`s are counted and saved with its result: once it is restored (it does not ask
again) as many of the node's answers are skipped, so the next question gets its own. While
the node holds answers no call took (an answer given by the id of a question asked in the
node), calls run with the node's config (except those whose own task holds answers), so
the call that asked there gets it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph._internal._constants import CONFIG_KEY_SCRATCHPAD
from langgraph.config import get_config
from langgraph.func import task

TASK_NAME = "llmorch_call"
"""The name of the LangGraph task that saves one call's result."""


@dataclass
class Slot:
    """Where a call's task waits for the call's result."""

    id: str
    future: concurrent.futures.Future[dict[str, Any]] = field(
        default_factory=concurrent.futures.Future
    )
    started: asyncio.Event | None = None
    begun: concurrent.futures.Future[RunnableConfig | None] = field(
        default_factory=concurrent.futures.Future
    )
    """The config of the call's task once it starts (its interrupts and resume values);
    `None` when the task ended without starting (handed back from the checkpoint)."""


def begin(slot: Slot, config: RunnableConfig | None) -> None:
    """Tell the call of `slot` its task's config (`None`: the task ended without starting)."""
    with contextlib.suppress(concurrent.futures.InvalidStateError):  # known already
        slot.begun.set_result(config)


def _wait(slot: Slot) -> dict[str, Any]:
    begin(slot, get_config())  # the task's own config, for the call's tool
    return slot.future.result()


async def _await(slot: Slot) -> dict[str, Any]:
    begin(slot, get_config())
    if slot.started is not None:
        slot.started.set()  # tells `aissue` the task runs: it had nothing saved
    return await asyncio.wrap_future(slot.future)


def pool_threads(config: RunnableConfig) -> int:
    """Threads of the pool LangGraph starts a sync graph's tasks in (`max_concurrency`)."""
    limit = config.get("max_concurrency")
    if limit:
        return int(limit)
    cpus = getattr(os, "process_cpu_count", os.cpu_count)() or 1
    return min(32, cpus + 4)  # the default of Python's ThreadPoolExecutor


NODE_THREADS = 1
"""Pool threads (async: slots) the node itself may hold (it runs beside other tasks)."""

UNBOUNDED = sys.maxsize
"""The tasks an async graph starts at once without `max_concurrency`: all of them."""

SETTLE_TURNS = 8
"""Turns of the event loop `aissue` gives tasks it does not wait for to hand back a saved
value (LangGraph does it without a slot: in two turns with LangGraph 1.2). One still
unknown then runs again: it cannot be told apart from one waiting for a slot."""


# The same name in both, so a run that crashed under `invoke` resumes under `ainvoke`.
# (Typed `Any`: mypy cannot solve `task`'s overloads when a name is given.)
record: Any = task(name=TASK_NAME)(cast("Any", _wait))
arecord: Any = task(name=TASK_NAME)(cast("Any", _await))


class TaskStarts:
    """The calls' tasks of one ledger, and which call waits for its task to start."""

    def __init__(self, *, threads: int, tasks: int | None) -> None:
        """`threads`: a sync graph's pool; `tasks`: an async graph's `max_concurrency`."""
        self.threads = threads
        self.tasks = tasks or UNBOUNDED
        self.slots: dict[str, Slot] = {}
        self.futures: dict[str, Any] = {}

    def known(self, slot: Slot) -> bool:
        """Whether the task of `slot` handed back its value or started."""
        return self.futures[slot.id].done() or slot.begun.done()

    async def decided(self, slot: Slot) -> None:
        """Wait until the task of `slot` hands back its saved value or starts."""
        fut = self.futures[slot.id]
        started = asyncio.ensure_future(slot.started.wait())  # type: ignore[union-attr]
        await asyncio.wait([fut, started], return_when=asyncio.FIRST_COMPLETED)
        started.cancel()

    def watch(self, slot: Slot) -> None:
        """A task that ends without starting tells the call it has no config of its own."""
        self.futures[slot.id].add_done_callback(lambda _: begin(slot, None))

    def pending(self, cid: str) -> concurrent.futures.Future[Any] | None:
        """What call `cid` waits for before it starts: its task's start, when that is sure.

        `None` when its task's config is known, when it has no task, or when its task may
        have to wait for a thread that only other calls' ends free.
        """
        slot = self.slots.get(cid)
        if slot is None or slot.begun.done():
            return None
        return slot.begun if self.sure(cid) else None

    def sure(self, cid: str) -> bool:
        """Whether a thread (a slot, in an async graph) is sure to be free for `cid`'s task.

        Tasks start first issued, first started: those issued before it that have not
        ended hold (or wait for) one each, and the node may hold one.
        """
        ahead = 0
        for other, fut in list(self.futures.items()):
            if other == cid:
                break
            ahead += not fut.done()
        return ahead + NODE_THREADS < self.threads

    def own_config(self, cid: str) -> RunnableConfig | None:
        """The config of call `cid`'s task, once it started; else `None`."""
        slot = self.slots.get(cid)
        if slot is None or not slot.begun.done():
            return None
        return slot.begun.result()


class NodeQuestions:
    """The `interrupt()`s calls make with the node's config, counted in the node's order."""

    def __init__(self, node: RunnableConfig | None = None) -> None:
        """Count the questions asked with `node`'s config (the node's, when in a graph)."""
        self.node = node
        self.asks: Counter[str] = Counter()
        """How many `interrupt()`s each call made with the node's config (see `config`)."""
        self.skipped = 0
        """The node's answers taken by restored calls in earlier runs (see `skip`)."""

    def skip(self, asks: object) -> None:
        """Count the node's answers a restored call took, so the next question gets the next.

        LangGraph matches the node's answers to its `interrupt()`s by their order; a call
        that asked with the node's config in an earlier run does not ask again once
        restored, so without this every later question would get the answer before its own.
        """
        pad = self._pad()
        if pad is None or not isinstance(asks, int):
            return
        self.skipped += asks
        for _ in range(asks):
            pad.interrupt_counter()

    def _pad(self) -> Any:
        """The node's scratchpad (its answers and their count), when it runs in a graph."""
        return (self.node or {}).get("configurable", {}).get(CONFIG_KEY_SCRATCHPAD)

    def owes(self) -> bool:
        """Whether the node holds answers no call took yet (answers to the node's questions).

        A call asked with the node's config in an earlier run (its task could not start),
        and the answer was given by the id of that question: the calls take the node's
        config until one takes it, even those whose own task started this time (unless
        their task holds answers of its own).
        """
        pad = self._pad()
        resume = getattr(pad, "resume", None) or ()
        return len(resume) > self.skipped + sum(self.asks.values())

    def config(self, cid: str, config: RunnableConfig) -> RunnableConfig | None:
        """`config` (the node's) for call `cid`, counting the `interrupt()`s its tool makes.

        A call that runs with the node's config takes the node's answers in the node's
        order; the count goes with its saved result (see `skip`). `None` outside a
        graph (nothing to count: the run's config stays).
        """
        configurable = config.get("configurable") or {}
        pad = configurable.get(CONFIG_KEY_SCRATCHPAD)
        if pad is None:
            return None
        count = pad.interrupt_counter

        def counted() -> int:
            self.asks[cid] += 1
            return int(count())

        counting = dataclasses.replace(pad, interrupt_counter=counted)
        return {**config, "configurable": {**configurable, CONFIG_KEY_SCRATCHPAD: counting}}


class OwnConfigs:
    """The ledger's answer to `CALL_CONFIG_KEY`: each call's own config (see `run_config`)."""

    def __init__(
        self, starts: TaskStarts, questions: NodeQuestions, config: RunnableConfig
    ) -> None:
        """Choose between the tasks' configs in `starts` and the node's `config`."""
        self.starts = starts
        self.questions = questions
        self.base = config

    def pending(self, cid: str) -> concurrent.futures.Future[Any] | None:
        """What call `cid` waits for before it starts (see `TaskStarts.pending`)."""
        return self.starts.pending(cid)

    def config(self, cid: str) -> RunnableConfig | None:
        """The config call `cid` runs with: its task's, else the node's (counted)."""
        own = self.starts.own_config(cid)
        if own is None:
            return self.questions.config(cid, self.base)
        if not _answered(own) and (self.questions.owes() or not self.starts.sure(cid)):
            # A task that started though it was not sure to: the call asks where it would
            # in any run (in the node), so an answer given by a question's id finds it.
            return self.questions.config(cid, self.base)
        return {**self.base, "configurable": dict(own.get("configurable") or {})}


def _answered(config: RunnableConfig) -> bool:
    """Whether a task's config holds answers given by the ids of its own questions."""
    pad = config.get("configurable", {}).get(CONFIG_KEY_SCRATCHPAD)
    return bool(getattr(pad, "resume", None))


__all__ = [
    "SETTLE_TURNS",
    "TASK_NAME",
    "NodeQuestions",
    "OwnConfigs",
    "Slot",
    "TaskStarts",
    "arecord",
    "begin",
    "pool_threads",
    "record",
]

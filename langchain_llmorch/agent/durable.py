"""Durable calls: each finished call is saved through the graph's own checkpointer.

The coordinator is one graph node, and LangGraph saves a node's update only when
the node returns. To save each call as it finishes, the coordinator issues one
LangGraph task (the functional API's `@task`, called from inside the node) per
call that has no result yet, **in plan order**, before any call starts. A task's
id depends on the order tasks are issued, so the same plan issues the same ids
every time the node runs again in the same step.

- A task waits for its call and returns `{"id": ..., "call": ..., "result": ...}`; LangGraph
  writes that return value to the checkpointer (a *pending write* of the step) as
  soon as the task ends.
- When the node runs again in the same step (resumed after a crash, or after an
  `interrupt()`), LangGraph hands a task that already returned its saved value
  without running it: those calls are *restored*, and the orchestrator runs
  only the others.
- A call that does not finish (failed, skipped, paused, cut short) ends its task
  with an error. LangGraph does not replay failed tasks, so on resume that task
  runs again and can save the call's next result.

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

Results go through the checkpointer's serializer before a call counts as
finished: a result it cannot store fails that call with `ResultNotStorableError`
(never a crash when the checkpoint is saved).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import hashlib
import os
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph._internal._constants import CONFIG_KEY_CHECKPOINTER, CONFIG_KEY_SCRATCHPAD
from langgraph.config import get_config
from langgraph.errors import GraphInterrupt
from langgraph.func import task

from langchain_llmorch.engine.calls import CALL_CONFIG_KEY
from langchain_llmorch.engine.events import RunResult
from langchain_llmorch.errors import LLMOrchError
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.tools import COMPUTE

TASK_NAME = "llmorch_call"
"""The name of the LangGraph task that saves one call's result."""


class ResultNotStorableError(LLMOrchError):
    """A call's result cannot be saved by the graph's checkpointer.

    Return plain data (str, numbers, lists, dicts, pydantic models, dataclasses),
    or opt in to pickling: `SqliteSaver(conn, serde=JsonPlusSerializer(pickle_fallback=True))`.
    """


class InterruptInComputeError(LLMOrchError):
    """A compute tool called `interrupt()`: it runs in a worker process, outside the graph."""


class _NotFinishedError(Exception):
    """Ends the task of a call that did not finish; the task runs again on resume."""


@dataclass
class _Slot:
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


def _begin(slot: _Slot, config: RunnableConfig | None) -> None:
    with contextlib.suppress(concurrent.futures.InvalidStateError):  # known already
        slot.begun.set_result(config)


def _wait(slot: _Slot) -> dict[str, Any]:
    _begin(slot, get_config())  # the task's own config, for the call's tool
    return slot.future.result()


async def _await(slot: _Slot) -> dict[str, Any]:
    _begin(slot, get_config())
    if slot.started is not None:
        slot.started.set()  # tells `aissue` the task runs: it had nothing saved
    return await asyncio.wrap_future(slot.future)


def _pool_threads(config: RunnableConfig) -> int:
    """Threads of the pool LangGraph starts a sync graph's tasks in (`max_concurrency`)."""
    limit = config.get("max_concurrency")
    if limit:
        return int(limit)
    cpus = getattr(os, "process_cpu_count", os.cpu_count)() or 1
    return min(32, cpus + 4)  # the default of Python's ThreadPoolExecutor


_NODE_THREADS = 1
"""Pool threads (async: slots) the node itself may hold (it runs beside other tasks)."""

_UNBOUNDED = sys.maxsize
"""The tasks an async graph starts at once without `max_concurrency`: all of them."""

_SETTLE_TURNS = 8
"""Turns of the event loop `aissue` gives tasks it does not wait for to hand back a saved
value (LangGraph does it without a slot: in two turns with LangGraph 1.2). One still
unknown then runs again: it cannot be told apart from one waiting for a slot."""


# The same name in both, so a run that crashed under `invoke` resumes under `ainvoke`.
# (Typed `Any`: mypy cannot solve `task`'s overloads when a name is given.)
_record: Any = task(name=TASK_NAME)(cast("Any", _wait))
_arecord: Any = task(name=TASK_NAME)(cast("Any", _await))


def _saved(value: Any, cid: str, call: str, inputs: str) -> tuple[bool, Any]:
    """`(True, result)` when `value` is what the task of call `cid` saved.

    Only for the same call: rendered `call`, and `inputs`, which stands for the lines of
    every call it depends on (the same line fed by a changed call must run again).
    """
    if isinstance(value, Mapping) and (
        value.get("id"),
        value.get("call"),
        value.get("inputs"),
    ) == (cid, call, inputs):
        return True, value.get("result")
    return False, None


class CallLedger:
    """The saved results of one run of calls, through the graph's checkpointer.

    Use `CallLedger.open(config)`: `None` when the graph has no checkpointer. Calls are
    issued with `issue` / `aissue` in plan order (all at once, or line by line while a
    plan streams); a saved result counts only for the same call (same id, tool and
    arguments, and the same for every call it depends on), so a plan written again
    differently never gets another call's result, nor one computed from other inputs.
    """

    def __init__(
        self, serde: Any, *, threads: int = 1 + _NODE_THREADS, tasks: int | None = None
    ) -> None:
        """A ledger that checks results with `serde` (the checkpointer's serializer).

        `threads` is the size of the pool a sync graph starts tasks in, `tasks` the number
        of tasks an async graph runs at once (`max_concurrency`; `None`: no bound). See the
        module's docstring; `open` reads both from the node's config.
        """
        self.serde = serde
        self.threads = threads
        self.tasks = tasks or _UNBOUNDED
        self.node: RunnableConfig | None = None
        self.asks: Counter[str] = Counter()
        """How many `interrupt()`s each call made with the node's config (see `node_config`)."""
        self.skipped = 0
        """The node's answers taken by restored calls in earlier runs (see `_skip_asks`)."""
        self.frg: FRG | None = None
        self.running: set[str] = set()
        self.calls: dict[str, str] = {}
        self.inputs: dict[str, str] = {}
        self._digests: dict[str, str] = {}
        self.slots: dict[str, _Slot] = {}
        self.futures: dict[str, Any] = {}

    @classmethod
    def open(cls, config: RunnableConfig) -> CallLedger | None:
        """A ledger when the node runs in a graph with a checkpointer, else `None`."""
        checkpointer = config.get("configurable", {}).get(CONFIG_KEY_CHECKPOINTER)
        if checkpointer is None or checkpointer is True or checkpointer is False:
            return None
        limit = config.get("max_concurrency")
        ledger = cls(
            getattr(checkpointer, "serde", None),
            threads=_pool_threads(config),
            tasks=int(limit) if limit else None,
        )
        ledger.node = config
        return ledger

    def _slots(self, frg: FRG, ids: Iterable[str]) -> list[_Slot]:
        self.frg = frg
        new = [_Slot(cid) for cid in ids if cid not in self.calls]
        for slot in new:
            self.calls[slot.id] = frg.calls[slot.id].render()
            parents = frg.parents(slot.id)
            self.inputs[slot.id] = _digest(self._digest(frg, p) for p in parents)
            self.slots[slot.id] = slot
        return new

    def _digest(self, frg: FRG, cid: str) -> str:
        """A digest of the line of `cid` and of every call it depends on (memoized)."""
        stack = [cid]
        while stack:
            top = stack[-1]
            if top in self._digests:
                stack.pop()
                continue
            missing = [p for p in frg.parents(top) if p not in self._digests]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            own = frg.calls[top].render()
            self._digests[top] = _digest([own, *(self._digests[p] for p in frg.parents(top))])
        return self._digests[cid]

    def issue(self, frg: FRG, ids: Iterable[str]) -> dict[str, Any]:
        """Issue the tasks of calls `ids` of `frg` in order; return the results saved earlier."""
        new = self._slots(frg, ids)
        for slot in new:
            self.futures[slot.id] = _record(slot)
            self._watch(slot)
        return self._restored(slot.id for slot in new if self.futures[slot.id].done())

    async def aissue(self, frg: FRG, ids: Iterable[str]) -> dict[str, Any]:
        """`issue` in an async graph: a task either returns its saved value or starts.

        It waits for a task only when a slot of `max_concurrency` is sure to be free for it
        (see the module's docstring); the others are restored when LangGraph hands their
        saved value back within a few turns of the loop (that needs no slot).
        """
        self.threads = self.tasks
        new = self._slots(frg, ids)
        for slot in new:
            slot.started = asyncio.Event()
            self.futures[slot.id] = _arecord(slot)
            self._watch(slot)
        undecided = []
        for slot in new:
            if self.sure(slot.id):
                await self._decided(slot)
            else:
                undecided.append(slot)
        for _ in range(_SETTLE_TURNS):
            if all(self._known(slot) for slot in undecided):
                break
            await asyncio.sleep(0)
        return self._restored(slot.id for slot in new if self.futures[slot.id].done())

    def _known(self, slot: _Slot) -> bool:
        """Whether the task of `slot` handed back its value or started."""
        return self.futures[slot.id].done() or slot.begun.done()

    async def _decided(self, slot: _Slot) -> None:
        """Wait until the task of `slot` hands back its saved value or starts."""
        fut = self.futures[slot.id]
        started = asyncio.ensure_future(slot.started.wait())  # type: ignore[union-attr]
        await asyncio.wait([fut, started], return_when=asyncio.FIRST_COMPLETED)
        started.cancel()

    def _watch(self, slot: _Slot) -> None:
        """A task that ends without starting tells the call it has no config of its own."""
        self.futures[slot.id].add_done_callback(lambda _: _begin(slot, None))

    def _restored(self, done: Iterable[str]) -> dict[str, Any]:
        restored = {}
        for cid in done:
            fut = self.futures[cid]
            if fut.exception() is not None:
                continue
            ok, value = _saved(fut.result(), cid, self.calls[cid], self.inputs[cid])
            if ok:
                restored[cid] = value
                self.slots.pop(cid)
                self._skip_asks(fut.result().get("asks"))
        return restored

    def _skip_asks(self, asks: object) -> None:
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

    def node_owes(self) -> bool:
        """Whether the node holds answers no call took yet (answers to the node's questions).

        A call asked with the node's config in an earlier run (its task could not start),
        and the answer was given by the id of that question: the calls take the node's
        config until one takes it, even those whose own task started this time (unless
        their task holds answers of its own).
        """
        pad = self._pad()
        resume = getattr(pad, "resume", None) or ()
        return len(resume) > self.skipped + sum(self.asks.values())

    def node_config(self, cid: str, config: RunnableConfig) -> RunnableConfig | None:
        """`config` (the node's) for call `cid`, counting the `interrupt()`s its tool makes.

        A call that runs with the node's config takes the node's answers in the node's
        order; the count goes with its saved result (see `_skip_asks`). `None` outside a
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

    def run_config(self, config: RunnableConfig) -> RunnableConfig:
        """`config` for the orchestrator: each inout call runs with its task's config.

        Callbacks, tags and metadata stay the node's (the tool's trace is unchanged);
        `configurable` is the task's, so the tool's `interrupt()` counts and takes its
        resume values in its own task. A call whose task has not started keeps `config`
        (when it could not wait for it: see the module's docstring).
        """
        configurable = {
            **config.get("configurable", {}),
            CALL_CONFIG_KEY: _OwnConfigs(self, config),
        }
        return {**config, "configurable": configurable}

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
        return ahead + _NODE_THREADS < self.threads

    def own_config(self, cid: str) -> RunnableConfig | None:
        """The config of call `cid`'s task, once it started; else `None`."""
        slot = self.slots.get(cid)
        if slot is None or not slot.begun.done():
            return None
        return slot.begun.result()

    def on_event(self, item: Mapping[str, Any]) -> None:
        """Follow the run's events: a failed call's task ends at once (see `give_up`)."""
        cid = item.get("id")
        if not isinstance(cid, str):
            return
        if item.get("event") == "started":
            self.running.add(cid)
        elif item.get("event") == "failed":
            self.give_up(cid)

    def give_up(self, cid: str) -> None:
        """End the tasks of failed call `cid` and of the calls waiting for it.

        Those calls are skipped (they never start), so their tasks would only hold
        threads of a sync graph's pool until the node returns.
        """
        frg = self.frg
        doomed, stack = {cid}, [cid] if frg is not None and cid in frg.calls else []
        while stack and frg is not None:
            current = stack.pop()
            after = frg.order_successor(current)
            for child in (*frg.children(current), *((after,) if after else ())):
                if child not in doomed and child not in self.running:
                    doomed.add(child)
                    stack.append(child)
        for gone in doomed:
            slot = self.slots.get(gone)
            if slot is not None and not slot.future.done():
                slot.future.set_exception(_NotFinishedError(gone))

    def save(self, cid: str, value: Any) -> None:
        """Hand a finished call's result to its task, which saves it.

        Raises:
            ResultNotStorableError: the checkpointer's serializer cannot store it.
        """
        slot = self.slots.get(cid)
        if slot is None:  # pragma: no cover - every call that runs has a slot
            return
        payload = {"id": cid, "call": self.calls[cid], "inputs": self.inputs[cid], "result": value}
        if self.asks[cid]:
            payload["asks"] = self.asks[cid]
        if self.serde is not None:
            try:
                self.serde.dumps_typed(payload)
            except Exception as err:
                tool = self.calls[cid].split(":", 1)[-1].split("(", 1)[0].strip()
                msg = (
                    f"the result of {cid} ({tool}) cannot be saved by the checkpointer: "
                    f"{type(err).__name__}: {err}. Return plain data, or opt in to pickling "
                    "with serde=JsonPlusSerializer(pickle_fallback=True)"
                )
                raise ResultNotStorableError(msg) from err
        # A task given up (`give_up`) is not saved: the call runs again on resume.
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            slot.future.set_result(payload)

    def close(self) -> None:
        """End the tasks of calls that did not finish, so the node can return."""
        for slot in self.slots.values():
            if not slot.future.done():
                slot.future.set_exception(_NotFinishedError(slot.id))
        for fut in self.futures.values():
            # Retrieve the errors: they are expected, not worth a warning.
            fut.add_done_callback(lambda f: f.cancelled() or f.exception())


class _OwnConfigs:
    """The ledger's answer to `CALL_CONFIG_KEY`: each call's own config (see `run_config`)."""

    def __init__(self, ledger: CallLedger, config: RunnableConfig) -> None:
        self.ledger = ledger
        self.base = config

    def pending(self, cid: str) -> concurrent.futures.Future[Any] | None:
        return self.ledger.pending(cid)

    def config(self, cid: str) -> RunnableConfig | None:
        own = self.ledger.own_config(cid)
        if own is None:
            return self.ledger.node_config(cid, self.base)
        if not _answered(own) and (self.ledger.node_owes() or not self.ledger.sure(cid)):
            # A task that started though it was not sure to: the call asks where it would
            # in any run (in the node), so an answer given by a question's id finds it.
            return self.ledger.node_config(cid, self.base)
        return {**self.base, "configurable": dict(own.get("configurable") or {})}


def _answered(config: RunnableConfig) -> bool:
    """Whether a task's config holds answers given by the ids of its own questions."""
    pad = config.get("configurable", {}).get(CONFIG_KEY_SCRATCHPAD)
    return bool(getattr(pad, "resume", None))


def _digest(parts: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def settle(run: RunResult, frg: FRG) -> RunResult:
    """Raise a tool's `interrupt()` the LangGraph way; explain a compute tool's attempt.

    Raises:
        GraphInterrupt: an inout call paused the graph (the first one in plan order).
    """
    for cid in frg.calls:
        err = run.errors.get(cid)
        if isinstance(err, GraphInterrupt):
            raise err
        if err is not None and frg.kind(cid) == COMPUTE and _outside_graph(err):
            msg = (
                f"{cid}: compute tool {frg.calls[cid].tool!r} called interrupt() (or read the "
                "graph's config) in a worker process, outside the graph: only inout tools can "
                "pause a run. Make the tool inout, or ask before the plan runs "
                "(approve_plan=True)."
            )
            run.errors[cid] = InterruptInComputeError(msg)
    return run


def _outside_graph(err: BaseException) -> bool:
    return isinstance(err, RuntimeError) and "outside of a runnable context" in str(err)


__all__ = [
    "TASK_NAME",
    "CallLedger",
    "InterruptInComputeError",
    "ResultNotStorableError",
    "settle",
]

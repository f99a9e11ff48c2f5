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

An inout call's tool runs with the config of its own task once that task starts, else with
the node's; when a call waits for its task, which config it takes and how the questions it
asks with the node's config are counted is in `agent/durable_tasks.py`.

Results go through the checkpointer's serializer before a call counts as
finished: a result it cannot store fails that call with `ResultNotStorableError`
(never a crash when the checkpoint is saved).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph._internal._constants import CONFIG_KEY_CHECKPOINTER
from langgraph.errors import GraphInterrupt

from langchain_llmorch.agent.durable_tasks import (
    NODE_THREADS,
    SETTLE_TURNS,
    TASK_NAME,
    NodeQuestions,
    OwnConfigs,
    Slot,
    TaskStarts,
    arecord,
    pool_threads,
    record,
)
from langchain_llmorch.engine.calls import CALL_CONFIG_KEY
from langchain_llmorch.engine.events import RunResult
from langchain_llmorch.errors import LLMOrchError
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.tools import COMPUTE


class ResultNotStorableError(LLMOrchError):
    """A call's result cannot be saved by the graph's checkpointer.

    Return plain data (str, numbers, lists, dicts, pydantic models, dataclasses),
    or opt in to pickling: `SqliteSaver(conn, serde=JsonPlusSerializer(pickle_fallback=True))`.
    """


class InterruptInComputeError(LLMOrchError):
    """A compute tool called `interrupt()`: it runs in a worker process, outside the graph."""


class _NotFinishedError(Exception):
    """Ends the task of a call that did not finish; the task runs again on resume."""


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
        self, serde: Any, *, threads: int = 1 + NODE_THREADS, tasks: int | None = None
    ) -> None:
        """A ledger that checks results with `serde` (the checkpointer's serializer).

        `threads` is the size of the pool a sync graph starts tasks in, `tasks` the number
        of tasks an async graph runs at once (`max_concurrency`; `None`: no bound). See the
        docstring of `agent/durable_tasks.py`; `open` reads both from the node's config.
        """
        self.serde = serde
        self.starts = TaskStarts(threads=threads, tasks=tasks)
        """The calls' tasks, and which call waits for its task to start."""
        self.questions = NodeQuestions()
        """The `interrupt()`s calls make with the node's config, counted."""
        self.frg: FRG | None = None
        self.running: set[str] = set()
        self.calls: dict[str, str] = {}
        self.inputs: dict[str, str] = {}
        self._digests: dict[str, str] = {}
        self.slots = self.starts.slots  # the same dicts
        self.futures = self.starts.futures

    @classmethod
    def open(cls, config: RunnableConfig) -> CallLedger | None:
        """A ledger when the node runs in a graph with a checkpointer, else `None`."""
        checkpointer = config.get("configurable", {}).get(CONFIG_KEY_CHECKPOINTER)
        if checkpointer is None or checkpointer is True or checkpointer is False:
            return None
        limit = config.get("max_concurrency")
        ledger = cls(
            getattr(checkpointer, "serde", None),
            threads=pool_threads(config),
            tasks=int(limit) if limit else None,
        )
        ledger.questions.node = config
        return ledger

    def _slots(self, frg: FRG, ids: Iterable[str]) -> list[Slot]:
        self.frg = frg
        new = [Slot(cid) for cid in ids if cid not in self.calls]
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
            self.futures[slot.id] = record(slot)
            self.starts.watch(slot)
        return self._restored(slot.id for slot in new if self.futures[slot.id].done())

    async def aissue(self, frg: FRG, ids: Iterable[str]) -> dict[str, Any]:
        """`issue` in an async graph: a task either returns its saved value or starts.

        It waits for a task only when a slot of `max_concurrency` is sure to be free for it
        (see `agent/durable_tasks.py`); the others are restored when LangGraph hands their
        saved value back within a few turns of the loop (that needs no slot).
        """
        self.starts.threads = self.starts.tasks
        new = self._slots(frg, ids)
        for slot in new:
            slot.started = asyncio.Event()
            self.futures[slot.id] = arecord(slot)
            self.starts.watch(slot)
        undecided = []
        for slot in new:
            if self.starts.sure(slot.id):
                await self.starts.decided(slot)
            else:
                undecided.append(slot)
        for _ in range(SETTLE_TURNS):
            if all(self.starts.known(slot) for slot in undecided):
                break
            await asyncio.sleep(0)
        return self._restored(slot.id for slot in new if self.futures[slot.id].done())

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
                self.questions.skip(fut.result().get("asks"))
        return restored

    def run_config(self, config: RunnableConfig) -> RunnableConfig:
        """`config` for the orchestrator: each inout call runs with its task's config.

        Callbacks, tags and metadata stay the node's (the tool's trace is unchanged);
        `configurable` is the task's, so the tool's `interrupt()` counts and takes its
        resume values in its own task. A call whose task has not started keeps `config`
        (when it could not wait for it: see `agent/durable_tasks.py`).
        """
        configurable = {
            **config.get("configurable", {}),
            CALL_CONFIG_KEY: OwnConfigs(self.starts, self.questions, config),
        }
        return {**config, "configurable": configurable}

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
        if self.questions.asks[cid]:
            payload["asks"] = self.questions.asks[cid]
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

"""LLMCompiler's task fetching unit: start every call the moment its dependencies are done.

The unit takes the plan as it grows: `add(frg)` hands it the FRG of the plan so
far (the streaming planner calls it after every complete line, the batch
planner once), and every new call whose dependencies are done starts at once as
a task on the running event loop. A finished call starts its ready children
from its done callback, so children start while the planner is still streaming.

`self` steps can be held back (`fold_self=True`): a `self` step starts only once
a tool call needs its result (directly or through other `self` steps); the ones
still held when the plan ends feed only other `self` steps or `join`, and are
left for the joiner to do in its one request, as the tool-calling agents do in
their final turn and as LLMCompiler's joiner does with the results it is given.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool

from bench.baselines.common import SyncMode, ToolOutcome, invoke_tool
from langchain_llmorch.engine.events import TraceRecord
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.plan.language import Plan, evaluate
from langchain_llmorch.tools import JOIN_TOOL, SELF_TOOL

__all__ = ["PlanRound", "TaskFetchingUnit"]


@dataclass
class PlanRound:
    """One plan and what executing it produced."""

    plan: Plan
    results: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, BaseException] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    trace: list[TraceRecord] = field(default_factory=list)
    folded: list[str] = field(default_factory=list)
    """`self` steps left for the joiner (never run)."""


class TaskFetchingUnit:
    """Runs a (growing) plan's calls on this event loop as their dependencies finish.

    Args:
        tools: the tools by name.
        round_: where results, errors, skipped calls and the trace go.
        sync_mode: how a sync tool runs: `"inline"` blocks the loop, `"thread"` uses
            `asyncio.to_thread` (what `tool.ainvoke` does for a sync LangChain tool).
        fold_self: hold `self` steps back until a tool call needs them (see the module).
        attempt: recorded in the trace (the replanning round).
        config: passed on to the tools.

    Example:
        ```python
        unit = TaskFetchingUnit({t.name: t for t in tools}, PlanRound(plan), sync_mode="thread")
        unit.add(build_frg(plan, tools))
        await unit.drain()
        ```
    """

    def __init__(
        self,
        tools: dict[str, BaseTool],
        round_: PlanRound,
        *,
        sync_mode: SyncMode,
        fold_self: bool = False,
        attempt: int = 1,
        config: RunnableConfig | None = None,
    ) -> None:
        """Start empty; `add` hands it calls."""
        self.tools, self.round = tools, round_
        self.sync_mode, self.fold_self = sync_mode, fold_self
        self.attempt, self.config = attempt, config
        self.frg: FRG | None = None
        self.waiting: dict[str, set[str]] = {}
        self.held: set[str] = set()
        self.settled: set[str] = set()
        self.running: set[asyncio.Task[ToolOutcome | None]] = set()
        self.idle = asyncio.Event()
        self.idle.set()

    def add(self, frg: FRG) -> None:
        """Take the FRG of the plan so far: new calls wait for their parents or start now."""
        self.frg = frg
        for cid in frg.calls:
            if cid in self.waiting or cid in self.settled or cid in self.held:
                continue
            if cid in self.round.folded or self._is_running(cid):
                continue
            parents = set(frg.parents(cid))
            if parents & self._lost():
                self.settled.add(cid)
                self.round.skipped.append(cid)
                continue
            tool = frg.calls[cid].tool
            if self.fold_self and tool == SELF_TOOL:
                self.held.add(cid)
            elif tool != JOIN_TOOL:
                self._release_held(parents)
            self.waiting[cid] = parents - self.settled
        self._launch_ready()

    def finish(self) -> None:
        """The plan is complete: fold the `self` steps still held; start nothing else."""
        self.round.folded += [cid for cid in self.waiting if cid in self.held]
        for cid in self.round.folded:
            self.waiting.pop(cid, None)
        self.held.clear()
        self._launch_ready()

    async def drain(self) -> None:
        """Wait until every started call (and every call they start) is done."""
        while self.running:
            self.idle.clear()
            await self.idle.wait()

    async def cancel(self) -> None:
        """Cancel the running calls (the stream failed); wait for them to stop."""
        for task in list(self.running):
            task.cancel()
        await asyncio.gather(*self.running, return_exceptions=True)

    # -- internals ------------------------------------------------------------------

    def _is_running(self, cid: str) -> bool:
        return any(task.get_name() == cid for task in self.running)

    def _lost(self) -> set[str]:
        return set(self.round.errors) | set(self.round.skipped)

    def _release_held(self, parents: set[str]) -> None:
        """A non-`self` call needs these: release held `self` ancestors (through `self`)."""
        if self.frg is None:
            return
        todo = [p for p in parents if p in self.held]
        while todo:
            cid = todo.pop()
            if cid in self.held:
                self.held.discard(cid)
                todo += [p for p in self.frg.parents(cid) if p in self.held]

    def _launch_ready(self) -> None:
        ready = [c for c, parents in self.waiting.items() if not parents and c not in self.held]
        for cid in ready:
            del self.waiting[cid]
            task = asyncio.get_running_loop().create_task(self._run(cid, time.time()), name=cid)
            self.running.add(task)
            task.add_done_callback(self._done)

    async def _run(self, cid: str, scheduled_at: float) -> ToolOutcome | None:
        if self.frg is None:  # unreachable: a call starts only after `add`
            return None
        call = self.frg.calls[cid]
        if call.tool == JOIN_TOOL:
            return None
        args = {k: evaluate(v, self.round.results) for k, v in self.frg.bound_args[cid].items()}
        return await invoke_tool(
            self.tools[call.tool],
            args,
            call_id=cid,
            sync_mode=self.sync_mode,
            scheduled_at=scheduled_at,
            config=self.config,
            attempt=self.attempt,
        )

    def _done(self, task: asyncio.Task[ToolOutcome | None]) -> None:
        self.running.discard(task)
        cid = task.get_name()
        self.settled.add(cid)
        if task.cancelled():
            self.round.errors[cid] = asyncio.CancelledError(cid)
        else:
            self._record(cid, task)
        if cid in self.round.errors and self.frg is not None:
            for lost in sorted(self.frg.descendants([cid]) & self.waiting.keys()):
                del self.waiting[lost]
                self.held.discard(lost)
                self.settled.add(lost)
                self.round.skipped.append(lost)
        elif self.frg is not None:
            self.round.results.setdefault(cid, None)
            for child in self.frg.children(cid):
                self.waiting.get(child, set()).discard(cid)
        self._launch_ready()
        if not self.running:
            self.idle.set()

    def _record(self, cid: str, task: asyncio.Task[ToolOutcome | None]) -> None:
        error = task.exception()
        if error is not None:  # arguments that could not be computed
            self.round.errors[cid] = error
            return
        outcome = task.result()
        if outcome is None:
            return
        self.round.trace.append(outcome.record)
        if outcome.ok:
            self.round.results[cid] = outcome.value
        else:
            self.round.errors[cid] = outcome.error or RuntimeError(cid)

"""One run's cacheable calls: look each up when it is ready, reuse or run it, store the result.

    ready call ─► look-up task ─┬─ hit, or an identical call in flight ─► finished, `cached`
                                └─ miss: lead the key ─► released to run as any call
                                        its record ──► stored for identical calls

A hit (or a wait for an identical call) takes no thread and no processor. A miss is
handed back to the run (`RunSite.release`) with its arguments already filled; when the
run completes it (`ran`), the result is stored in the backend and given to the waiters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Literal, Protocol

from langchain_core.tools import BaseTool

from langchain_llmorch.engine.cache import Flight, Found, RunCache
from langchain_llmorch.engine.events import RunResult, TraceRecord
from langchain_llmorch.plan.frg import FRG


class RunSite(Protocol):
    """What the reuse step needs from its run (`engine._coordinator.PlanRun`)."""

    frg: FRG
    result: RunResult

    def arguments(self, cid: str) -> dict[str, Any]:
        """The call's arguments, filled from the results so far (raises when they cannot be)."""
        ...

    def release(self, ready: list[str]) -> None:
        """Hand calls to the coordinator to run."""
        ...

    def spawn(self, cid: str, work: Coroutine[Any, Any, TraceRecord | None]) -> None:
        """Run `work` as a task of the call `cid`; its record (if any) completes the call."""
        ...

    def new_record(self, cid: str, *, cached: bool = False) -> TraceRecord:
        """A fresh trace record of `cid`, scheduled now."""
        ...

    def emit(
        self,
        name: Literal["scheduled", "started", "finished", "failed"],
        record: TraceRecord,
        **fields: Any,
    ) -> None:
        """Send a stream event."""
        ...

    def fail(self, record: TraceRecord, err: BaseException) -> TraceRecord:
        """Fail the call of `record` with `err`."""
        ...

    def settle(self, record: TraceRecord, value: Any) -> TraceRecord:
        """Finish the call of `record` with `value` (the result hook may still fail it)."""
        ...


class Reuse:
    """Reuses results for one run's cacheable calls (see the module docstring).

    Example:
        ```python
        reuse = Reuse(run_cache, run, tool=orchestrator.tools.__getitem__)
        ready = reuse.split(ready)  # the cacheable ones are being looked up
        ```
    """

    def __init__(self, cache: RunCache, site: RunSite, *, tool: Callable[[str], BaseTool]) -> None:
        """Reuse through `cache` for the calls of `site`; `tool` finds a tool by name."""
        self.cache = cache
        self.site = site
        self.tool = tool
        self.looked_up: dict[str, dict[str, Any] | None] = {}  # misses: their arguments
        # Misses running: `ran` resolves each, so a call released by a look-up must
        # complete (or its outcome be cancelled), else its look-up task waits on.
        self.outcomes: dict[str, asyncio.Future[TraceRecord]] = {}

    def split(self, ready: list[str]) -> list[str]:
        """Start a look-up for each cacheable call; return the other calls.

        A call comes back here after its look-up missed: it then goes on as any call.
        """
        rest = []
        for cid in ready:
            if cid in self.looked_up or self.site.frg.calls[cid].tool not in self.cache.policies:
                rest.append(cid)
                continue
            self.looked_up[cid] = None
            self.site.spawn(cid, self.find(cid))
        return rest

    def arguments_of(self, cid: str) -> dict[str, Any] | None:
        """The arguments a missed look-up already filled for `cid` (taken once)."""
        return self.looked_up.pop(cid, None)

    def ran(self, cid: str, record: TraceRecord) -> None:
        """`cid` completed: its look-up stores the result (or the error) for identical calls."""
        if (outcome := self.outcomes.pop(cid, None)) is not None and not outcome.done():
            outcome.set_result(record)

    async def find(self, cid: str) -> TraceRecord | None:
        """Finish `cid` with a reused result, or run it and store the result.

        Returns the call's record when reused; `None` when it ran (its own task completes it).
        """
        site = self.site
        call = site.frg.calls[cid]
        try:
            args = site.arguments(cid)
        except Exception:  # the run evaluates them again and fails the call
            site.release([cid])
            return None
        key = self.cache.key(self.tool(call.tool), args)
        if key is None:  # arguments without a stable form: the call just runs
            self.looked_up[cid] = args
            site.release([cid])
            return None
        record = site.new_record(cid, cached=True)
        announced = False

        def announce() -> None:  # waiting for an identical call, or reused at once
            nonlocal announced
            if not announced:
                announced = True
                site.emit("scheduled", record)
                site.emit("started", record, pid=record.pid, args=args)

        try:
            found = await self.cache.find(key, call.tool, on_wait=announce)
        except Exception as err:  # the identical call this one waited for failed
            announce()
            return site.fail(record, err)
        if isinstance(found, Found):
            announce()
            return site.settle(record, found.value)
        await self.lead(cid, args, found)
        return None

    async def lead(self, cid: str, args: dict[str, Any], flight: Flight) -> None:
        """Run a call no cache holds, then store its result for identical calls."""
        outcome: asyncio.Future[TraceRecord] = asyncio.get_running_loop().create_future()
        self.outcomes[cid] = outcome
        self.looked_up[cid] = args
        try:
            self.site.release([cid])
            record = await outcome
        except BaseException:
            flight.abandon()
            raise
        if record.status == "finished":
            await flight.land(self.site.result.results[cid])
        else:
            flight.fail(self.site.result.errors[cid])


__all__ = ["Reuse", "RunSite"]

"""The run's two scheduling policies: the calls' priorities, and when a ready call starts.

A `PlanRun` (`engine._coordinator`) hands each call whose inputs exist to its policy:

- `policy="dataflow"` (`DataflowPolicy`, the default): priorities from the order
  simulation (`scheduling.choose_order`); inout calls start at once, ready compute calls
  wait in a heap by priority and start one per free processor, so a call that becomes
  ready a moment later can still go first when its priority is higher.
- `policy="paper"` (`PaperPolicy`): the paper's Algorithm 3 as written: priorities in plan
  order, FIFO sets of scheduled calls, inout first, the first |spare| mutually exclusive
  compute calls (R2, by rank groups), the rest re-queued at the front, and nothing new
  starts while no processor is spare.

Under both, compute calls hold at most the processors other programs leave free
(`capacity`, with `respect_load`), and calls that hold resources or run in order wait in
the run's held list (`engine.gating.HeldCalls`) and start as it admits them (`admit`).
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Mapping
from typing import Protocol

from langchain_llmorch.engine.admission import Capacities
from langchain_llmorch.engine.events import TraceRecord
from langchain_llmorch.engine.gating import HeldCalls
from langchain_llmorch.engine.load import LoadMonitor
from langchain_llmorch.engine.scheduling import DurationModel, choose_order
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.tools import COMPUTE


class PolicySite(Protocol):
    """What a policy needs from its run (`engine._coordinator.PlanRun`)."""

    frg: FRG
    held: HeldCalls
    durations: DurationModel
    processors: int
    load: LoadMonitor | None
    resources: Capacities
    records: dict[str, TraceRecord]
    priority: Mapping[str, float]
    arrivals: itertools.count[int]
    running_compute: int
    dropped: set[str]

    def start(self, cid: str) -> None:
        """Coordinate one scheduled call onto the loop, a thread or the pool."""
        ...


class _Shared:
    """What both policies do alike: processors under load, and the run's held calls."""

    def __init__(self, run: PolicySite) -> None:
        """The policy of `run`."""
        self.run = run

    def dispatch(self) -> None:
        """Start what may start now (each policy's own rule)."""
        raise NotImplementedError

    def hold(self, cid: str) -> None:
        """Put a gated call in the held list, in priority order."""
        run = self.run
        run.held.hold((run.priority.get(cid, 0.0), next(run.arrivals), cid))

    def admit(self) -> None:
        """Start every held call whose order, resources and processor are free, best first."""
        run = self.run
        cap = self.capacity()
        run.held.admit(
            run.frg,
            run.records,
            processor_free=lambda: run.running_compute < cap,
            start=run.start,
        )

    def readmit(self) -> None:
        """Another run gave resources back: try the held calls again."""
        if self.run.held:
            self.dispatch()

    def capacity(self) -> int:
        """Processors compute calls may hold now: P, or what other programs leave free."""
        run = self.run
        if run.load is None:
            return run.processors
        return max(run.load.spare(run.processors), 1 if run.running_compute == 0 else 0)


class DataflowPolicy(_Shared):
    """`policy="dataflow"`: ready compute calls start best priority first, one per processor."""

    def __init__(self, run: PolicySite) -> None:
        """The policy of `run`."""
        super().__init__(run)
        self.ready: list[tuple[float, int, str]] = []  # ready compute calls: heap by priority

    def priorities(self) -> tuple[Mapping[str, float], str]:
        """Each call's priority (lower first) and the name of the chosen order."""
        run = self.run
        choice = choose_order(
            run.frg,
            run.durations.durations(run.frg),
            run.processors,
            capacities={**run.frg.limits, **run.resources.names()} if run.held.open else None,
        )
        return choice.priority, choice.name

    def release(self, ready: list[str]) -> None:
        """Start or queue calls whose inputs are complete."""
        run = self.run
        for cid in ready:
            if run.held.open and (run.frg.kind(cid) == COMPUTE or run.held.gated(run.frg, cid)):
                self.hold(cid)
            elif run.frg.kind(cid) == COMPUTE:
                key = (run.priority.get(cid, 0.0), next(run.arrivals), cid)
                heapq.heappush(self.ready, key)
            else:
                run.start(cid)
        self.dispatch()

    def dispatch(self) -> None:
        """Hand the best ready compute calls to the pool, one per free processor.

        Calls wait here, not in the pool's queue, so a call that becomes ready a moment
        later can still go first when its priority is higher.
        """
        run = self.run
        if run.held:
            self.admit()
        while self.ready and run.running_compute < self.capacity():
            _, _, cid = heapq.heappop(self.ready)
            run.start(cid)

    def gate_opened(self) -> None:
        """The run's gate just opened (a streamed plan became constrained): move to it."""
        while self.ready:
            self.run.held.calls.append(heapq.heappop(self.ready))


class PaperPolicy(_Shared):
    """`policy="paper"`: Algorithm 3 as written, FIFO sets while processors are spare."""

    def __init__(self, run: PolicySite) -> None:
        """The policy of `run`."""
        super().__init__(run)
        self.sets: list[list[str]] = []  # FIFO sets of scheduled calls

    def priorities(self) -> tuple[Mapping[str, float], str]:
        """FIFO in plan order: nothing to simulate."""
        return {cid: float(i) for i, cid in enumerate(self.run.frg.calls)}, "paper-fifo"

    def release(self, ready: list[str]) -> None:
        """Queue calls whose inputs are complete as one set, then dispatch."""
        if ready:
            self.sets.append(ready)
        self.dispatch()

    def dispatch(self) -> None:
        """Algorithm 3: dispatch FIFO sets while processors are spare."""
        run = self.run
        if run.held:
            self.admit()
        while self.sets and self.capacity() - run.running_compute > 0:
            current = self.sets.pop(0)
            if run.held.open:  # calls with resources or order wait in the held list
                current = [c for c in current if c not in run.dropped]
                for cid in [c for c in current if run.held.gated(run.frg, c)]:
                    self.hold(cid)
                    current.remove(cid)
                self.admit()
            compute = [c for c in current if run.frg.kind(c) == COMPUTE]
            # R2 by rank groups: a compute call is exclusive when another of the set
            # has its rank.
            per_rank = Counter(run.frg.rank(c) for c in compute)
            exclusive = [c for c in compute if per_rank[run.frg.rank(c)] > 1]
            for cid in current:
                if cid not in exclusive:
                    run.start(cid)
            spare = max(self.capacity() - run.running_compute, 0)
            for cid in exclusive[:spare]:
                run.start(cid)
            if rest := exclusive[spare:]:
                self.sets.insert(0, rest)
                return

    def gate_opened(self) -> None:
        """Nothing waits outside the sets and the held list."""


Policy = DataflowPolicy | PaperPolicy


__all__ = ["DataflowPolicy", "PaperPolicy", "Policy", "PolicySite"]

"""Choosing the order of ready compute calls, by simulating the FRG at plan time.

The `dataflow` policy starts a call the moment its inputs exist. When more
compute calls are ready than there are processors, the coordinator takes them
in a priority order fixed before the run: we simulate the FRG on P processors
with per-tool durations learned from earlier runs, for a few candidate orders,
and keep the one with the shortest simulated makespan:

- critical path (longest remaining path first, "bottom level"),
- the paper's FIFO (plan order),
- longest processing time first,
- seeded perturbations of the critical path.

Critical path alone loses to FIFO on some DAGs (Graham's anomalies); the best
of the simulated candidates never does, since FIFO is one of them.

The simulation runs on every agent invoke, so its cost is capped by the plan's
size: nothing is simulated when every compute call can have a processor, the
search stops at an order that reaches the lower bound, orders equal to one
already tried are skipped, and there are at most twice as many perturbations
as compute calls.

Resources and order (FRG `demands`, `order_edges`, given `capacities`) enter both: the
simulation starts a call only when its ordered predecessor has ended and its resources are
free (a call that cannot start lets the next one by), and the lower bound is
`max(critical path along data and order edges, compute work / P, resource work / capacity)`.
"""

from __future__ import annotations

import heapq
import random
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.tools import COMPUTE

# Durations we assume for tools never seen yet. Only their ratio matters for
# ordering: an unknown compute call counts as one unit, an unknown I/O call as
# a tenth of that (they overlap freely and rarely decide the order).
DEFAULT_COMPUTE_SECONDS = 1.0
DEFAULT_INOUT_SECONDS = 0.1
# Weight of a new observation in the per-tool moving average.
EMA_WEIGHT = 0.3
# Simulated candidate orders cost O(n log n) each; spend at most about this many
# call-simulations per plan.
SIMULATION_BUDGET = 20_000
MAX_PERTURBATIONS = 16


class DurationModel:
    """Per-tool call durations learned from earlier runs (an exponential moving average).

    Example:
        ```python
        from langchain_llmorch.engine.scheduling import DurationModel

        model = DurationModel()
        model.observe("stereo", 0.8)
        assert model.estimate("stereo", "compute") == 0.8
        ```
    """

    def __init__(self, initial: Mapping[str, float] | None = None) -> None:
        """Start from optional known durations (tool name -> seconds)."""
        self._seconds: dict[str, float] = dict(initial or {})
        self._lock = threading.Lock()

    def observe(self, tool: str, seconds: float) -> None:
        """Record one call's duration."""
        with self._lock:
            old = self._seconds.get(tool)
            self._seconds[tool] = seconds if old is None else old + EMA_WEIGHT * (seconds - old)

    def estimate(self, tool: str, kind: str) -> float:
        """Expected duration of a call of `tool`."""
        default = DEFAULT_COMPUTE_SECONDS if kind == COMPUTE else DEFAULT_INOUT_SECONDS
        return self._seconds.get(tool, default)

    def durations(self, frg: FRG) -> dict[str, float]:
        """Expected duration of every call of an FRG."""
        return {cid: self.estimate(c.tool, frg.kind(cid)) for cid, c in frg.calls.items()}


def bottom_levels(frg: FRG, durations: Mapping[str, float]) -> dict[str, float]:
    """Longest path from each call to the end of the plan, the call included.

    Paths follow data edges and order edges (an ordered call waits for the one before it).
    """
    level: dict[str, float] = {}
    ordered = bool(frg.order_edges)
    for cid in reversed(list(frg.calls)):
        after = max((level[c] for c in frg.children(cid)), default=0.0)
        if ordered and (later := frg.order_successor(cid)) is not None:
            after = max(after, level[later])
        level[cid] = durations[cid] + after
    return level


def resource_work(frg: FRG, durations: Mapping[str, float]) -> dict[str, float]:
    """Per resource: the sum over its calls of duration x amount (what it must serve)."""
    work: dict[str, float] = {}
    for cid, demand in frg.demands.items():
        for name, amount in demand.items():
            work[name] = work.get(name, 0.0) + durations[cid] * amount
    return work


def lower_bound(
    frg: FRG,
    durations: Mapping[str, float],
    processors: int,
    *,
    levels: Mapping[str, float] | None = None,
    capacities: Mapping[str, float] | None = None,
) -> float:
    """No schedule beats `max(critical path, compute work / P, resource work / capacity)`.

    `levels` (the `bottom_levels`, when already computed) saves recomputing them. The
    resource term counts each resource of `capacities` the calls hold (`resource_work`).
    """
    levels = bottom_levels(frg, durations) if levels is None else levels
    critical = max(levels.values(), default=0.0)
    work = sum(d for cid, d in durations.items() if frg.kind(cid) == COMPUTE)
    bound = max(critical, work / max(processors, 1))
    if capacities and frg.demands:
        for name, total in resource_work(frg, durations).items():
            capacity = capacities.get(name)
            if capacity:
                bound = max(bound, total / capacity)
    return bound


def simulate(
    frg: FRG,
    durations: Mapping[str, float],
    processors: int,
    priority: Mapping[str, float],
    *,
    capacities: Mapping[str, float] | None = None,
) -> float:
    """Makespan of list-scheduling the FRG with the given priorities.

    Inout calls start when ready; whenever a processor frees, the ready compute
    call with the lowest priority value takes it (calls that end at one instant all
    release their children first; equal priorities go in the order the calls became
    ready). With resources (`capacities`) or
    order edges, a call also waits for its ordered predecessor and its resources.
    """
    if frg.constrained:
        return _simulate_gated(frg, durations, processors, priority, capacities or {})
    waiting = {cid: len(frg.parents(cid)) for cid in frg.calls}
    ready: list[tuple[float, int, str]] = []
    events: list[tuple[float, int, str]] = []
    seq = 0
    now, free = 0.0, processors

    def release(cid: str) -> None:
        nonlocal seq
        seq += 1
        if frg.kind(cid) == COMPUTE:
            heapq.heappush(ready, (priority[cid], seq, cid))
        else:
            heapq.heappush(events, (now + durations[cid], seq, cid))

    for cid, count in waiting.items():
        if count == 0:
            release(cid)
    while ready or events:
        while free and ready:
            _, _, cid = heapq.heappop(ready)
            free -= 1
            seq += 1
            heapq.heappush(events, (now + durations[cid], seq, cid))
        now, ended = _pop_instant(events)
        for done in ended:
            if frg.kind(done) == COMPUTE:
                free += 1
            for child in frg.children(done):
                waiting[child] -= 1
                if waiting[child] == 0:
                    release(child)
    return now


def _pop_instant(events: list[tuple[float, int, str]]) -> tuple[float, list[str]]:
    """The next end time and every call that ends then, in the order they started.

    All of them give back what they held and release their children before any call
    starts, so a call made ready at that instant competes for the processors it frees.
    """
    now, _, done = heapq.heappop(events)
    ended = [done]
    while events and events[0][0] == now:
        ended.append(heapq.heappop(events)[2])
    return now, ended


def _simulate_gated(
    frg: FRG,
    durations: Mapping[str, float],
    processors: int,
    priority: Mapping[str, float],
    capacities: Mapping[str, float],
) -> float:
    """`simulate` with order edges and resources: held calls are tried best first."""
    waiting = {
        cid: len(frg.parents(cid)) + (frg.order_predecessor(cid) is not None) for cid in frg.calls
    }
    demand = {
        cid: [(n, a) for n, a in frg.demand(cid).items() if n in capacities] for cid in frg.calls
    }
    in_use = dict.fromkeys(capacities, 0.0)
    held: list[tuple[float, int, str]] = []
    events: list[tuple[float, int, str]] = []
    seq = 0
    now, free = 0.0, processors

    def release(cid: str) -> None:
        nonlocal seq
        seq += 1
        if frg.kind(cid) == COMPUTE or demand[cid]:
            held.append((priority[cid], seq, cid))
        else:
            heapq.heappush(events, (now + durations[cid], seq, cid))

    for cid, count in waiting.items():
        if count == 0:
            release(cid)
    while held or events:
        held.sort()
        still = []
        for item in held:
            cid = item[2]
            compute = frg.kind(cid) == COMPUTE
            if (compute and not free) or any(
                in_use[n] + a > capacities[n] + 1e-9 for n, a in demand[cid]
            ):
                still.append(item)
                continue
            for n, a in demand[cid]:
                in_use[n] += a
            free -= compute
            seq += 1
            heapq.heappush(events, (now + durations[cid], seq, cid))
        held = still
        if not events:  # what is held can never start (a demand over its capacity)
            return float("inf")
        now, ended = _pop_instant(events)
        for done in ended:
            for n, a in demand[done]:
                in_use[n] -= a
            free += frg.kind(done) == COMPUTE
            later = frg.order_successor(done)
            for child in (*frg.children(done), *((later,) if later is not None else ())):
                waiting[child] -= 1
                if waiting[child] == 0:
                    release(child)
    return now


@dataclass(frozen=True)
class ScheduleChoice:
    """The order picked for a run and what the simulation expects of it."""

    name: str
    """Which candidate won (`critical_path`, `fifo`, `lpt`, `perturbed-3`, ...)."""
    priority: Mapping[str, float]
    """Call id -> priority; lower runs first."""
    makespan: float
    """Simulated makespan of the winner, in the durations' unit."""
    lower_bound: float
    """`max(critical path, compute work / P, resource work / capacity)`, same durations."""
    candidates: Mapping[str, float]
    """Simulated makespan of every candidate tried."""


def _rank_order(keys: Mapping[str, float], order: Sequence[str]) -> dict[str, float]:
    """Priority from a sort key (higher key runs first; plan order breaks ties)."""
    index = {cid: i for i, cid in enumerate(order)}
    ranked = sorted(order, key=lambda c: (-keys[c], index[c]))
    return {cid: float(i) for i, cid in enumerate(ranked)}


def choose_order(
    frg: FRG,
    durations: Mapping[str, float],
    processors: int,
    *,
    seed: int = 0,
    capacities: Mapping[str, float] | None = None,
) -> ScheduleChoice:
    """Simulate candidate orders of the compute calls and keep the fastest.

    The work is capped by the plan's size: with no more compute calls than
    processors the order cannot matter (nothing is simulated); FIFO is simulated
    first and the search stops at the first order that reaches the lower bound;
    there are at most twice as many perturbed orders as compute calls. `capacities`
    (resource -> capacity) make the simulation and the bound honour the calls' resources.

    Example:
        ```python
        from langchain_llmorch import build_frg, compute, parse_plan
        from langchain_llmorch.engine.scheduling import choose_order

        @compute
        def work(n: int) -> int:
            \"\"\"Busy work.\"\"\"
            return n

        frg = build_frg(parse_plan("s1: work(n=1)\\ns2: work(n=2)"), [work])
        choice = choose_order(frg, {"s1": 1.0, "s2": 1.0}, processors=1)
        assert choice.makespan == 2.0
        ```
    """
    order = list(frg.calls)
    fifo = {cid: float(i) for i, cid in enumerate(order)}
    levels = bottom_levels(frg, durations)
    bound = lower_bound(frg, durations, processors, levels=levels, capacities=capacities)
    n_compute = sum(1 for cid in order if frg.kind(cid) == COMPUTE or frg.demand(cid))
    # A processor is free for every compute call, and nothing else holds calls back.
    if n_compute <= max(processors, 1) and not frg.constrained:
        critical = max(levels.values(), default=0.0)
        return ScheduleChoice("fifo", fifo, critical, bound, {"fifo": critical})
    results: dict[str, float] = {}
    tried: dict[tuple[str, ...], str] = {}
    priorities: dict[str, Mapping[str, float]] = {}
    for name, priority in _candidates(order, levels, durations, n_compute, seed, fifo):
        ranking = tuple(sorted(order, key=priority.__getitem__))
        if ranking in tried:  # the same order as an earlier candidate: same makespan
            continue
        tried[ranking] = name
        priorities[name] = priority
        results[name] = simulate(frg, durations, processors, priority, capacities=capacities)
        if results[name] <= bound * (1 + 1e-9):  # optimal: nothing can do better
            break
    best = min(results, key=lambda name: (results[name], name != "fifo"))
    return ScheduleChoice(
        name=best,
        priority=priorities[best],
        makespan=results[best],
        lower_bound=bound,
        candidates=results,
    )


def _candidates(
    order: list[str],
    levels: Mapping[str, float],
    durations: Mapping[str, float],
    n_compute: int,
    seed: int,
    fifo: dict[str, float],
) -> Iterator[tuple[str, Mapping[str, float]]]:
    """FIFO, critical path, LPT, then seeded perturbations of the critical path."""
    yield "fifo", fifo
    yield "critical_path", _rank_order(levels, order)
    yield "lpt", _rank_order(durations, order)
    rng = random.Random(seed)  # noqa: S311 - seeded perturbations, not cryptography
    spread = max(levels.values(), default=1.0) * 0.25
    budget = SIMULATION_BUDGET // max(len(order), 1) - 3
    for k in range(min(MAX_PERTURBATIONS, 2 * n_compute, budget)):
        noisy = {cid: levels[cid] + rng.uniform(-spread, spread) for cid in order}
        yield f"perturbed-{k}", _rank_order(noisy, order)

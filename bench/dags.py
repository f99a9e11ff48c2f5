"""Random DAGs: 100 seeded plans with heterogeneous compute calls, both policies, for real.

Each plan has 6-12 compute calls of three tools (0.05 s, 0.15 s, 0.4 s) with random
data dependencies (a worker holds its processor by sleeping, so the numbers
do not depend on what else the machine runs). Both policies execute every plan
on the same pool; each run is compared with the lower bound
`max(critical path, compute work / P)` of its own measured call durations.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from langchain_llmorch import Orchestrator, build_frg, compute, parse_plan
from langchain_llmorch.engine.scheduling import DurationModel, lower_bound


def _hold(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@compute
def quick(after: list[float] | None = None) -> float:  # noqa: ARG001 - the data edge
    """Hold one processor for 0.05 s."""
    return _hold(0.05)


@compute
def medium(after: list[float] | None = None) -> float:  # noqa: ARG001
    """Hold one processor for 0.15 s."""
    return _hold(0.15)


@compute
def slow(after: list[float] | None = None) -> float:  # noqa: ARG001
    """Hold one processor for 0.4 s."""
    return _hold(0.4)


# Durations in seconds: short enough for a CI run, spread enough for the order to matter.
TOOLS = {"quick": (quick, 0.05), "medium": (medium, 0.15), "slow": (slow, 0.4)}


def random_plan(seed: int) -> str:
    """A seeded random DAG of 6-12 compute calls of three lengths."""
    rng = random.Random(seed)
    lines = []
    for i in range(1, rng.randint(6, 12) + 1):
        parents = [f"s{j}" for j in range(1, i) if rng.random() < 2.0 / i]
        after = f"after=[{', '.join(parents)}]" if parents else ""
        lines.append(f"s{i}: {rng.choice(list(TOOLS))}({after})")
    return "\n".join(lines)


@dataclass
class DagRow:
    """One plan under both policies."""

    seed: int
    calls: int
    dataflow: float
    paper: float
    dataflow_bound: float
    paper_bound: float


def run_dags(count: int, processors: int, *, first_seed: int = 0) -> list[DagRow]:
    """Execute `count` random plans under both policies on `processors` workers."""
    rows = []
    tools = [tool for tool, _ in TOOLS.values()]
    # Warm up: workers import this module on their first call; keep that out of the numbers.
    warm = build_frg(parse_plan("\n".join(f"s{i}: quick()" for i in range(processors))), tools)
    Orchestrator(tools, max_processors=processors).run(warm)
    for seed in range(first_seed, first_seed + count):
        frg = build_frg(parse_plan(random_plan(seed)), tools)
        measured: dict[str, float] = {}
        bounds: dict[str, float] = {}
        for policy in ("dataflow", "paper"):
            # What earlier runs would have taught the duration model: each tool's length.
            model = DurationModel({name: seconds for name, (_, seconds) in TOOLS.items()})
            orch = Orchestrator(tools, max_processors=processors, policy=policy, durations=model)
            result = orch.run(frg)
            actual = {r.id: r.duration for r in result.trace}
            measured[policy] = result.makespan
            bounds[policy] = lower_bound(frg, actual, processors)
        rows.append(
            DagRow(
                seed=seed,
                calls=len(frg.calls),
                dataflow=measured["dataflow"],
                paper=measured["paper"],
                dataflow_bound=bounds["dataflow"],
                paper_bound=bounds["paper"],
            )
        )
    return rows


def summarize(rows: list[DagRow], *, noise: float = 0.03) -> dict[str, float]:
    """Mean ratios to the lower bound, and how often dataflow lost beyond `noise`."""
    n = max(len(rows), 1)
    return {
        "plans": len(rows),
        "dataflow_vs_bound": sum(r.dataflow / r.dataflow_bound for r in rows) / n,
        "paper_vs_bound": sum(r.paper / r.paper_bound for r in rows) / n,
        "dataflow_vs_paper": sum(r.dataflow / r.paper for r in rows) / n,
        "dataflow_slower": sum(1 for r in rows if r.dataflow > r.paper * (1 + noise)),
    }

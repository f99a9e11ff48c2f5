"""Resources and order, measured: makespans against the resource-aware lower bound.

Run from the repository root:
    PYTHONPATH=. .venv/bin/python scripts/resources_bench.py [--runs 3] [--seconds 0.5]

- GPU-like: 8 compute calls on P=2, 4 of them holding a resource `gpu` of capacity 1. The
  bound is max(critical path, compute work / P, gpu work / 1), from the nominal call time
  and from the calls' measured durations.
- A tool limited to 2 calls at once: 20 calls; the bound is 10 rounds of one call.
- Ordered writes: 5 appends in plan order among 5 independent calls.

`--baseline` times only plans that declare nothing (so it runs on a checkout without
resources too): compare its output on two checkouts to see what the code paths cost when
no tool declares limits.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from langchain_llmorch import Orchestrator, build_frg, compute, inout, parse_plan

P = 2


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def gpu_work(seconds: float) -> str:
    """Hold a processor and the GPU."""
    return _sleep(seconds)


def cpu_work(seconds: float) -> str:
    """Hold a processor."""
    return _sleep(seconds)


async def api_call(seconds: float) -> str:
    """An API call."""
    await asyncio.sleep(seconds)
    return "ok"


async def noop(i: int = 0) -> int:
    """Return at once."""
    return i


def noop_compute(i: int = 0) -> int:
    """Return at once, on a worker."""
    return i


def write(path: str, line: str) -> str:
    """Append a line to a file."""
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    return line


def bound(durations: dict[str, float], gpu: set[str], processors: int) -> float:
    """Resource-aware lower bound of independent compute calls."""
    critical = max(durations.values())
    work = sum(durations.values()) / processors
    gpu_work_total = sum(d for cid, d in durations.items() if cid in gpu)
    return max(critical, work, gpu_work_total)


def gpu_case(runs: int, seconds: float) -> None:
    """8 compute calls, 4 on the GPU (capacity 1), P=2."""
    tools = [compute(gpu_work, resources={"gpu": 1}), compute(cpu_work)]
    text = "\n".join(
        [f"g{i}: gpu_work(seconds={seconds})" for i in range(1, 5)]
        + [f"c{i}: cpu_work(seconds={seconds})" for i in range(1, 5)]
    )
    frg = build_frg(parse_plan(text), tools)
    orch = Orchestrator(tools, max_processors=P, resources={"gpu": 1})
    orch.warm()
    orch.run(frg)  # the workers learn the functions; the durations model learns the tools
    gpu = {f"g{i}" for i in range(1, 5)}
    nominal = bound(dict.fromkeys(frg.calls, seconds), gpu, P)
    print(f"GPU-like: 8 compute calls (4 need gpu=1 of capacity 1), P={P}, {seconds}s each")
    for k in range(1, runs + 1):
        result = orch.run(frg)
        measured = bound({r.id: r.duration for r in result.trace}, gpu, P)
        by_id = {r.id: r for r in result.trace}
        gpu_overlaps = sum(
            1
            for a in gpu
            for b in gpu
            if a < b
            and by_id[a].started_at < by_id[b].ended_at
            and by_id[b].started_at < by_id[a].ended_at
        )
        print(
            f"  run {k}: makespan {result.makespan:.3f}s; bound {nominal:.3f}s nominal "
            f"-> ratio {result.makespan / nominal:.3f}; bound {measured:.3f}s from the "
            f"measured calls -> ratio {result.makespan / measured:.3f}; "
            f"GPU calls overlapping: {gpu_overlaps} pairs; schedule {result.schedule}"
        )


def limit_case(runs: int, seconds: float) -> None:
    """20 calls of a tool with max_concurrency=2."""
    tool = inout(api_call, max_concurrency=2)
    frg = build_frg(
        parse_plan("\n".join(f"s{i}: api_call(seconds={seconds})" for i in range(1, 21))), [tool]
    )
    orch = Orchestrator([tool])
    print(f"Per-tool limit: 20 calls of a tool with max_concurrency=2, {seconds}s each")
    for k in range(1, runs + 1):
        result = orch.run(frg)
        ideal = 10 * seconds
        print(
            f"  run {k}: makespan {result.makespan:.3f}s; 10 rounds = {ideal:.3f}s "
            f"-> ratio {result.makespan / ideal:.3f}"
        )


def order_case(runs: int) -> None:
    """5 ordered appends among 5 independent calls, `runs` times."""
    tools = [inout(write, ordered=True), inout(api_call)]
    good = 0
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(runs):
            path = Path(tmp) / f"log-{k}.txt"
            lines = []
            for i in range(1, 6):
                lines.append(f'w{i}: write(path="{path}", line="w{i}")')
                lines.append(f"i{i}: api_call(seconds=0.002)")
            result = Orchestrator(tools).run(build_frg(parse_plan("\n".join(lines)), tools))
            good += result.ok and path.read_text().split() == [f"w{i}" for i in range(1, 6)]
    print(f"Ordered writes: file in plan order in {good} of {runs} runs")


def baseline(repeats: int) -> None:
    """Engine cost of plans that declare nothing (compare two checkouts)."""
    io_tools = [inout(noop)]
    wide = build_frg(parse_plan("\n".join(f"s{i}: noop(i={i})" for i in range(300))), io_tools)
    cpu_tools = [compute(noop_compute)]
    cpu = build_frg(
        parse_plan("\n".join(f"s{i}: noop_compute(i={i})" for i in range(16))), cpu_tools
    )
    io_orch = Orchestrator(io_tools)
    cpu_orch = Orchestrator(cpu_tools, max_processors=P)
    cpu_orch.warm()
    for orch, frg in ((io_orch, wide), (cpu_orch, cpu)):
        orch.run(frg)
    for name, orch, frg in (
        ("300 inout no-op calls", io_orch, wide),
        ("16 compute no-op calls, P=2", cpu_orch, cpu),
    ):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            orch.run(frg)
            times.append(time.perf_counter() - start)
        print(
            f"No declarations, {name}: median {statistics.median(times) * 1000:.1f} ms "
            f"(min {min(times) * 1000:.1f}) over {repeats} runs"
        )


def main() -> None:
    """Parse the options and print every measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--baseline", action="store_true", help="only the no-declaration timing")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    if not args.baseline:
        gpu_case(args.runs, args.seconds)
        limit_case(args.runs, args.seconds / 10)
        order_case(100)
    baseline(args.repeats)


if __name__ == "__main__":
    main()

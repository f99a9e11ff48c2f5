"""Scale of the plan stage and the coordinator: the three goals of hostile-plan hardening.

`python -m bench.scale` prints, each against its goal:

- 3,000 independent compute calls through `parse_plan` + `build_frg`: seconds and
  peak traced memory (goal: at most 0.5 s and 100 MB);
- 10,000 independent inout calls through `Orchestrator.run`: overhead per call,
  for async and for sync tools (goal: at most 0.5 ms each);
- one call whose brackets span 10,000 lines through `parse_plan` (goal: at most 1 s).

Times are the best of a few repeats (the machines here are shared); memory is the
peak of `tracemalloc` in a separate repeat, since tracing slows the code down.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import time
import tracemalloc
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from langchain_core.tools import BaseTool

from langchain_llmorch import Orchestrator, build_frg, compute, inout, parse_plan

GOAL_FRG_SECONDS = 0.5
GOAL_FRG_MB = 100.0
GOAL_INOUT_MS = 0.5
GOAL_LONG_CALL_SECONDS = 1.0


@compute
def work(n: int) -> int:
    """Busy work (never run here: the plan stage only)."""
    return n


@inout
async def ping(n: int) -> int:
    """An async inout call that returns at once."""
    return n


@inout
def ping_sync(n: int) -> int:
    """A sync inout call that returns at once."""
    return n


@dataclass
class Measure:
    """One measurement against its goal."""

    name: str
    value: float
    unit: str
    goal: float | None
    """None for a number shown for context."""

    @property
    def met(self) -> bool:
        """Whether the goal is met."""
        return self.goal is None or self.value <= self.goal

    def __str__(self) -> str:
        """One line: name, value, goal, verdict."""
        line = f"{self.name:<52} {self.value:>9.3f} {self.unit:<4}"
        if self.goal is None:
            return line
        return f"{line} (goal <= {self.goal:g}) {'ok' if self.met else 'MISSED'}"


def _best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _peak_mb(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def compute_plan(n: int) -> str:
    """`n` independent compute calls: all of rank 1, so R2 relates every pair."""
    return "\n".join(f"s{i}: work(n={i})" for i in range(1, n + 1))


def frg_measures(calls: int = 3000, repeat: int = 3) -> list[Measure]:
    """Parse + FRG of `calls` independent compute calls: time and peak memory."""
    text = compute_plan(calls)

    def compile_() -> None:
        build_frg(parse_plan(text), [work])

    seconds = _best(compile_, repeat)
    return [
        Measure(f"parse + FRG, {calls:,} compute calls", seconds, "s", GOAL_FRG_SECONDS),
        Measure(
            f"parse + FRG, {calls:,} compute calls, peak", _peak_mb(compile_), "MB", GOAL_FRG_MB
        ),
    ]


def long_call_measure(lines: int = 10_000, repeat: int = 3) -> Measure:
    """Parsing one call that spans `lines` lines."""
    text = "s1: echo(x=[\n" + "\n".join(f"    {i}," for i in range(lines)) + "\n])"
    seconds = _best(lambda: parse_plan(text), repeat)
    return Measure(f"parse a call spanning {lines:,} lines", seconds, "s", GOAL_LONG_CALL_SECONDS)


def _direct_seconds(tool: BaseTool, calls: int) -> float:
    """LangChain's own cost: the same calls all at once without the engine.

    Async tools: `asyncio.gather` of every `ainvoke` (as a tool node runs them);
    sync tools: `invoke` on a 32-thread pool.
    """
    start = time.perf_counter()
    if tool is ping:

        async def many() -> None:
            await asyncio.gather(*(tool.ainvoke({"n": i}) for i in range(calls)))

        asyncio.run(many())
    else:
        with ThreadPoolExecutor(32) as threads:
            list(threads.map(tool.invoke, ({"n": i} for i in range(calls))))
    return time.perf_counter() - start


def inout_measures(calls: int = 10_000, repeat: int = 2) -> list[Measure]:
    """Per call of `calls` independent inout calls that return at once.

    The engine's overhead is the run's time minus what invoking the same LangChain
    tools all at once without the engine costs (callbacks, schema validation, the
    tasks or threads): that part is LangChain's and Python's.
    """
    out = []
    for tool in (ping, ping_sync):
        text = "\n".join(f"s{i}: {tool.name}(n={i})" for i in range(calls))
        frg = build_frg(parse_plan(text), [tool])
        orch = Orchestrator([tool], max_processors=1)

        def run(orch: Orchestrator = orch, frg: Any = frg) -> None:
            result = orch.run(frg)
            if result.errors:
                msg = f"{len(result.errors)} calls failed: {next(iter(result.errors.values()))!r}"
                raise RuntimeError(msg)

        seconds = _best(run, repeat)
        direct = min(_direct_seconds(tool, calls) for _ in range(repeat))
        kind = "async" if tool is ping else "sync"
        total = seconds / calls * 1e3
        own = direct / calls * 1e3
        small = max(calls // 5, 1)
        few = build_frg(parse_plan("\n".join(text.splitlines()[:small])), [tool])
        ratio = total / (_best(functools.partial(orch.run, few), repeat) / small * 1e3)
        out += [
            Measure(f"{calls:,} {kind} inout calls, run time per call", total, "ms", None),
            Measure(f"  per call, {calls:,} vs {small:,} calls (1 = linear)", ratio, "x", None),
            Measure("  of which the same calls without the engine", own, "ms", None),
            Measure("  engine overhead per call", total - own, "ms", GOAL_INOUT_MS),
        ]
    return out


def run_all(*, calls: int = 3000, inout_calls: int = 10_000, lines: int = 10_000) -> list[Measure]:
    """Every measurement, in the order printed."""
    return [
        *frg_measures(calls),
        long_call_measure(lines),
        *inout_measures(inout_calls),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the measurements; exit status 1 when a goal is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    parser.add_argument("--calls", type=int, default=3000, help="compute calls for parse + FRG")
    parser.add_argument("--inout-calls", type=int, default=10_000, help="inout calls to run")
    parser.add_argument("--lines", type=int, default=10_000, help="lines of the long call")
    args = parser.parse_args(argv)
    measures = run_all(calls=args.calls, inout_calls=args.inout_calls, lines=args.lines)
    for measure in measures:
        print(measure)
    return 0 if all(m.met for m in measures) else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""The engine's cost on trivial inout calls, as a ratio to LangChain without the engine.

`python -m bench.inout_ratio` runs N (10,000) independent inout calls that return at once
through `Orchestrator.run` (sync tool) and `Orchestrator.arun` (async tool), against a
plain loop of `tool.invoke` and an `asyncio.gather` over `tool.ainvoke`, and prints both
wall-clock and CPU ratios (best of `--repeat`). On a shared, loaded machine the wall
clock mostly measures the neighbours; process CPU time (every thread of the process)
measures the work.

`--compare DIR` alternates this checkout with another one (e.g. a `git worktree` of main)
in fresh processes, round after round, and prints the median ratios of each.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langchain_llmorch import Orchestrator, build_frg, inout, parse_plan

ROOT = Path(__file__).resolve().parents[1]


@inout
def ping_sync(n: int) -> int:
    """A sync inout call that returns at once."""
    return n


@inout
async def ping(n: int) -> int:
    """An async inout call that returns at once."""
    return n


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(calls: int, repeat: int) -> dict[str, dict[str, float]]:
    """Wall and CPU seconds of the engine and of LangChain alone, and their ratios."""
    out = {}
    for tool in (ping_sync, ping):
        text = "\n".join(f"s{i}: {tool.name}(n={i})" for i in range(calls))
        frg = build_frg(parse_plan(text), [tool])
        engine = Orchestrator([tool], max_processors=1)
        engine.run(build_frg(parse_plan(f"s1: {tool.name}(n=1)"), [tool]))  # threads up

        def through_engine(engine: Orchestrator = engine, frg: Any = frg, tool: Any = tool) -> None:
            result = asyncio.run(engine.arun(frg)) if tool is ping else engine.run(frg)
            if result.errors:
                msg = f"{len(result.errors)} calls failed"
                raise RuntimeError(msg)

        def plain(tool: Any = tool) -> None:
            if tool is ping:

                async def many() -> None:
                    await asyncio.gather(*(tool.ainvoke({"n": i}) for i in range(calls)))

                asyncio.run(many())
            else:
                for i in range(calls):
                    tool.invoke({"n": i})

        runs = [(_timed(through_engine), _timed(plain)) for _ in range(repeat)]
        ew, ec = min(r[0][0] for r in runs), min(r[0][1] for r in runs)
        pw, pc = min(r[1][0] for r in runs), min(r[1][1] for r in runs)
        out["sync" if tool is ping_sync else "async"] = {
            "engine_wall": ew,
            "plain_wall": pw,
            "wall_ratio": ew / pw,
            "engine_cpu": ec,
            "plain_cpu": pc,
            "cpu_ratio": ec / pc,
        }
    return out


def compare(other: Path, calls: int, rounds: int) -> None:
    """Alternate `other` and this checkout in fresh processes; print the median ratios."""
    trees = {"other": other, "this": ROOT}
    seen: dict[str, list[dict[str, dict[str, float]]]] = {name: [] for name in trees}
    for number in range(rounds):
        for name, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": str(tree)}
            # run as a file: its folder comes first on sys.path, then PYTHONPATH's checkout
            command = [sys.executable, str(Path(__file__)), "--calls", str(calls)]
            done = subprocess.run(  # noqa: S603 - this very script, with our own arguments
                [*command, "--repeat", "1", "--json"],
                env=env,
                cwd=str(ROOT),
                capture_output=True,
                text=True,
                check=True,
            )
            seen[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(number, name, json.dumps(seen[name][-1]), flush=True)
    for name, runs in seen.items():
        for kind in ("sync", "async"):
            wall = statistics.median(r[kind]["wall_ratio"] for r in runs)
            cpu = statistics.median(r[kind]["cpu_ratio"] for r in runs)
            print(f"{name} ({trees[name]}) {kind}: median wall ratio {wall:.2f}, cpu {cpu:.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Print the ratios (or compare two checkouts)."""
    parser = argparse.ArgumentParser(prog="python -m bench.inout_ratio")
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON line")
    parser.add_argument("--compare", type=Path, help="another checkout to alternate with")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if args.compare is not None:
        compare(args.compare, args.calls, args.rounds)
        return 0
    result = measure(args.calls, args.repeat)
    if args.json:
        print(json.dumps(result))
        return 0
    for kind, numbers in result.items():
        print(
            f"{args.calls:,} {kind} inout calls: engine {numbers['engine_wall']:.2f} s wall "
            f"({numbers['engine_cpu']:.2f} s CPU), without it {numbers['plain_wall']:.2f} s "
            f"({numbers['plain_cpu']:.2f} s CPU): {numbers['wall_ratio']:.2f}x wall, "
            f"{numbers['cpu_ratio']:.2f}x CPU"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Repeated look-ups: a stream of search plans whose entities follow a Zipf law, engine only.

Real traffic asks for popular entities again and again. `python -m bench.repeat` draws a
stream of queries, each a plan of `--searches` independent `search(entity=...)` calls (the
HotpotQA/MovieRec search tool with its seeded latency), the entities drawn from the offline
Wikipedia titles with probability proportional to 1 / rank^s (s = `--zipf`, 1.1 by
default). The stream runs one query after another against one long-lived `Orchestrator`,
once with the search tool cacheable (`CachePolicy()`, in-memory) and once without, and
prints:

- the share of searches that repeat an earlier search of the stream (the best hit rate
  any cache could reach), and the hit rate the engine reached (`TraceRecord.cached`);
- the stream's time with and without the cache, and their ratio.

No model is involved (the plans are given), so this measures the engine's reuse alone, not
a whole agent against its peers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from langgraph.cache.memory import InMemoryCache
from langgraph.types import CachePolicy

from bench.datasets import load_wiki
from bench.workloads import search as ws
from bench.workloads.latency import LatencyModel
from langchain_llmorch import Orchestrator, build_frg, inout, parse_plan


def zipf_stream(titles: Sequence[str], draws: int, s: float, seed: int) -> list[str]:
    """`draws` titles, the i-th most popular drawn with probability proportional to 1/i^s."""
    rng = random.Random(seed)  # a seeded workload
    popular = list(titles)
    rng.shuffle(popular)  # which titles are popular: seeded, not alphabetical
    weights = [1.0 / (rank**s) for rank in range(1, len(popular) + 1)]
    return rng.choices(popular, weights=weights, k=draws)


@dataclass
class StreamRun:
    """One pass over the stream."""

    seconds: float
    calls: int
    cached: int


async def run_stream(plans: Sequence[str], *, cache: bool) -> StreamRun:
    """Run the plans one after another on one orchestrator."""
    tool = inout(ws.search, cache=CachePolicy()) if cache else inout(ws.search)
    engine = Orchestrator([tool], cache=InMemoryCache())
    calls = cached = 0
    start = time.perf_counter()
    for plan in plans:
        result = await engine.arun(build_frg(parse_plan(plan), [tool]))
        if result.errors:
            msg = f"a search failed: {next(iter(result.errors.values()))!r}"
            raise RuntimeError(msg)
        calls += len(result.trace)
        cached += sum(r.cached for r in result.trace)
    return StreamRun(time.perf_counter() - start, calls, cached)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the repeat share, the hit rate and the times with and without the cache."""
    parser = argparse.ArgumentParser(prog="python -m bench.repeat")
    parser.add_argument("--queries", type=int, default=60, help="queries in the stream")
    parser.add_argument("--searches", type=int, default=2, help="searches per query")
    parser.add_argument("--zipf", type=float, default=1.1, help="the Zipf exponent s")
    parser.add_argument("--scale", type=float, default=0.25, help="latency scale (1: real)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    ws.set_latency(LatencyModel(seed=args.seed, scale=args.scale))
    titles = sorted(load_wiki())
    entities = zipf_stream(titles, args.queries * args.searches, args.zipf, args.seed)
    plans = [
        "\n".join(
            f"s{j + 1}: search(entity={json.dumps(entities[i * args.searches + j])})"
            for j in range(args.searches)
        )
        for i in range(args.queries)
    ]
    repeats = len(entities) - len(set(entities))
    off = asyncio.run(run_stream(plans, cache=False))
    on = asyncio.run(run_stream(plans, cache=True))
    print(f"stream: {args.queries} queries x {args.searches} searches, Zipf s={args.zipf}")
    print(f"searches that repeat an earlier one: {repeats / len(entities):.1%}")
    print(f"cache hit rate (calls answered without running): {on.cached / on.calls:.1%}")
    print(f"stream time without cache: {off.seconds:.2f} s")
    print(f"stream time with cache:    {on.seconds:.2f} s")
    print(f"with / without:            {on.seconds / off.seconds:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

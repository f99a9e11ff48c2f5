"""Repeated look-ups: a stream of queries whose entities follow a Zipf law, every technique.

Real traffic asks for popular entities again and again. `python -m bench.repeat` builds
two "repeat" suites from the bundled data:

- `repeat-hotpotqa`: each query compares 2 entities, drawn from the supporting titles of
  the HotpotQA questions; its plan searches both at once (as `hotpotqa`'s plans do);
- `repeat-movierec`: each query asks for a movie like 4 liked ones, drawn from the movies
  of the MovieRec questions; its plan searches all four at once.

The i-th most popular entity (a seeded shuffle of the pool) is drawn with probability
proportional to 1 / i^s (s = `--zipf`, 1.1 by default); the entities of one query differ.
The stream goes, query after query, through one long-lived agent per technique, through
the scripted LLM server of the main benchmark (`bench.scripted`, `bench.llm_server`), so
model latency counts as it does there:

- the peers of `bench.runner` (`react`, `parallel_fc`, `llmcompiler`, `llmcompiler_stream`,
  `create_agent`) run as they are, through `bench.runner.measure`: no peer reuses a tool
  result;
- `llmorch`: one `create_llmorch_agent` (streamed text plan, dataflow), its `search` tool
  cacheable (`inout(search, cache=CachePolicy())`, an `InMemoryCache`);
- `llmorch_nocache`: the same agent with `search` not cacheable.

The techniques take turns query by query (the order rotates), so the machine's load falls
on all of them alike. Printed per suite: the share of searches that repeat an earlier search
of the stream (the best hit rate any cache could reach), LLMOrch's hit rate, each
technique's total stream time, and LLMOrch (with and without the cache) over the best peer.

`--engine-only` keeps the earlier measurement: the plans run straight on an `Orchestrator`,
with and without the cache, no model involved.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool
from langgraph.cache.memory import InMemoryCache
from langgraph.types import CachePolicy

from bench import datasets
from bench.datasets import load_wiki
from bench.llm_server import ScriptedLLMServer
from bench.runner import TECHNIQUES, measure
from bench.scripted import ScriptedBrain
from bench.suites import Query, tools_from
from bench.workloads import search as ws
from bench.workloads.latency import LatencyModel
from langchain_llmorch import Orchestrator, build_frg, create_llmorch_agent, inout, parse_plan
from langchain_llmorch.self_tool import make_self_tool

SUITES = ("repeat-hotpotqa", "repeat-movierec")
PEERS = tuple(
    t
    for t in ("react", "parallel_fc", "llmcompiler", "llmcompiler_stream", "create_agent")
    if t in TECHNIQUES
)
"""The peers of `bench.runner` this comparison runs (each as it is)."""
LLMORCH = ("llmorch", "llmorch_nocache")
SEARCHES = {"repeat-hotpotqa": 2, "repeat-movierec": 4}
"""Searches per query."""


def zipf_stream(titles: Sequence[str], draws: int, s: float, seed: int) -> list[str]:
    """`draws` titles, the i-th most popular drawn with probability proportional to 1/i^s.

    Example:
        ```python
        stream = zipf_stream(["a", "b", "c"], 5, 1.1, seed=0)
        assert len(stream) == 5 and set(stream) <= {"a", "b", "c"}
        ```
    """
    rng = random.Random(seed)  # a seeded workload
    popular = list(titles)
    rng.shuffle(popular)  # which titles are popular: seeded, not alphabetical
    weights = [1.0 / (rank**s) for rank in range(1, len(popular) + 1)]
    return rng.choices(popular, weights=weights, k=draws)


def zipf_queries(
    titles: Sequence[str], queries: int, per_query: int, s: float, seed: int
) -> list[list[str]]:
    """`queries` lists of `per_query` distinct titles, each title drawn as in `zipf_stream`."""
    rng = random.Random(seed)
    popular = list(titles)
    rng.shuffle(popular)
    weights = [1.0 / (rank**s) for rank in range(1, len(popular) + 1)]
    out = []
    for _ in range(queries):
        chosen: list[str] = []
        while len(chosen) < per_query:
            (title,) = rng.choices(popular, weights=weights, k=1)
            if title not in chosen:
                chosen.append(title)
        out.append(chosen)
    return out


def repeat_share(entity_lists: Sequence[Sequence[str]]) -> float:
    """The share of searches whose entity an earlier search of the stream already had.

    Example:
        ```python
        assert repeat_share([["a", "b"], ["a", "c"]]) == 0.25
        ```
    """
    seen: set[str] = set()
    repeats = total = 0
    for entities in entity_lists:
        for entity in entities:
            total += 1
            repeats += entity in seen
            seen.add(entity)
    return repeats / total if total else 0.0


def _quote(text: str) -> str:
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def entity_pool(suite: str) -> list[str]:
    """The entities a repeat suite draws from (sorted: the draw shuffles them, seeded)."""
    if suite == "repeat-hotpotqa":
        titles = {
            c.title for item in datasets.load_hotpotqa() for c in item.contexts if c.is_supporting
        }
        return sorted(titles)
    movies: set[str] = set()
    for item in datasets.load_movierec():
        first = item.question.splitlines()[0].removeprefix("Find a movie similar to ")
        movies |= {m.strip() for m in first.split(",") if m.strip()}
    return sorted(movies)


def make_query(
    suite: str, number: int, entities: Sequence[str], tools: tuple[BaseTool, ...]
) -> Query:
    """A query of `suite` about `entities`, its plan searching them all at once."""
    if suite == "repeat-hotpotqa":
        question = f"Compare {entities[0]} and {entities[1]}: what do they have in common?"
        label = f"Both {entities[0]} and {entities[1]} are notable."
    else:
        question = "Find a movie similar to " + ", ".join(entities)
        label = entities[0]
    plan = "\n".join(f"s{i}: search(entity={_quote(e)})" for i, e in enumerate(entities, 1))

    def reply(_prompt: str) -> str:
        return label

    return Query(
        suite=suite,
        qid=f"{suite}-{number}",
        question=question,
        plan=plan,
        tools=tools,
        label=label,
        self_answer=reply,
    )


@dataclass
class Stream:
    """One suite's stream of queries, and one query to warm each technique up with."""

    suite: str
    entities: list[list[str]]
    queries: list[Query]
    warmup: Query

    @classmethod
    def build(cls, suite: str, queries: int, s: float, seed: int) -> Stream:
        """Draw the stream (seeded)."""
        tools = tools_from(ws.HOTPOTQA_TOOLS)
        entities = zipf_queries(entity_pool(suite), queries, SEARCHES[suite], s, seed)
        made = [make_query(suite, i, e, tools) for i, e in enumerate(entities)]
        # Entities of no pool: the cache of `llmorch` learns nothing from the warm-up.
        warm = [f"Warm-up entity {i}" for i in range(SEARCHES[suite])]
        return cls(suite, entities, made, make_query(suite, -1, warm, tools))


@dataclass
class Tally:
    """One technique over one stream."""

    technique: str
    seconds: list[float] = field(default_factory=list)
    failed: int = 0
    searches: int = 0
    cached: int = 0

    @property
    def total(self) -> float:
        """The whole stream, in seconds."""
        return sum(self.seconds)


class LongLivedLLMOrch:
    """One `create_llmorch_agent` that answers every query of a stream."""

    def __init__(
        self, model: BaseChatModel, stream: Stream, *, cache: bool, processors: int
    ) -> None:
        """Build the agent once (its `search` cacheable when `cache`)."""
        tools = [inout(t, cache=CachePolicy()) if cache else t for t in stream.queries[0].tools]
        self.agent = create_llmorch_agent(
            model,
            [*tools, make_self_tool(model)],
            max_processors=processors,
            planning="text",
            stream_plan=True,
            cache=InMemoryCache(),
        )

    async def ask(self, query: Query, tally: Tally | None) -> None:
        """One query; its time, failures and cache hits go to `tally`."""
        start = time.perf_counter()
        state = await self.agent.ainvoke({"messages": [HumanMessage(query.question)]})
        seconds = time.perf_counter() - start
        if tally is None:
            return
        tally.seconds.append(seconds)
        trace = state.get("trace") or []
        tally.failed += bool(state.get("failure") or state.get("errors"))
        tally.searches += sum(r["tool"] == "search" for r in trace)
        tally.cached += sum(bool(r.get("cached")) for r in trace if r["tool"] == "search")


async def _peer(
    technique: Any,
    query: Query,
    model: BaseChatModel,
    brain: ScriptedBrain,
    processors: int,
    tally: Tally | None,
) -> None:
    brain.parallel = technique != "react"
    row = await measure(technique, query, model, processors=processors)
    if tally is not None:
        tally.seconds.append(row.seconds)
        tally.failed += not row.ok
        tally.searches += sum(r.get("tool") == "search" for r in row.trace)


async def run_streams(
    streams: Sequence[Stream],
    techniques: Sequence[str],
    *,
    latency: LatencyModel,
    processors: int = 2,
) -> dict[str, dict[str, Tally]]:
    """Every stream through every technique, the techniques taking turns query by query."""
    from langchain_openai import ChatOpenAI  # noqa: PLC0415 - the bench extra

    ws.set_latency(latency)
    brain = ScriptedBrain([q for s in streams for q in (*s.queries, s.warmup)])
    out: dict[str, dict[str, Tally]] = {}
    with ScriptedLLMServer(brain, latency) as server:
        model = ChatOpenAI(
            base_url=server.base_url, api_key="scripted", model="scripted", max_retries=0
        )
        for stream in streams:
            agents = {
                name: LongLivedLLMOrch(
                    model, stream, cache=name == "llmorch", processors=processors
                )
                for name in techniques
                if name in LLMORCH
            }
            tallies = {name: Tally(name) for name in techniques}

            async def one(
                name: str,
                query: Query,
                tally: Tally | None,
                agents: dict[str, LongLivedLLMOrch] = agents,
            ) -> None:
                if name in agents:
                    await agents[name].ask(query, tally)
                else:
                    await _peer(name, query, model, brain, processors, tally)

            for name in techniques:  # unmeasured: clients, imports, the first connection
                await one(name, stream.warmup, None)
            for i, query in enumerate(stream.queries):
                turn = i % len(techniques)
                for name in [*techniques[turn:], *techniques[:turn]]:
                    await one(name, query, tallies[name])
                print(f"{stream.suite}: {i + 1}/{len(stream.queries)}", file=sys.stderr, flush=True)
            out[stream.suite] = tallies
    return out


def summarize(stream: Stream, tallies: dict[str, Tally]) -> dict[str, Any]:
    """The numbers the report prints for one stream."""
    peers = {n: t.total for n, t in tallies.items() if n not in LLMORCH}
    best = min(peers, key=peers.__getitem__) if peers else None
    summary: dict[str, Any] = {
        "suite": stream.suite,
        "queries": len(stream.queries),
        "searches_per_query": SEARCHES[stream.suite],
        "repeat_share": repeat_share(stream.entities),
        "totals": {n: t.total for n, t in tallies.items()},
        "seconds": {n: [round(x, 4) for x in t.seconds] for n, t in tallies.items()},
        "failed": {n: t.failed for n, t in tallies.items()},
        "best_peer": best,
    }
    if (cached := tallies.get("llmorch")) is not None:
        summary["hit_rate"] = cached.cached / cached.searches if cached.searches else 0.0
    summary["by_prefix"] = by_prefix(tallies)
    for name in LLMORCH:
        if name in tallies and best is not None:
            summary[f"{name}_over_best_peer"] = tallies[name].total / peers[best]
    return summary


def by_prefix(tallies: dict[str, Tally]) -> list[dict[str, Any]]:
    """LLMOrch over the best peer on the stream's first 30, 60, 120, ... queries, and all.

    A cache warms as the stream goes on, so the ratio depends on the stream's length;
    the best peer is chosen again for each prefix.

    Example:
        ```python
        a, b = Tally("llmorch", [1.0, 0.5]), Tally("parallel_fc", [1.0, 1.0])
        assert by_prefix({"llmorch": a, "parallel_fc": b}) == [
            {"queries": 2, "best_peer": "parallel_fc", "llmorch_over_best_peer": 0.75}
        ]
        ```
    """
    queries = min((len(t.seconds) for t in tallies.values()), default=0)
    lengths = [n for n in (30 * 2**k for k in range(12)) if n < queries]
    rows: list[dict[str, Any]] = []
    for n in [*lengths, queries] if queries else []:
        peers = {name: sum(t.seconds[:n]) for name, t in tallies.items() if name not in LLMORCH}
        if not peers:
            break
        best = min(peers, key=peers.__getitem__)
        row: dict[str, Any] = {"queries": n, "best_peer": best}
        for name in LLMORCH:
            if name in tallies:
                row[f"{name}_over_best_peer"] = sum(tallies[name].seconds[:n]) / peers[best]
        rows.append(row)
    return rows


def _print(summary: dict[str, Any], zipf: float) -> None:
    print(
        f"## {summary['suite']}: {summary['queries']} queries x {summary['searches_per_query']} "
        f"searches, Zipf s={zipf}"
    )
    print(f"searches that repeat an earlier one: {summary['repeat_share']:.1%}")
    if "hit_rate" in summary:
        print(
            f"LLMOrch cache hit rate (searches answered without running): {summary['hit_rate']:.1%}"
        )
    print("| technique | stream seconds | failed queries |")
    print("|---|---|---|")
    for name, total in sorted(summary["totals"].items(), key=lambda kv: kv[1]):
        print(f"| {name} | {total:.2f} | {summary['failed'][name]} |")
    for name in LLMORCH:
        key = f"{name}_over_best_peer"
        if key in summary:
            print(f"{name} / best peer ({summary['best_peer']}): {summary[key]:.3f}x")
    if len(summary["by_prefix"]) > 1:
        print("| first queries | best peer | llmorch / best peer | llmorch_nocache / best peer |")
        print("|---|---|---|---|")
        for row in summary["by_prefix"]:
            on, off = (row.get(f"{n}_over_best_peer") for n in LLMORCH)
            print(
                f"| {row['queries']} | {row['best_peer']} | "
                + " | ".join("-" if r is None else f"{r:.3f}x" for r in (on, off))
                + " |"
            )


# -- engine only (no model) ------------------------------------------------------------


@dataclass
class StreamRun:
    """One pass over the stream, engine only."""

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


def _engine_only(args: argparse.Namespace) -> int:
    ws.set_latency(LatencyModel(seed=args.seed, scale=args.scale))
    titles = sorted(load_wiki())
    searches = 2
    entities = zipf_stream(titles, args.queries * searches, args.zipf, args.seed)
    plans = [
        "\n".join(
            f"s{j + 1}: search(entity={json.dumps(entities[i * searches + j])})"
            for j in range(searches)
        )
        for i in range(args.queries)
    ]
    repeats = len(entities) - len(set(entities))
    off = asyncio.run(run_stream(plans, cache=False))
    on = asyncio.run(run_stream(plans, cache=True))
    print(f"stream: {args.queries} queries x {searches} searches, Zipf s={args.zipf}")
    print(f"searches that repeat an earlier one: {repeats / len(entities):.1%}")
    print(f"cache hit rate (calls answered without running): {on.cached / on.calls:.1%}")
    print(f"stream time without cache: {off.seconds:.2f} s")
    print(f"stream time with cache:    {on.seconds:.2f} s")
    print(f"with / without:            {on.seconds / off.seconds:.2f}x")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the repeat suites through every technique and print the comparison."""
    parser = argparse.ArgumentParser(prog="python -m bench.repeat")
    parser.add_argument("--suite", choices=[*SUITES, "both"], default="both")
    parser.add_argument("--queries", type=int, default=30, help="queries in each stream")
    parser.add_argument("--zipf", type=float, default=1.1, help="the Zipf exponent s")
    parser.add_argument("--scale", type=float, default=1.0, help="latency scale (1: real)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--processors", type=int, default=2)
    parser.add_argument(
        "--techniques",
        nargs="+",
        choices=[*PEERS, *LLMORCH],
        default=[*PEERS, *LLMORCH],
        help="techniques to run (default: the peers, llmorch, llmorch_nocache)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON line per suite")
    parser.add_argument("--engine-only", action="store_true", help="no model: the engine alone")
    args = parser.parse_args(argv)
    if args.engine_only:
        return _engine_only(args)
    suites = SUITES if args.suite == "both" else (args.suite,)
    streams = [Stream.build(s, args.queries, args.zipf, args.seed) for s in suites]
    latency = LatencyModel(seed=args.seed, scale=args.scale)
    results = asyncio.run(
        run_streams(streams, args.techniques, latency=latency, processors=args.processors)
    )
    for stream in streams:
        summary = summarize(stream, results[stream.suite])
        if args.json:
            print(json.dumps(summary))
        else:
            _print(summary, args.zipf)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark of `LLMOrchMiddleware` inside `create_agent` (scripted model, no network).

1. One model turn with 6 GIL-bound calls (pure-Python loops): plain `create_agent`
   (ToolNode's threads) vs `create_agent` + `LLMOrchMiddleware` vs the P-core ideal
   (the work of the six calls, measured one by one, divided by P).
2. Three processes, each running such an agent at the same time: the most compute calls
   running at once on the machine, from the start and end times the workers record
   (the bound says: never more than P).
3. A small plan with a dependency (two spins, the second twice as long, then a spin as long
   as the first that uses its result): plain `create_agent` (three tool-calling turns, calls on
   threads); the same turns with `LLMOrchMiddleware()` (calls on the pool, a barrier after
   each layer: what a layer-by-layer plan-first seam would cost); `create_agent` +
   `LLMOrchMiddleware(plan_first=True)` (one planning turn, then dataflow); and
   `create_llmorch_agent` (LLMOrch's own graph). The scripted model answers at once, so
   the numbers show the execution, not a model's latency.

Run from a checkout:

    python scripts/middleware_bench.py [--seconds 0.6] [--processors 2] [--only SECTION]

Ratios come from one run; the machine's other load shows in them (see `uptime`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from langchain_llmorch import LLMOrchMiddleware, compute, create_llmorch_agent
from langchain_llmorch.testing import ScriptedChatModel, request_kind

CALLS = 6


@compute
def spin(n: int) -> int:
    """GIL-bound work: a pure-Python loop of n steps; returns a checksum."""
    total = 0
    for i in range(n):
        total = (total + i * i) % 1_000_003
    return total


def steps_for(seconds: float) -> int:
    """Loop steps that take about `seconds` here."""
    n = 200_000
    start = time.perf_counter()
    spin.func(n)
    per_step = (time.perf_counter() - start) / n
    return max(1, int(seconds / per_step))


def one_turn_model(steps: int) -> ScriptedChatModel:
    """Six spin calls in one turn, then an answer listing the results."""
    calls = [{"name": "spin", "args": {"n": steps + i}, "id": f"c{i}"} for i in range(CALLS)]

    def script(messages: list[BaseMessage]) -> AIMessage | str:
        if isinstance(messages[-1], HumanMessage):
            return AIMessage("", tool_calls=calls)
        return "results: " + ", ".join(m.text for m in messages if isinstance(m, ToolMessage))

    return ScriptedChatModel(script)


def timed(agent: Any) -> tuple[float, dict[str, Any]]:
    """Seconds one question takes, and the agent's output."""
    start = time.perf_counter()
    out = agent.invoke({"messages": [("user", "go")]})
    return time.perf_counter() - start, out


def intervals(out: dict[str, Any]) -> list[tuple[float, float]]:
    """(start, end) of every compute call of a run, as the workers recorded them."""
    records = [
        m.response_metadata.get("llmorch", {})
        for m in out["messages"]
        if isinstance(m, ToolMessage)
    ]
    return [(r["started_at"], r["ended_at"]) for r in records if "started_at" in r]


def peak(spans: list[tuple[float, float]]) -> int:
    """The most spans open at one instant."""
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def one_turn(steps: int, processors: int) -> dict[str, float]:
    """Section 1: plain vs middleware vs the ideal, in this process."""
    work = 0.0
    for i in range(CALLS):  # the work of each call, alone, in this process
        start = time.perf_counter()
        spin.func(steps + i)
        work += time.perf_counter() - start
    ideal = work / processors
    model = one_turn_model(steps)
    plain_s, plain = timed(create_agent(model, [spin]))
    middleware = LLMOrchMiddleware(max_processors=processors)
    middleware.warm()
    ours_s, ours = timed(create_agent(model, [spin], middleware=[middleware]))
    if plain["messages"][-1].text != ours["messages"][-1].text:
        msg = "the two agents answered differently"
        raise RuntimeError(msg)
    return {
        "work_s": work,
        "ideal_s": ideal,
        "plain_s": plain_s,
        "middleware_s": ours_s,
        "plain_over_ideal": plain_s / ideal,
        "middleware_over_ideal": ours_s / ideal,
        "middleware_peak": peak(intervals(ours)),
    }


def child(steps: int, processors: int, out_path: str) -> None:
    """Section 2, one of the processes: run the agent, write the calls' times."""
    middleware = LLMOrchMiddleware(max_processors=processors)
    middleware.warm()
    Path(out_path + ".ready").touch()
    while not Path(out_path + ".go").exists():
        time.sleep(0.01)
    _, out = timed(create_agent(one_turn_model(steps), [spin], middleware=[middleware]))
    Path(out_path).write_text(json.dumps(intervals(out)))


def three_processes(steps: int, processors: int) -> dict[str, Any]:
    """Section 2: three processes at once; the machine-wide peak of compute calls."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = [str(Path(tmp) / f"p{i}.json") for i in range(3)]
        procs = [
            subprocess.Popen(  # noqa: S603 - this interpreter, this script
                [
                    sys.executable,
                    __file__,
                    "--child",
                    path,
                    "--steps",
                    str(steps),
                    "--processors",
                    str(processors),
                ]
            )
            for path in paths
        ]
        while not all(Path(p + ".ready").exists() for p in paths):
            time.sleep(0.01)
        start = time.perf_counter()
        for path in paths:
            Path(path + ".go").touch()
        for proc in procs:
            proc.wait()
        elapsed = time.perf_counter() - start
        spans = [tuple(s) for p in paths for s in json.loads(Path(p).read_text())]
    return {"calls": len(spans), "peak": peak(spans), "wall_s": elapsed}  # type: ignore[arg-type]


def dependent_plan(steps: int, processors: int) -> dict[str, float]:
    """Section 3: a plan with a dependency, three ways."""
    a, b = steps, 2 * steps  # s2 is the long one: a barrier after s1 and s2 delays s3
    plan = f"s1: spin(n={a})\ns2: spin(n={b})\ns3: spin(n=s1 + {a})\ns4: join()"

    def react(messages: list[BaseMessage]) -> AIMessage | str:
        done = [m for m in messages if isinstance(m, ToolMessage)]
        if not done:
            calls = [("spin", {"n": a}, "r1"), ("spin", {"n": b}, "r2")]
        elif len(done) == 2:  # noqa: PLR2004 - after the two first calls
            first = next(m for m in done if m.tool_call_id == "r1")
            calls = [("spin", {"n": int(first.text) + a}, "r3")]
        else:
            return "done"
        return AIMessage("", tool_calls=[{"name": n, "args": x, "id": i} for n, x, i in calls])

    def planner(messages: list[BaseMessage]) -> str:
        return plan if request_kind(messages) == "plan" else "done"

    planning = LLMOrchMiddleware(plan_first=True, max_processors=processors)
    planning.warm()
    plain_s, _ = timed(create_agent(ScriptedChatModel(react), [spin]))
    pool = LLMOrchMiddleware(max_processors=processors)  # the turns, calls on the pool
    pool.warm()
    turns_s, _ = timed(create_agent(ScriptedChatModel(react), [spin], middleware=[pool]))
    plan_s, _ = timed(create_agent(ScriptedChatModel(planner), [spin], middleware=[planning]))
    llmorch_s, _ = timed(
        create_llmorch_agent(ScriptedChatModel(planner), [spin], max_processors=processors)
    )
    return {
        "plain_turns_s": plain_s,
        "turns_with_middleware_s": turns_s,
        "plan_first_middleware_s": plan_s,
        "create_llmorch_agent_s": llmorch_s,
        "plan_first_over_llmorch": plan_s / llmorch_s,
        "turns_with_middleware_over_plan_first": turns_s / plan_s,
    }


def main() -> None:
    """Run the three sections and print one JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0.6, help="work of one call")
    parser.add_argument("--processors", type=int, default=2, help="P")
    parser.add_argument(
        "--only", choices=["one_turn", "three_processes", "dependent_plan"], help="one section"
    )
    parser.add_argument("--steps", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.steps, args.processors, args.child)
        return
    steps = steps_for(args.seconds)
    report: dict[str, Any] = {
        "processors": args.processors,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "steps_per_call": steps,
    }
    for name, section in (
        ("one_turn", one_turn),
        ("three_processes", three_processes),
        ("dependent_plan", dependent_plan),
    ):
        if args.only not in (None, name):
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)  # noqa: T201
        report[name] = section(steps, args.processors)
    print(json.dumps(report, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()

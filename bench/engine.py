"""The engine benchmark: scheduling quality and dispatch costs, measured in one run.

`python -m bench engine` prints:

- 8 equal compute calls on P processors: makespan / lower bound;
- 6 CPU-bound calls through `langchain.agents.create_agent`, through this engine and
  through the LLMOrch agent (scripted model, no latency), in units of one call's time
  (the ideal on P=2 is 3);
- the fixed overhead of an agent invoke on a 6-call plan: graph, planner and joiner
  requests to a scripted model, parsing, ordering and dispatching 6 calls that return
  at once (and, for comparison, the engine's run of those calls alone);
- dispatch overhead per inout call and per compute call;
- parse + FRG + schedule of a 1,000-call plan.

Every number is a ratio or a cost taken in the same run, because the machines
here are shared and noisy.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from bench.scale import Measure, run_all
from langchain_llmorch import (
    Orchestrator,
    build_frg,
    compute,
    create_llmorch_agent,
    inout,
    parse_plan,
)
from langchain_llmorch.engine.events import RunResult
from langchain_llmorch.engine.scheduling import choose_order
from langchain_llmorch.processes.pool import usable_cpus
from langchain_llmorch.testing import ScriptedChatModel, request_kind


def spin(loops: int) -> int:
    """Pure-Python CPU work that holds the GIL for its whole run."""
    total = 0
    for i in range(loops):
        total = (total + i * i) % 1_000_003
    return total


@compute
def cpu_work(loops: int) -> int:
    """Burn CPU for a while (holds the GIL when run in a thread)."""
    return spin(loops)


@inout
async def noop_io(i: int = 0) -> int:
    """An I/O call that returns at once."""
    return i


@compute
def noop_compute(i: int = 0) -> int:
    """A compute call that returns at once."""
    return i


@dataclass
class EngineReport:
    """The engine benchmark's numbers."""

    processors: int
    call_seconds: float
    eight_calls_ratio: float
    create_agent_calls: float
    llmorch_calls: float
    inout_overhead_ms: float
    compute_overhead_ms: float
    plan_1000_seconds: float
    agent_calls: float = 0.0
    """6 CPU-bound calls through `create_llmorch_agent`, in call times."""
    agent_overhead_ms: float = 0.0
    """Median wall time of an agent invoke on a plan of 6 calls that return at once."""
    engine_overhead_ms: float = 0.0
    """Median wall time of the engine alone running those 6 calls."""
    busy_neighbour: tuple[float, float] = (0.0, 0.0)
    """Makespan of the 8 calls while another program burns a core: (ignore it, respect it)."""
    scale: list[Measure] = field(default_factory=list)
    """The scale goals of `benchmarks.scale` (3,000 calls, 10,000 inout calls, a long call)."""

    def table(self) -> str:
        """The report as a markdown table."""
        p = self.processors
        ideal = 6 / p
        rows = [
            (
                "8 equal compute calls, makespan / lower bound",
                f"{self.eight_calls_ratio:.3f}",
                "<= 1.08",
            ),
            (
                "6 CPU-bound calls via `create_agent` (in call times)",
                f"{self.create_agent_calls:.2f}",
                f"ideal {ideal:.1f}",
            ),
            (
                "6 CPU-bound calls via the LLMOrch engine (in call times)",
                f"{self.llmorch_calls:.2f}",
                f"<= {1.1 * ideal:.2f}",
            ),
            (
                "6 GIL-bound calls through the agent (in call times)",
                f"{self.agent_calls:.2f} ({self.agent_calls / ideal:.3f}x ideal)",
                f"<= {1.12 * ideal:.2f} (1.12x)",
            ),
            (
                "fixed overhead of an agent invoke on a 6-call plan",
                f"{self.agent_overhead_ms:.1f} ms (engine alone {self.engine_overhead_ms:.1f} ms)",
                "measured",
            ),
            ("dispatch overhead per inout call", f"{self.inout_overhead_ms:.2f} ms", "<= 1 ms"),
            ("dispatch overhead per compute call", f"{self.compute_overhead_ms:.2f} ms", "<= 5 ms"),
            ("parse + FRG + schedule, 1,000 calls", f"{self.plan_1000_seconds:.3f} s", "<= 1 s"),
            (
                "8 calls beside a program burning a core: ignore / `respect_load`",
                f"{self.busy_neighbour[0]:.2f} s / {self.busy_neighbour[1]:.2f} s",
                "measured, not a goal",
            ),
        ]
        lines = [
            f"Engine benchmark, P = {p}, one call = {self.call_seconds:.2f} s",
            "",
            "| measure | result | goal |",
            "|---|---|---|",
        ]
        lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
        lines += [
            f"| {m.name} | {m.value:.3g} {m.unit} | "
            + ("measured" if m.goal is None else f"<= {m.goal:g} {m.unit}")
            + " |"
            for m in self.scale
        ]
        return "\n".join(lines)


def loops_for(seconds: float) -> int:
    """How many `spin` loops take about `seconds` here."""
    probe = 200_000
    start = time.perf_counter()
    spin(probe)
    return max(1, int(probe * seconds / (time.perf_counter() - start)))


def _mean_call(result: RunResult) -> float:
    durations = [r.duration for r in result.trace if r.kind == "compute"]
    return sum(durations) / len(durations)


def _six_calls(loops: int) -> ScriptedChatModel:
    """Scripted: the first turn asks for 6 cpu_work calls at once, then it answers."""

    def script(messages: list[BaseMessage]) -> AIMessage:
        if any(isinstance(m, ToolMessage) for m in messages):
            return AIMessage("done")
        calls = [{"name": "cpu_work", "args": {"loops": loops}, "id": f"c{i}"} for i in range(6)]
        return AIMessage("", tool_calls=calls)

    return ScriptedChatModel(script)


def _planner(plans: dict[str, str]) -> ScriptedChatModel:
    """Scripted: the planner writes `plans[question]`; any other request gets "done"."""

    def script(messages: list[BaseMessage]) -> AIMessage:
        if request_kind() == "plan":
            question = next(m.text for m in messages if isinstance(m, HumanMessage))
            return AIMessage(plans[question])
        return AIMessage("done")

    return ScriptedChatModel(script)


def agent_measures(loops: int, processors: int, *, repeats: int = 15) -> tuple[float, float, float]:
    """The agent's numbers: (6 CPU-bound calls in call times, invoke overhead ms, engine ms).

    The agent is warmed first (worker processes started, modules imported), as a
    long-lived agent is; the overheads are medians of `repeats` invokes.
    """
    tools = [cpu_work, noop_compute]
    six = "\n".join(f"s{i}: cpu_work(loops={loops})" for i in range(1, 7))
    noop = "\n".join(f"s{i}: noop_compute(i={i})" for i in range(1, 7))
    warm = "\n".join(f"s{i}: cpu_work(loops=1)" for i in range(1, processors + 1))
    model = _planner({"six": six, "noop": noop, "warm": warm})
    agent = create_llmorch_agent(model, tools, max_processors=processors)
    for question in ("warm", "noop", "noop"):
        agent.invoke({"messages": [HumanMessage(question)]})
    start = time.perf_counter()
    state = agent.invoke({"messages": [HumanMessage("six")]})
    wall = time.perf_counter() - start
    if sorted(state.get("results", {})) != [f"s{i}" for i in range(1, 7)]:
        msg = f"the agent did not run the 6 planned calls: {sorted(state.get('results', {}))}"
        raise RuntimeError(msg)
    durations = [r["ended_at"] - r["started_at"] for r in state["trace"]]
    agent_calls = wall / (sum(durations) / len(durations))
    overhead = statistics.median(
        _timed(lambda: agent.invoke({"messages": [HumanMessage("noop")]})) for _ in range(repeats)
    )
    orch = Orchestrator(tools, max_processors=processors)
    frg = build_frg(parse_plan(noop), tools)
    orch.run(frg)
    engine = statistics.median(_timed(lambda: orch.run(frg)) for _ in range(repeats))
    return agent_calls, overhead * 1000, engine * 1000


def _timed(job: Callable[[], Any]) -> float:
    start = time.perf_counter()
    job()
    return time.perf_counter() - start


def _create_agent_seconds(loops: int) -> float:
    from langchain.agents import create_agent  # noqa: PLC0415 - optional benchmark dependency

    agent: Any = create_agent(_six_calls(loops), [cpu_work])
    start = time.perf_counter()
    agent.invoke({"messages": [("user", "six calls")]})
    return time.perf_counter() - start


def run_engine_benchmark(
    *, call_seconds: float = 0.5, processors: int | None = None
) -> EngineReport:
    """Measure the engine; `call_seconds` sizes the CPU-bound calls."""
    p = processors or usable_cpus()
    orch = Orchestrator([cpu_work, noop_io, noop_compute], max_processors=p)
    orch.warm()
    loops = loops_for(call_seconds)
    tools = [cpu_work, noop_io, noop_compute]
    # Workers import this module on their first call: keep that out of the numbers.
    warm = "\n".join(f"s{i}: cpu_work(loops=1)" for i in range(p))
    orch.run(build_frg(parse_plan(warm), tools))

    eight = build_frg(
        parse_plan("\n".join(f"s{i}: cpu_work(loops={loops})" for i in range(8))), tools
    )
    result = orch.run(eight)
    one = _mean_call(result)
    eight_ratio = result.makespan / max(one, 8 * one / p)

    six = build_frg(
        parse_plan("\n".join(f"s{i}: cpu_work(loops={loops})" for i in range(6))), tools
    )
    six_result = orch.run(six)
    one = _mean_call(six_result)
    llmorch_calls = six_result.makespan / one
    create_agent_calls = _create_agent_seconds(loops) / one
    agent_calls, agent_ms, engine_ms = agent_measures(loops, p)

    n_io = 1000
    flat = build_frg(parse_plan("\n".join(f"s{i}: noop_io(i={i})" for i in range(n_io))), tools)
    start = time.perf_counter()
    orch.run(flat)
    inout_ms = (time.perf_counter() - start) * 1000 / n_io

    n_cpu = 200
    chain = ["s0: noop_compute(i=0)"] + [f"s{i}: noop_compute(i=s{i - 1})" for i in range(1, n_cpu)]
    chain_frg = build_frg(parse_plan("\n".join(chain)), tools)
    start = time.perf_counter()
    orch.run(chain_frg)
    compute_ms = (time.perf_counter() - start) * 1000 / n_cpu

    big = "\n".join(
        f"s{i}: cpu_work(loops=s{i - 7})" if i >= 7 and i % 3 else f"s{i}: cpu_work(loops=1)"
        for i in range(1000)
    )
    start = time.perf_counter()
    big_frg = build_frg(parse_plan(big), tools)
    choose_order(big_frg, orch.durations.durations(big_frg), p)
    plan_seconds = time.perf_counter() - start

    busy = _beside_a_busy_neighbour(eight, tools, p)
    scale = run_all()
    return EngineReport(
        processors=p,
        call_seconds=one,
        eight_calls_ratio=eight_ratio,
        create_agent_calls=create_agent_calls,
        llmorch_calls=llmorch_calls,
        inout_overhead_ms=inout_ms,
        compute_overhead_ms=compute_ms,
        plan_1000_seconds=plan_seconds,
        agent_calls=agent_calls,
        agent_overhead_ms=agent_ms,
        engine_overhead_ms=engine_ms,
        busy_neighbour=busy,
        scale=scale,
    )


def _beside_a_busy_neighbour(frg: Any, tools: list[Any], processors: int) -> tuple[float, float]:
    """The 8 calls while another process spins on one core: ignoring it, then respecting it."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # let the load monitor see it
        out = []
        for respect in (False, True):
            orch = Orchestrator(tools, max_processors=processors, respect_load=respect)
            orch.load  # noqa: B018 - start sampling before the run
            time.sleep(0.2)
            out.append(orch.run(frg).makespan)
        return out[0], out[1]
    finally:
        spinner.kill()
        spinner.wait()


def main(*, call_seconds: float = 0.5, processors: int | None = None) -> EngineReport:
    """Run and print the engine benchmark."""
    report = run_engine_benchmark(call_seconds=call_seconds, processors=processors)
    print(report.table())
    return report


__all__ = ["EngineReport", "agent_measures", "main", "run_engine_benchmark"]

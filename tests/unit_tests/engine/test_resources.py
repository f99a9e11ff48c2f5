"""Per-tool limits, named resources and ordered calls, checked from traces (never seconds)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.tools import BaseTool

from langchain_llmorch import (
    Orchestrator,
    PlanValidationError,
    TraceRecord,
    build_frg,
    create_llmorch_agent,
    parse_plan,
)
from langchain_llmorch.engine import gating
from langchain_llmorch.engine.admission import TOOL_CALLS
from langchain_llmorch.engine.events import RunResult
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.testing import planner_or
from langchain_llmorch.tools import compute, inout
from langchain_llmorch.viz import schedule_table
from tests.unit_tests.engine._helpers import max_concurrent, overlap
from tests.unit_tests.engine._resource_tools import (
    append_line,
    append_line_sync,
    idle,
    limited,
    limited_sync,
    on_cpu,
    on_gpu,
)

P = 2
TOOLS = [on_gpu, on_cpu, limited, limited_sync, append_line, append_line_sync, idle]
POLICIES = ["dataflow", "paper"]


def describe(result: RunResult) -> str:
    """The trace as text, for a failing assertion's message."""
    return "\n" + schedule_table(result.trace) + f"\nschedule {result.schedule}"


def rounds(records: Iterable[TraceRecord]) -> int:
    """The longest chain of calls each starting after the previous one ended."""
    ordered = sorted(records, key=lambda r: r.started_at)
    longest: list[int] = []
    for i, r in enumerate(ordered):
        before = [longest[j] for j in range(i) if ordered[j].ended_at <= r.started_at]
        longest.append(1 + max(before, default=0))
    return max(longest, default=0)


def frg_of(text: str, tools: list[BaseTool] | None = None) -> FRG:
    return build_frg(parse_plan(text), tools or TOOLS)


def run(
    text: str,
    *,
    policy: str = "dataflow",
    sync: bool = True,
    tools: list[BaseTool] | None = None,
    events: list[dict[str, Any]] | None = None,
    **options: Any,
) -> RunResult:
    orch = Orchestrator(tools or TOOLS, max_processors=P, policy=policy, **options)  # type: ignore[arg-type]
    frg = frg_of(text, tools)
    if "on_gpu" in text or "on_cpu" in text:
        # Workers still starting (or restarting after an earlier test killed one) would
        # decide the order, not the gates: P calls at once make every worker take one.
        orch.warm()
        warm_up = "\n".join(f"s{i}: on_cpu(seconds=0.2)" for i in range(P))
        Orchestrator([on_cpu], max_processors=P).run(frg_of(warm_up, [on_cpu]))
    sink = events.append if events is not None else None
    if sync:
        return orch.run(frg, on_event=sink)  # type: ignore[arg-type]
    return asyncio.run(orch.arun(frg, on_event=sink))  # type: ignore[arg-type]


# -- per-tool concurrency ----------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("sync", [True, False], ids=["sync", "async"])
def test_twenty_calls_of_a_tool_limited_to_two_run_two_at_a_time(policy: str, sync: bool) -> None:
    tool = "limited_sync" if sync else "limited"
    text = "\n".join(f"s{i}: {tool}(seconds=0.1)" for i in range(1, 21))
    result = run(text, policy=policy, sync=sync)
    assert result.ok
    assert len(result.trace) == 20
    assert max_concurrent(result.trace) == 2  # the limit, and no fewer: the calls do overlap
    assert rounds(result.trace) <= 11  # about 20 / 2 rounds, not 20
    waited = [r for r in result.trace if r.waiting_for]
    assert len(waited) == 18
    assert all(r.waiting_for == [f"tool:{tool}"] for r in waited)


def test_a_tool_limit_holds_across_concurrent_runs_on_one_loop() -> None:
    orch = Orchestrator(TOOLS, max_processors=P)
    frg = frg_of("\n".join(f"s{i}: limited(seconds=0.02)" for i in range(1, 7)))

    async def both() -> list[RunResult]:
        return list(await asyncio.gather(orch.arun(frg), Orchestrator(TOOLS).arun(frg)))

    results = asyncio.run(both())
    records = [r for result in results for r in result.trace]
    assert len(records) == 12
    assert max_concurrent(records) == 2


def test_a_tool_limit_holds_across_runs_in_threads() -> None:
    frg = frg_of("\n".join(f"s{i}: limited_sync(seconds=0.02)" for i in range(1, 7)))
    results: list[RunResult] = []

    def one() -> None:
        results.append(Orchestrator(TOOLS).run(frg))

    threads = [threading.Thread(target=one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = [r for result in results for r in result.trace]
    assert len(records) == 18
    assert max_concurrent(records) == 2
    assert TOOL_CALLS.in_use("tool:limited_sync") == 0  # every slot came back


def test_the_latest_declared_limit_of_a_tool_name_applies() -> None:
    wider = inout(limited, max_concurrency=3)
    text = "\n".join(f"s{i}: limited(seconds=0.02)" for i in range(1, 10))
    result = run(text, tools=[wider], sync=False)
    assert max_concurrent(result.trace) == 3
    result = run(text, tools=[limited], sync=False)
    assert max_concurrent(result.trace) == 2


# -- named resources ---------------------------------------------------------------

GPU_PLAN = "\n".join(
    [f"g{i}: on_gpu(seconds=0.15)" for i in range(1, 5)]
    + [f"c{i}: on_cpu(seconds=0.15)" for i in range(1, 5)]
)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("sync", [True, False], ids=["sync", "async"])
def test_gpu_calls_never_overlap_and_the_others_fill_the_processors(
    policy: str, sync: bool
) -> None:
    events: list[dict[str, Any]] = []
    result = run(GPU_PLAN, policy=policy, sync=sync, events=events, resources={"gpu": 1})
    assert result.ok
    by_id = {r.id: r for r in result.trace}
    gpu = [by_id[f"g{i}"] for i in range(1, 5)]
    cpu = [by_id[f"c{i}"] for i in range(1, 5)]
    assert max_concurrent(gpu) == 1, describe(result)
    assert max_concurrent(result.trace) == P, describe(result)
    # Plan order puts the 4 GPU calls first; the CPU calls did not queue behind them.
    for call in cpu:
        assert any(overlap(call, g) for g in gpu), call.id
    # Every GPU call but the first waited: for the GPU, or for a processor when the order
    # put a CPU call before it (checked first, it is what the call is recorded to wait for).
    first = min(gpu, key=lambda r: r.started_at)
    assert all(r.waiting_for for r in gpu if r is not first), describe(result)
    assert all("gpu" not in r.waiting_for for r in cpu)
    waits = {e["id"] for e in events if e["event"] == "started" and e.get("waiting_for")}
    assert {r.id for r in gpu if r is not first} <= waits


def test_amounts_add_up_to_the_capacity() -> None:
    @compute(resources={"mem_gb": 6})
    def hungry(seconds: float = 0.1) -> str:
        """Needs 6 GB."""
        return str(seconds)

    text = "\n".join(f"s{i}: idle(seconds=0.05)" for i in range(1, 5))
    halves = inout(idle, resources={"gpu": 0.5})
    result = run(text, tools=[halves], sync=False, resources={"gpu": 1.0})
    assert max_concurrent(result.trace) == 2  # two halves fit in one GPU
    assert sorted(r.waiting_for for r in result.trace) == [[], [], ["gpu"], ["gpu"]]
    with pytest.raises(PlanValidationError, match="mem_gb=6"):
        Orchestrator([hungry], resources={"mem_gb": 4}).check(frg_of("s1: hungry()", [hungry]))


# -- over capacity: an error before any call starts --------------------------------


def test_a_demand_over_the_capacity_is_a_plan_validation_error_before_any_call() -> None:
    big = compute(on_gpu, resources={"gpu": 2})
    events: list[dict[str, Any]] = []
    text = "s1: idle()\ns2: on_gpu(seconds=0.01)"
    with pytest.raises(PlanValidationError) as caught:
        run(text, tools=[big, idle], events=events, resources={"gpu": 1})
    assert "on_gpu needs gpu=2 but the orchestrator's capacity is gpu=1" in str(caught.value)
    assert [p.call_id for p in caught.value.problems] == ["s2"]
    assert events == []  # not even the independent call was scheduled


@pytest.mark.parametrize("sync", [True, False], ids=["sync", "async"])
def test_a_resource_the_orchestrator_does_not_have_is_an_error(sync: bool) -> None:
    events: list[dict[str, Any]] = []
    with pytest.raises(PlanValidationError, match="'gpu', which the orchestrator does not have"):
        run("s1: on_gpu(seconds=0.01)", sync=sync, events=events)
    assert events == []


def test_a_streamed_plan_over_capacity_fails_before_its_calls_start() -> None:
    frg = frg_of("s1: on_gpu(seconds=0.01)")
    started: list[dict[str, Any]] = []

    async def graphs() -> Any:
        yield frg, {}

    orch = Orchestrator(TOOLS, max_processors=P)
    with pytest.raises(PlanValidationError, match="does not have"):
        asyncio.run(orch.arun_streaming(graphs(), on_event=started.append))  # type: ignore[arg-type]
    assert started == []


# -- ordered side effects ----------------------------------------------------------


def ordered_plan(path: Path, tool: str = "append_line", unit: float = 0.001) -> str:
    # The earliest write sleeps longest: run freely, the file would come out reversed.
    lines = []
    for i in range(1, 6):
        lines.append(f'w{i}: {tool}(path="{path}", line="w{i}", seconds={(6 - i) * unit:.3f})')
        lines.append(f"i{i}: idle(seconds={4 * unit:.3f})")
    return "\n".join(lines)


WRITES = [f"w{i}" for i in range(1, 6)]


@pytest.mark.parametrize(
    ("policy", "sync", "tool"),
    [
        ("dataflow", False, "append_line"),
        ("dataflow", True, "append_line_sync"),
        ("paper", False, "append_line"),
    ],
)
def test_ordered_writes_land_in_plan_order_every_time(
    tmp_path: Path, policy: str, sync: bool, tool: str
) -> None:
    orch = Orchestrator(TOOLS, max_processors=P, policy=policy)  # type: ignore[arg-type]
    in_order = overlapped = 0
    for attempt in range(100):
        path = tmp_path / f"log-{attempt}.txt"
        frg = frg_of(ordered_plan(path, tool))
        result = orch.run(frg) if sync else asyncio.run(orch.arun(frg))
        assert result.ok
        in_order += path.read_text().split() == WRITES
        by_id = {r.id: r for r in result.trace}
        writes = [by_id[w] for w in WRITES]
        others = [by_id[f"i{i}"] for i in range(1, 6)]
        assert max_concurrent(writes) == 1
        overlapped += all(any(overlap(o, w) for w in writes) for o in others)
    assert in_order == 100
    assert overlapped == 100


def test_unordered_writes_do_come_out_of_order(tmp_path: Path) -> None:
    # The control for the test above: the same plan without `ordered` is not in order.
    free = inout(append_line, ordered=False)
    path = tmp_path / "log.txt"
    text = ordered_plan(path, unit=0.01)  # 10x the sleeps: surely out of order
    result = run(text, tools=[free, idle], sync=False)
    assert result.ok
    assert path.read_text().split() != WRITES


def test_waiting_for_order_is_in_the_events_and_the_trace(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []
    result = run(ordered_plan(tmp_path / "log.txt"), sync=False, events=events)
    by_id = {r.id: r for r in result.trace}
    assert by_id["w1"].waiting_for == []
    for i in range(2, 6):
        assert by_id[f"w{i}"].waiting_for == [f"order:w{i - 1}"]
    scheduled = {e["id"]: e for e in events if e["event"] == "scheduled"}
    started = {e["id"]: e for e in events if e["event"] == "started"}
    assert scheduled["w3"]["waiting_for"] == ["order:w2"]
    assert started["w3"]["waiting_for"] == ["order:w2"]
    assert "waiting_for" not in scheduled["i1"]
    assert "waiting_for" not in started["w1"]


def test_a_failed_ordered_call_holds_back_later_ones_and_recovery_keeps_the_order(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.txt"
    text = (
        f's1: append_line(path="{path}", line="a")\n'
        f's2: append_line(path="{path}", line="bad")\n'
        f"s3: idle()\n"
        f's4: append_line(path="{path}", line="c")\n'
        f"s5: idle(tag=s4)"
    )
    orch = Orchestrator(TOOLS, max_processors=P)
    first = asyncio.run(orch.arun(frg_of(text)))
    assert set(first.errors) == {"s2"}
    assert first.skipped == ["s4", "s5"]  # after the failed write, and what uses it
    assert "s3" in first.results  # independent: not held back
    assert path.read_text().split() == ["a"]
    # Recovery rewrites s2 in its place; s4 runs after it, not before.
    fixed = frg_of(text.replace('line="bad"', 'line="b"'))
    kept = dict(first.results)
    second = asyncio.run(orch.arun(fixed, results=kept))
    assert second.ok
    assert path.read_text().split() == ["a", "b", "c"]
    by_id = {r.id: r for r in second.trace}
    assert by_id["s2"].ended_at <= by_id["s4"].started_at


# -- no declarations: the fast path ------------------------------------------------


def test_a_plan_without_declarations_opens_no_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        msg = "a gate was opened for a plan that declares nothing"
        raise AssertionError(msg)

    monkeypatch.setattr(gating, "Gate", refuse)
    text = "\n".join(f"s{i}: idle(seconds=0.01)" for i in range(1, 5))
    events: list[dict[str, Any]] = []
    result = run(text, tools=[idle], sync=False, events=events)
    assert result.ok
    assert all(r.waiting_for == [] for r in result.trace)
    assert all("waiting_for" not in e for e in events)


# -- streamed plans and the agent --------------------------------------------------


def test_ordered_calls_of_a_streamed_plan_keep_plan_order(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    lines = [
        f'w1: append_line(path="{path}", line="w1", seconds=0.03)',
        "i1: idle(seconds=0.001)",
        f'w2: append_line(path="{path}", line="w2")',
        f'w3: append_line(path="{path}", line="w3", seconds=0.01)',
        f'w4: append_line(path="{path}", line="w4")',
    ]

    async def graphs() -> Any:
        for n in (2, 4, 5):  # the plan arrives in three parts, the first write still running
            yield frg_of("\n".join(lines[:n])), {}
            await asyncio.sleep(0.005)

    result = asyncio.run(Orchestrator(TOOLS).arun_streaming(graphs()))
    assert result.ok
    assert path.read_text().split() == ["w1", "w2", "w3", "w4"]
    by_id = {r.id: r for r in result.trace}
    assert by_id["w2"].waiting_for == ["order:w1"]


def test_the_agent_recovers_a_failed_ordered_write_in_its_place(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    plan = (
        f's1: append_line(path="{path}", line="a")\n'
        f's2: append_line(path="{path}", line="bad")\n'
        "s3: idle()\n"
        f's4: append_line(path="{path}", line="c")'
    )
    model = planner_or(plan, recover={"s2": f's2: append_line(path="{path}", line="b")'})
    agent = create_llmorch_agent(model, [append_line, idle])
    events = [
        e
        for e in agent.stream({"messages": [("user", "Write the log.")]}, stream_mode="custom")
        if e.get("id") in {"s2", "s4"} and e["event"] in {"started", "failed"}
    ]
    assert path.read_text().split() == ["a", "b", "c"]
    assert [(e["id"], e["event"]) for e in events] == [
        ("s2", "started"),
        ("s2", "failed"),
        ("s2", "started"),
        ("s4", "started"),
    ]
    assert events[-1]["waiting_for"] == ["order:s2"]


def test_the_schedule_table_says_what_calls_waited_for(tmp_path: Path) -> None:
    result = run(ordered_plan(tmp_path / "log.txt"), sync=False)
    lines = schedule_table(result.trace).splitlines()
    assert lines[0].split()[-2:] == ["waited", "for"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert rows["w3"].endswith("order:w2")
    assert rows["i1"].endswith("-")
    plain = run("s1: idle()", tools=[idle], sync=False)
    assert "waited" not in schedule_table(plain.trace)

"""The coordinator's paths beside the common one (`engine/_coordinator.py`).

Written for the mutants of `engine/_coordinator.py` that the engine's tests let live.
Each test runs plans through the `Orchestrator` and states one rule a user relies on:
a call whose arguments cannot be filled fails alone, with an error that says why; the
result hook sees every result and its error fails only that call; a reused result says
so in its record and its `finished` event; the plan's `join` finishes at once; a plan
stream that fails stops the run with its own error.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from langgraph.cache.memory import InMemoryCache
from langgraph.types import CachePolicy

from langchain_llmorch import Orchestrator, build_frg, inout, parse_plan
from langchain_llmorch.engine import _coordinator as coordinator
from langchain_llmorch.engine.scheduling import DurationModel
from langchain_llmorch.errors import DependencyFailedError
from langchain_llmorch.plan.expressions import ExpressionError
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.processes.pool import get_pool
from tests.unit_tests._prop_tools import TOOLS, CappedExecutor, mix
from tests.unit_tests.engine import _cache_tools as cached
from tests.unit_tests.engine._helpers import max_concurrent
from tests.unit_tests.engine._resource_tools import append_line, idle, on_cpu, on_gpu

MODES = ["sync", "async"]


def frg_of(text: str, tools: list[Any] | None = None) -> FRG:
    return build_frg(parse_plan(text), tools or TOOLS)


def engine(**options: Any) -> Orchestrator:
    return Orchestrator(TOOLS, max_processors=2, durations=DurationModel(), **options)


def execute(orch: Orchestrator, frg: FRG, mode: str, **kwargs: Any) -> Any:
    if mode == "sync":
        return orch.run(frg, **kwargs)
    return asyncio.run(orch.arun(frg, **kwargs))


class _Vanished(Mapping[str, Any]):
    """Results that say they hold `s1` but give no value for it (a store that lost it)."""

    def __contains__(self, key: object) -> bool:
        return key == "s1"

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 1


@pytest.mark.parametrize("mode", MODES)
def test_a_call_whose_input_vanished_fails_alone_and_says_which(mode: str) -> None:
    frg = frg_of(
        "s1: aio(tag=1, inputs=[])\ns2: sio(tag=2, inputs=[s1])\n"
        "s3: aio(tag=3, inputs=[s2])\ns4: aio(tag=4, inputs=[])"
    )
    events: list[dict[str, Any]] = []
    run = execute(engine(), frg, mode, results=_Vanished(), on_event=events.append)
    assert run.results == {"s4": mix(4, [])}
    assert list(run.errors) == ["s2"]
    assert run.skipped == ["s3"]
    error = run.errors["s2"]
    assert isinstance(error, DependencyFailedError)
    assert str(error) == "could not compute the arguments of s2: KeyError('s1')"
    assert isinstance(error.__cause__, KeyError)
    failed = [e for e in events if e["event"] == "failed"]
    assert [(e["id"], e["error"]) for e in failed] == [("s2", f"DependencyFailedError: {error}")]
    (record,) = [r for r in run.trace if r.id == "s2"]
    assert record.status == "failed"
    assert 0 < record.started_at == record.ended_at


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tool", ["aio", "sio"])
def test_any_failure_while_filling_arguments_fails_only_that_call(
    monkeypatch: pytest.MonkeyPatch, mode: str, tool: str
) -> None:
    frg = frg_of(
        f"s1: aio(tag=1, inputs=[])\ns2: {tool}(tag=2, inputs=[s1])\ns3: aio(tag=3, inputs=[s2])"
    )
    real = coordinator.evaluate_args

    def failing(exprs: Any, results: Any, **kwargs: Any) -> Any:
        if exprs is frg.bound_args["s2"]:
            raise RecursionError
        return real(exprs, results, **kwargs)

    monkeypatch.setattr(coordinator, "evaluate_args", failing)
    run = execute(engine(), frg, mode)
    assert run.results == {"s1": mix(1, [])}
    assert run.skipped == ["s3"]
    error = run.errors["s2"]
    assert isinstance(error, ExpressionError)
    assert str(error) == "could not compute the arguments of s2: RecursionError()"
    assert isinstance(error.__cause__, RecursionError)


@pytest.mark.parametrize("mode", MODES)
def test_the_result_hook_sees_each_result_and_its_error_fails_only_that_call(mode: str) -> None:
    frg = frg_of(
        "s1: aio(tag=1, inputs=[])\ns2: sio(tag=2, inputs=[s1])\ns3: sio(tag=3, inputs=[s1])\n"
        "s4: aio(tag=4, inputs=[s3])\ns5: aio(tag=5, inputs=[s2])"
    )
    seen: list[tuple[str, Any]] = []

    def hook(cid: str, value: Any) -> None:
        seen.append((cid, value))
        if cid == "s3":
            msg = "cannot save s3"
            raise OSError(msg)

    events: list[dict[str, Any]] = []
    run = execute(engine(), frg, mode, on_result=hook, on_event=events.append)
    one = mix(1, [])
    assert sorted(seen) == sorted(
        [
            ("s1", one),
            ("s2", mix(2, [one])),
            ("s3", mix(3, [one])),
            ("s5", mix(5, [mix(2, [one])])),
        ]
    )
    assert set(run.results) == {"s1", "s2", "s5"}
    assert str(run.errors["s3"]) == "cannot save s3"
    assert run.skipped == ["s4"]
    order = [(e["event"], e["id"]) for e in events]
    assert ("failed", "s3") in order
    assert ("finished", "s3") not in order
    # The hook runs before the call's children start.
    assert seen.index(("s1", one)) == 0
    assert order.index(("finished", "s2")) < order.index(("scheduled", "s5"))


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    cached.RAN.clear()
    yield
    cached.RAN.clear()


@pytest.mark.usefixtures("fresh_cache")
@pytest.mark.parametrize("mode", MODES)
def test_a_reused_result_says_so_in_its_record_and_its_finished_event(mode: str) -> None:
    tools = [cached.lookup_tool]
    frg = build_frg(parse_plan('s1: lookup(key="k")'), tools)
    orch = Orchestrator(tools, cache=InMemoryCache())
    first: list[dict[str, Any]] = []
    again: list[dict[str, Any]] = []
    run1 = execute(orch, frg, mode, on_event=first.append)
    run2 = execute(orch, frg, mode, on_event=again.append)
    assert run1.results == run2.results == {"s1": "K"}
    assert cached.RAN["lookup:k"] == 1
    (ran,) = run1.trace
    (reused,) = run2.trace
    assert not ran.cached
    assert reused.cached
    assert 0 < reused.scheduled_at <= reused.started_at <= reused.ended_at
    assert run2.makespan < 60  # measured from the run's start, not from 0
    finished1 = [e for e in first if e["event"] == "finished"]
    finished2 = [e for e in again if e["event"] == "finished"]
    assert "cached" not in finished1[0]
    assert finished2[0]["cached"] is True
    assert finished2[0]["result"] == "K"
    assert finished2[0]["started_at"] == reused.started_at > 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("policy", ["dataflow", "paper"])
def test_the_join_of_a_plan_finishes_at_once_with_no_value(mode: str, policy: str) -> None:
    frg = frg_of("s1: aio(tag=1, inputs=[])\ns2: sio(tag=2, inputs=[s1])\ns3: join()")
    events: list[dict[str, Any]] = []
    run = execute(engine(policy=policy), frg, mode, on_event=events.append)
    assert run.ok
    assert run.results["s3"] is None
    join = next(r for r in run.trace if r.id == "s3")
    assert join.status == "finished"
    assert 0 < join.scheduled_at <= join.started_at == join.ended_at
    assert run.makespan == max(r.ended_at for r in run.trace) - run.started_at
    assert ("finished", "s3") in [(e["event"], e["id"]) for e in events]


class StreamBrokeError(RuntimeError):
    """The plan's stream failed (the model's connection dropped)."""


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_plan_stream_stops_the_run_with_its_own_error(mode: str) -> None:
    started: list[str] = []

    async def stream() -> AsyncIterator[tuple[FRG, dict[str, Any]]]:
        yield frg_of("s1: aio(tag=1, inputs=[], ms=5000)\ns2: aio(tag=2, inputs=[], ms=5000)"), {}
        while len(started) < 2:  # noqa: ASYNC110 - the calls start on this loop
            await asyncio.sleep(0.005)
        msg = "connection dropped"
        raise StreamBrokeError(msg)

    def heard(item: dict[str, Any]) -> None:
        if item["event"] == "started":
            started.append(item["id"])

    orch = engine()

    def go() -> Any:
        if mode == "sync":
            return orch.run_streaming(stream(), on_event=heard)
        return asyncio.run(orch.arun_streaming(stream(), on_event=heard))

    with pytest.raises(StreamBrokeError, match="connection dropped"):
        go()
    assert sorted(started) == ["s1", "s2"]


def big() -> str:
    """Three and a half million characters."""
    return "x" * 3_500_000


def size(text: str) -> int:
    """The length of `text`."""
    return len(text)


def cached_size(text: str) -> int:
    """The length of `text` (a cacheable tool)."""
    return len(text)


BIG_TOOLS = [inout(big), inout(size), inout(cached_size, cache=CachePolicy())]


@pytest.mark.parametrize("mode", MODES)
def test_the_calls_of_one_run_share_its_value_budget_and_each_run_has_its_own(mode: str) -> None:
    copies = "\n".join(f"c{i}: size(text=s1 + '')" for i in range(6))
    frg = build_frg(parse_plan(f"s1: big()\n{copies}"), BIG_TOOLS)
    orch = Orchestrator(BIG_TOOLS)
    for _ in range(2):  # the second run starts with a whole budget again
        run = execute(orch, frg, mode)
        # s1 and five copies: 17.5 M of the run's 20 M characters; the sixth is over.
        assert run.results.pop("s1") == "x" * 3_500_000
        assert list(run.results.values()) == [3_500_000] * 5
        (failed,) = run.errors.values()
        assert isinstance(failed, ExpressionError)
        assert "whole run" in str(failed)


@pytest.mark.parametrize("mode", MODES)
def test_a_cacheable_call_builds_its_arguments_once_against_the_run_budget(mode: str) -> None:
    # Five different copies of 3.5 M characters fit in the 20 M budget only if each
    # missed look-up's arguments are built once, not again when the call runs.
    copies = "\n".join(f"c{i}: cached_size(text=s1 + '{i}')" for i in range(5))
    frg = build_frg(parse_plan(f"s1: big()\n{copies}"), BIG_TOOLS)
    run = execute(Orchestrator(BIG_TOOLS, cache=InMemoryCache()), frg, mode)
    assert run.ok, run.errors
    assert [run.results[f"c{i}"] for i in range(5)] == [3_500_001] * 5


@pytest.mark.parametrize("mode", MODES)
def test_a_plan_whose_every_result_is_kept_runs_nothing(mode: str) -> None:
    frg = frg_of("s1: aio(tag=1, inputs=[])\ns2: cpu(tag=2, inputs=[s1])")
    events: list[dict[str, Any]] = []
    run = execute(engine(), frg, mode, results={"s1": 1, "s2": 2}, on_event=events.append)
    assert run.results == {"s1": 1, "s2": 2}
    assert run.ok
    assert (run.trace, events, run.makespan) == ([], [], 0.0)
    assert run.started_at > 0


GPU_PLAN = "\n".join(
    [*(f"g{i}: gpu_hold(seconds=0.02)" for i in range(1, 4)), "s4: aio(tag=4, inputs=[])"]
)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("policy", ["dataflow", "paper"])
def test_calls_that_hold_a_resource_wait_for_it_in_turn(mode: str, policy: str) -> None:
    tools = [*TOOLS, cached.gpu_hold_tool]
    frg = build_frg(parse_plan(GPU_PLAN), tools)
    orch = Orchestrator(
        tools,
        policy=policy,
        resources={"gpu": 1},
        durations=DurationModel(),  # type: ignore[arg-type]
    )
    events: list[dict[str, Any]] = []
    run = execute(orch, frg, mode, on_event=events.append)
    assert run.results == {"g1": "held", "g2": "held", "g3": "held", "s4": mix(4, [])}
    gpu = [r for r in run.trace if r.id.startswith("g")]
    assert max_concurrent(gpu) == 1
    waited = sorted(r.waiting_for for r in gpu)
    assert waited == [[], ["gpu"], ["gpu"]]
    scheduled = {e["id"]: e for e in events if e["event"] == "scheduled"}
    assert sorted(scheduled[r.id].get("waiting_for", []) for r in gpu) == waited


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("policy", ["dataflow", "paper"])
def test_ordered_calls_after_a_failed_one_are_skipped_and_the_run_ends(
    tmp_path: Path, mode: str, policy: str
) -> None:
    path = tmp_path / "log.txt"
    text = (
        f's1: append_line(path="{path}", line="a")\n'
        f's2: append_line(path="{path}", line="bad", seconds=0.02)\n'
        "s3: idle()\n"
        f'w4: append_line(path="{path}", line="c")\n'
        f'v5: append_line(path="{path}", line="d")\n'
        "u6: idle(tag=w4)"
    )
    tools = [append_line, idle]
    orch = Orchestrator(tools, policy=policy)  # type: ignore[arg-type]
    run = execute(orch, build_frg(parse_plan(text), tools), mode)
    assert set(run.errors) == {"s2"}
    assert run.skipped == ["w4", "v5", "u6"]  # in plan order
    assert set(run.results) == {"s1", "s3"}
    assert path.read_text().split() == ["a"]


PRIORITY_PLAN = (
    "g1: gpu_hold(seconds=0.01)\ng2: gpu_hold(seconds=0.01)\n"
    "c1: idle(seconds=0.01, tag=g2)\nc2: idle(seconds=0.01, tag=c1)\nc3: idle(seconds=0.01, tag=c2)"
)


@pytest.mark.parametrize("mode", MODES)
def test_calls_held_for_a_resource_start_by_priority_not_by_arrival(mode: str) -> None:
    # g2 heads the longer path: the critical-path order gives it the GPU first, though
    # g1 comes first in the plan and was held first; the paper policy keeps plan order.
    tools = [cached.gpu_hold_tool, idle]
    frg = build_frg(parse_plan(PRIORITY_PLAN), tools)
    starts: dict[tuple[str, str], str] = {}
    for policy in ("dataflow", "paper"):
        orch = Orchestrator(
            tools,
            policy=policy,  # type: ignore[arg-type]
            resources={"gpu": 1},
            durations=DurationModel(),
        )
        run = execute(orch, frg, mode)
        assert run.ok, run.errors
        by_id = {r.id: r for r in run.trace}
        first, second = sorted(["g1", "g2"], key=lambda cid: by_id[cid].started_at)
        assert by_id[second].waiting_for == ["gpu"]
        assert by_id[first].ended_at <= by_id[second].started_at
        starts[policy, run.schedule] = first
    assert starts == {("dataflow", "critical_path"): "g2", ("paper", "paper-fifo"): "g1"}


def test_a_held_compute_call_and_a_free_one_share_the_processor_by_priority() -> None:
    # One processor; g1 holds the GPU too, c1 heads the longer path: once a call holds a
    # resource, every compute call waits in the held list, so the better priority (c1)
    # takes the processor first, not the call that holds a resource.
    tools = [on_gpu, on_cpu, idle]
    text = (
        'g1: on_gpu(seconds=0.02)\nc1: on_cpu(seconds=0.02, tag="a")\n'
        "i2: idle(seconds=0.02, tag=c1)\ni3: idle(seconds=0.02, tag=i2)"
    )
    orch = Orchestrator(
        tools,
        resources={"gpu": 1},
        executor=CappedExecutor(get_pool(2), 1),
        durations=DurationModel(),
    )
    run = orch.run(build_frg(parse_plan(text), tools))
    assert run.ok, run.errors
    assert run.schedule == "critical_path"
    by_id = {r.id: r for r in run.trace}
    assert by_id["c1"].ended_at <= by_id["g1"].started_at
    assert by_id["g1"].waiting_for == ["processor"]
    assert by_id["c1"].waiting_for == []

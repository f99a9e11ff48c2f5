"""The tool-result cache: opt-in per tool, keyed by arguments and scope, one run per identical call."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.tools import BaseTool
from langgraph.cache.memory import InMemoryCache
from langgraph.types import CachePolicy

from langchain_llmorch import Orchestrator, build_frg, inout, parse_plan
from langchain_llmorch.engine.cache import SCOPE_KEY, namespace
from langchain_llmorch.engine.events import RunResult, StreamEvent
from langchain_llmorch.engine.scheduling import DurationModel
from langchain_llmorch.errors import OptionTypeError, OptionValueError
from tests.unit_tests.engine import _cache_tools as t

TOOLS: list[BaseTool] = [
    t.lookup_tool,
    t.plain_lookup_tool,
    t.number_tool,
    t.opaque_tool,
    t.flaky_tool,
    t.gated_tool,
    t.agated_tool,
    t.hold_thread_tool,
    t.square_tool,
    t.hold,
]


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    t.RAN.clear()
    t.GATE.clear()
    yield
    t.GATE.set()  # never leave a tool blocked


def engine(**kwargs: Any) -> Orchestrator:
    """An orchestrator with a cache of its own (tests never share the process cache)."""
    kwargs.setdefault("cache", InMemoryCache())
    return Orchestrator(TOOLS, max_processors=2, **kwargs)


def run(orch: Orchestrator, plan: str, **kwargs: Any) -> RunResult:
    return orch.run(build_frg(parse_plan(plan), TOOLS), **kwargs)


def cached(result: RunResult) -> dict[str, bool]:
    return {r.id: r.cached for r in result.trace}


def test_a_cacheable_tool_runs_once_across_runs() -> None:
    orch = engine()
    first = run(orch, 's1: lookup(key="a")')
    second = run(orch, 's1: lookup(key="a")')
    assert first.results == second.results == {"s1": "A"}
    assert cached(first) == {"s1": False}
    assert cached(second) == {"s1": True}
    assert t.RAN["lookup:a"] == 1


def test_tools_without_a_policy_are_never_cached() -> None:
    orch = engine()
    plan = 's1: plain_lookup(key="a")\ns2: plain_lookup(key="a")'
    first = run(orch, plan)
    second = run(orch, plan)
    assert cached(first) == cached(second) == {"s1": False, "s2": False}
    assert t.RAN["plain_lookup:a"] == 4


@pytest.mark.parametrize("policy", ["dataflow", "paper"])
def test_identical_calls_in_one_plan_run_once(policy: str) -> None:
    plan = 's1: lookup(key="a")\ns2: lookup(key="a")\ns3: lookup(key="b")'
    result = run(engine(policy=policy), plan)
    assert result.results == {"s1": "A", "s2": "A", "s3": "B"}
    assert sorted(cached(result).values()) == [False, False, True]  # s1 or s2 reused
    assert not cached(result)["s3"]
    assert t.RAN["lookup:a"] == 1
    assert t.RAN["lookup:b"] == 1


def test_references_to_either_identical_call_get_the_one_result() -> None:
    plan = 's1: lookup(key="a")\ns2: lookup(key="a")\ns3: lookup(key="{s1}{s2}")'
    result = run(engine(), plan)
    assert result.results["s3"] == "AA"
    assert t.RAN["lookup:a"] == 1


def test_arguments_are_compared_once_validated_and_in_any_order() -> None:
    # number(n: int): "3" validates to 3, so both calls have one key
    result = run(engine(), 's1: number(n=3)\ns2: number(n="3")')
    assert result.results == {"s1": 30, "s2": 30}
    assert t.RAN["number:3"] == 1


def test_the_finished_event_says_cached() -> None:
    orch = engine()
    run(orch, 's1: lookup(key="a")')
    events: list[StreamEvent] = []
    run(orch, 's1: lookup(key="a")\ns2: plain_lookup(key="a")', on_event=events.append)
    finished = {e["id"]: e for e in events if e["event"] == "finished"}
    assert finished["s1"].get("cached") is True
    assert "cached" not in finished["s2"]
    kinds = [e["event"] for e in events if e["id"] == "s1"]
    assert kinds == ["scheduled", "started", "finished"]


def test_a_cached_result_is_durable_like_any_result() -> None:
    orch = engine()
    run(orch, 's1: lookup(key="a")')
    saved: list[tuple[str, Any]] = []
    result = run(orch, 's1: lookup(key="a")', on_result=lambda cid, v: saved.append((cid, v)))
    assert cached(result) == {"s1": True}
    assert saved == [("s1", "A")]


def test_scopes_do_not_share_results() -> None:
    orch = engine(cache_scope="alice")
    run(orch, 's1: lookup(key="a")')
    bob = run(orch, 's1: lookup(key="a")', config={"configurable": {SCOPE_KEY: "bob"}})
    alice = run(orch, 's1: lookup(key="a")', config={"configurable": {SCOPE_KEY: "alice"}})
    again = run(orch, 's1: lookup(key="a")')  # the orchestrator's own scope: alice
    assert cached(bob) == {"s1": False}
    assert cached(alice) == cached(again) == {"s1": True}
    assert t.RAN["lookup:a"] == 2


def test_clear_cache_by_scope_and_all() -> None:
    orch = engine()
    for scope in ("alice", "bob"):
        run(orch, 's1: lookup(key="a")', config={"configurable": {SCOPE_KEY: scope}})
    orch.clear_cache(scope="alice")
    alice = run(orch, 's1: lookup(key="a")', config={"configurable": {SCOPE_KEY: "alice"}})
    bob = run(orch, 's1: lookup(key="a")', config={"configurable": {SCOPE_KEY: "bob"}})
    assert (cached(alice), cached(bob)) == ({"s1": False}, {"s1": True})
    orch.clear_cache()
    bob = run(orch, 's1: lookup(key="a")', config={"configurable": {SCOPE_KEY: "bob"}})
    assert cached(bob) == {"s1": False}
    assert t.RAN["lookup:a"] == 4


def test_the_policy_ttl_reaches_the_backend() -> None:
    stored: list[tuple[Any, ...]] = []

    class Recording(InMemoryCache[Any]):
        def set(self, keys: Any) -> None:
            stored.extend((ns, value, ttl) for (ns, _), (value, ttl) in keys.items())
            super().set(keys)

    run(engine(cache=Recording()), 's1: lookup(key="a")\ns2: number(n=1)')
    assert sorted(stored, key=str) == sorted(
        [(namespace("", "lookup"), "A", 600), (namespace("", "number"), 10, None)], key=str
    )


def test_an_expired_result_runs_again() -> None:
    quick = inout(t.lookup, cache=CachePolicy(ttl=1))
    orch = Orchestrator([quick], cache=InMemoryCache())
    frg = build_frg(parse_plan('s1: lookup(key="a")'), [quick])
    orch.run(frg)
    assert cached(orch.run(frg)) == {"s1": True}
    time.sleep(1.1)  # past the TTL
    assert cached(orch.run(frg)) == {"s1": False}
    assert t.RAN["lookup:a"] == 2


def test_an_unserializable_result_is_returned_but_not_cached() -> None:
    orch = engine()
    first = run(orch, 's1: opaque(key="a")')
    second = run(orch, 's1: opaque(key="a")')
    assert first.ok
    assert second.ok
    assert cached(second) == {"s1": False}
    assert t.RAN["opaque:a"] == 2


def test_an_error_is_shared_by_identical_calls_and_never_stored() -> None:
    orch = engine()
    first = run(orch, 's1: flaky(key="a")\ns2: flaky(key="a")')
    assert set(first.errors) == {"s1", "s2"}
    assert first.errors["s1"] is first.errors["s2"]
    assert t.RAN["flaky:a"] == 1
    second = run(orch, 's1: flaky(key="a")')
    assert set(second.errors) == {"s1"}
    assert t.RAN["flaky:a"] == 2


def test_cached_results_do_not_teach_durations() -> None:
    durations = DurationModel()
    orch = engine(durations=durations)
    run(orch, 's1: lookup(key="a")')
    learned = durations.estimate("lookup", "inout")
    run(orch, 's1: lookup(key="a")')
    assert durations.estimate("lookup", "inout") == learned


def test_a_cached_call_takes_no_thread() -> None:
    # one thread, held by a call that waits for the cached one's event
    orch = engine(max_threads=1)
    run(orch, 's1: lookup(key="a")')

    def opens_the_gate(event: StreamEvent) -> None:
        if event["event"] == "finished" and event.get("cached"):
            t.GATE.set()

    result = run(orch, 's1: hold_thread(key="x")\ns2: lookup(key="a")', on_event=opens_the_gate)
    assert result.ok
    by_id = {r.id: r for r in result.trace}
    assert by_id["s2"].cached
    assert by_id["s2"].ended_at <= by_id["s1"].ended_at


def test_a_cached_compute_call_takes_no_processor() -> None:
    orch = Orchestrator(TOOLS, max_processors=1, cache=InMemoryCache())
    first = run(orch, "s1: square(x=7)")
    assert cached(first) == {"s1": False}
    second = run(orch, "s1: hold(seconds=0.5)\ns2: square(x=7)")
    by_id = {r.id: r for r in second.trace}
    assert second.results["s2"] == 49
    assert by_id["s2"].cached
    assert by_id["s2"].processor is None
    assert by_id["s2"].ended_at < by_id["s1"].ended_at  # P=1 was busy with s1 all along


@pytest.mark.parametrize("policy", ["dataflow", "paper"])
def test_identical_compute_calls_run_once_and_leave_the_processor_free(policy: str) -> None:
    orch = Orchestrator(TOOLS, max_processors=2, policy=policy, cache=InMemoryCache())  # type: ignore[arg-type]
    run(orch, "s1: hold(seconds=0.2)\ns2: hold(seconds=0.2)")  # both workers are up
    plan = "s1: square(x=3, seconds=0.6)\ns2: square(x=3, seconds=0.6)\ns3: hold(seconds=0.1)"
    result = run(orch, plan)
    assert result.results == {"s1": 9, "s2": 9, "s3": "held"}
    by_id = {r.id: r for r in result.trace}
    assert sorted([by_id["s1"].cached, by_id["s2"].cached]) == [False, True]
    leader = by_id["s1"] if not by_id["s1"].cached else by_id["s2"]
    # the waiting call held no processor: s3 took the second one beside the leader
    assert by_id["s3"].started_at < leader.ended_at
    assert by_id["s3"].processor != leader.processor


def test_identical_calls_of_concurrent_runs_run_once() -> None:
    orch = engine()
    results: list[RunResult] = []
    waiting = threading.Event()

    def second_waits(event: StreamEvent) -> None:
        if event["event"] == "started" and t.RAN["gated:a"] == 1:
            waiting.set()

    first = threading.Thread(target=lambda: results.append(run(orch, 's1: gated(key="a")')))
    first.start()
    while t.RAN["gated:a"] == 0:  # the first run's call is running
        time.sleep(0.01)
    second = threading.Thread(
        target=lambda: results.append(run(orch, 's1: gated(key="a")', on_event=second_waits))
    )
    second.start()
    assert waiting.wait(timeout=10)
    t.GATE.set()
    first.join(timeout=20)
    second.join(timeout=20)
    assert [r.results for r in results] == [{"s1": "A"}, {"s1": "A"}]
    assert sorted(r.trace[0].cached for r in results) == [False, True]
    assert t.RAN["gated:a"] == 1


async def test_a_cancelled_leader_hands_its_call_to_the_waiter() -> None:
    orch = engine()
    frg = build_frg(parse_plan('s1: agated(key="a")'), TOOLS)
    leading, waiting, running = asyncio.Event(), asyncio.Event(), asyncio.Event()
    waiter_events: list[str] = []

    def waiter_sees(event: StreamEvent) -> None:
        waiter_events.append(event["event"])
        if event["event"] == "started":  # first: waits for the leader; then: runs it
            (running if waiting.is_set() else waiting).set()

    leader = asyncio.ensure_future(
        orch.arun(frg, on_event=lambda e: leading.set() if e["event"] == "started" else None)
    )
    await asyncio.wait_for(leading.wait(), 10)
    waiter = asyncio.ensure_future(orch.arun(frg, on_event=waiter_sees))
    await asyncio.wait_for(waiting.wait(), 10)
    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader
    await asyncio.wait_for(running.wait(), 10)
    t.GATE.set()
    result = await asyncio.wait_for(waiter, 20)
    assert result.results == {"s1": "A"}
    assert cached(result) == {"s1": False}
    assert t.RAN["agated:a"] == 2
    assert waiter_events == ["scheduled", "started", "scheduled", "started", "finished"]


def test_the_process_cache_is_the_default_backend() -> None:
    a, b = Orchestrator(TOOLS), Orchestrator(TOOLS)
    a.clear_cache(tool="lookup")
    assert a.cache is b.cache
    frg = build_frg(parse_plan('s1: lookup(key="shared")'), TOOLS)
    a.run(frg)
    assert cached(b.run(frg)) == {"s1": True}
    a.clear_cache(tool="lookup")
    assert cached(b.run(frg)) == {"s1": False}


def test_bad_cache_options_are_typed_errors() -> None:
    with pytest.raises(OptionTypeError, match="CachePolicy"):
        inout(t.lookup, cache=600)  # type: ignore[arg-type]
    with pytest.raises(OptionTypeError, match="BaseCache"):
        Orchestrator(TOOLS, cache={})  # type: ignore[arg-type]
    with pytest.raises(OptionTypeError, match="cache_scope"):
        Orchestrator(TOOLS, cache_scope=7)  # type: ignore[arg-type]
    with pytest.raises(OptionTypeError, match=SCOPE_KEY):
        run(engine(), 's1: lookup(key="a")', config={"configurable": {SCOPE_KEY: 1}})


def test_a_cached_call_holds_no_resource() -> None:
    tools = [t.gpu_lookup_tool, t.gpu_hold_tool]
    orch = Orchestrator(tools, cache=InMemoryCache(), resources={"gpu": 1})
    orch.run(build_frg(parse_plan('s1: gpu_lookup(key="a")'), tools))
    plan = 's1: gpu_hold(seconds=0.5)\ns2: gpu_lookup(key="a")'
    result = orch.run(build_frg(parse_plan(plan), tools))
    by_id = {r.id: r for r in result.trace}
    assert by_id["s2"].cached
    assert by_id["s2"].ended_at < by_id["s1"].ended_at  # the one GPU was s1's all along
    assert t.RAN["gpu_lookup:a"] == 1


def test_an_ordered_tool_cannot_be_cached() -> None:
    with pytest.raises(OptionValueError, match="ordered"):
        inout(t.lookup, ordered=True, cache=CachePolicy())

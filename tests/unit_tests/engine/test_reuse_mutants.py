"""Reusing results in a run (`engine/reuse.py`): what is looked up, what runs, what is said.

Written for the mutants of `engine/reuse.py` that the cache tests let live. Each test
runs a plan with a cache and states one rule: a cacheable call whose arguments cannot be
filled fails as it would uncached; a call whose arguments have no stable key runs (each
time, with its own arguments) and is never stored; a reused call says so once, with its
arguments; a call waiting for an identical one in flight is announced once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from langgraph.cache.memory import InMemoryCache
from langgraph.types import CachePolicy

from langchain_llmorch import Orchestrator, build_frg, inout, parse_plan
from langchain_llmorch.engine.events import RunResult, StreamEvent
from langchain_llmorch.plan.expressions import ExpressionError
from tests.unit_tests.engine import _cache_tools as t

RAN: list[str] = []


def _no_key(args: dict[str, Any]) -> str:
    msg = f"no stable key for {args}"
    raise TypeError(msg)


def unkeyed(key: str) -> str:
    """A cacheable tool whose key function always fails."""
    RAN.append(key)
    return key * 2


unkeyed_tool = inout(unkeyed, cache=CachePolicy(key_func=_no_key))

TOOLS = [t.lookup_tool, t.gated_tool, unkeyed_tool]


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    t.RAN.clear()
    t.GATE.clear()
    RAN.clear()
    yield
    t.GATE.set()


def run(orch: Orchestrator, plan: str, **kwargs: Any) -> RunResult:
    return orch.run(build_frg(parse_plan(plan), TOOLS), **kwargs)


def engine() -> Orchestrator:
    return Orchestrator(TOOLS, cache=InMemoryCache())


def test_a_cacheable_call_whose_arguments_fail_fails_as_it_would_uncached() -> None:
    orch = engine()
    result = run(orch, 's1: lookup(key="a")\ns2: lookup(key=s1 + 1)\ns3: lookup(key="b")')
    assert result.results == {"s1": "A", "s3": "B"}
    assert isinstance(result.errors["s2"], ExpressionError)
    assert set(result.errors) == {"s2"}


def test_a_call_without_a_stable_key_runs_each_time_with_its_own_arguments() -> None:
    orch = engine()
    plan = 's1: unkeyed(key="a")\ns2: unkeyed(key="a")\ns3: unkeyed(key="b")'
    first = run(orch, plan)
    assert first.results == {"s1": "aa", "s2": "aa", "s3": "bb"}
    second = run(orch, plan)
    assert second.results == first.results
    assert sorted(RAN) == ["a", "a", "a", "a", "b", "b"]  # never reused, never shared
    assert not any(r.cached for r in [*first.trace, *second.trace])


def test_a_reused_call_is_announced_once_with_its_arguments() -> None:
    orch = engine()
    run(orch, 's1: lookup(key="a")')
    events: list[StreamEvent] = []
    result = run(orch, 's1: lookup(key="a")', on_event=events.append)
    assert result.trace[0].cached
    assert [e["event"] for e in events] == ["scheduled", "started", "finished"]
    started = events[1]
    assert started["args"] == {"key": "a"}
    assert "pid" in started


def test_a_call_waiting_for_an_identical_one_is_announced_once() -> None:
    orch = engine()
    events: list[StreamEvent] = []
    seen = threading.Event()

    def on_event(event: StreamEvent) -> None:
        events.append(event)
        started = {e["id"] for e in events if e["event"] == "started"}
        if started == {"s1", "s2"}:  # the leader runs, the other waits for it
            seen.set()
            t.GATE.set()

    result = run(orch, 's1: gated(key="a")\ns2: gated(key="a")', on_event=on_event)
    assert seen.is_set()
    assert result.results == {"s1": "A", "s2": "A"}
    assert t.RAN["gated:a"] == 1
    for cid in ("s1", "s2"):
        assert [e["event"] for e in events if e["id"] == cid] == [
            "scheduled",
            "started",
            "finished",
        ]
    waiter = next(r for r in result.trace if r.cached)
    assert next(e for e in events if e["id"] == waiter.id and e["event"] == "started")["args"] == {
        "key": "a"
    }


@inout
def big() -> str:
    """Three and a half million characters."""
    return "x" * 3_500_000


@pytest.mark.parametrize(
    ("tool", "cached"),
    [("lookup", [False, True, True, True, True]), ("unkeyed", [False] * 5)],
    ids=["reused", "without-a-key"],
)
def test_a_cacheable_calls_arguments_are_built_once_against_the_run_budget(
    tool: str, cached: list[bool]
) -> None:
    # Five copies of 3.5 M characters fit the run's 20 M budget; a sixth would not. A call
    # that runs after its look-up (a miss, or no stable key) must not build them twice.
    tools = [*TOOLS, big]
    copies = "\n".join(f"c{i}: {tool}(key=s1 + '')" for i in range(5))
    frg = build_frg(parse_plan(f"s1: big()\n{copies}"), tools)
    result = Orchestrator(tools, cache=InMemoryCache()).run(frg)
    assert not result.errors
    assert sorted(r.cached for r in result.trace if r.id != "s1") == cached

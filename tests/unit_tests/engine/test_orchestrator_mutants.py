"""The public engine object (`engine/orchestrator.py`): options, properties, streamed runs.

Written for the mutants of `engine/orchestrator.py` that the run-level tests let live.
Each test states one rule a user relies on: bad options are typed errors that name the
option; the cache and resources given are the ones used; `clear_cache` forgets only what
it names; `bind_tools` shares the engine and runs the new tools; P is the backend's, or
`max_processors` within the machine-wide slots; the worker pool starts only for a plan
that has a compute call left to run; a streamed run (sync or async) passes its events,
attempts and result hook on like `run`; `warm` and `respect_load` use the backend's own
hooks.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from concurrent.futures import Future
from typing import Any

import pytest
from langchain_core.tools import StructuredTool
from langgraph.cache.memory import InMemoryCache
from langgraph.types import CachePolicy

from langchain_llmorch import Orchestrator, build_frg, inout, parse_plan
from langchain_llmorch.engine import orchestrator as orchestrator_module
from langchain_llmorch.engine.cache import SCOPE_KEY
from langchain_llmorch.engine.events import RunResult
from langchain_llmorch.engine.load import LoadMonitor
from langchain_llmorch.errors import (
    OptionTypeError,
    OptionValueError,
    PlanValidationError,
)
from langchain_llmorch.processes.records import CallOutcome
from langchain_llmorch.processes.slots import Limit
from tests.unit_tests import _work as work

RAN: list[str] = []


def word(text: str) -> str:
    """Upper-case `text` (counted)."""
    RAN.append(f"word:{text}")
    return text.upper()


def letter(text: str) -> str:
    """The first letter of `text` (counted)."""
    RAN.append(f"letter:{text}")
    return text[:1]


def both_sync(text: str) -> str:
    """A tool with both implementations: this one runs in a thread."""
    return f"sync {text}"


async def both_async(text: str) -> str:
    """A tool with both implementations: this one runs on the event loop."""
    return f"async {text}"


both_tool = inout(StructuredTool.from_function(func=both_sync, coroutine=both_async, name="both"))
word_tool = inout(word, cache=CachePolicy())
letter_tool = inout(letter, cache=CachePolicy())
add_tool = work.add  # a compute tool the workers of the other engine tests know
render_tool = inout(letter, resources={"gpu": 2})
TOOLS = [word_tool, letter_tool, add_tool]


@pytest.fixture(autouse=True)
def fresh() -> None:
    RAN.clear()


def frg_of(text: str, tools: list[Any] = TOOLS) -> Any:
    return build_frg(parse_plan(text), tools)


class FakeBackend:
    """A compute backend that records what the orchestrator asks of it (never runs calls)."""

    def __init__(self, processors: int, limit: Limit | None = None) -> None:
        self.processors = processors
        self.slot_limit = limit
        self.started = 0

    def start(self) -> None:
        self.started += 1

    def worker_pids(self) -> list[int]:
        return []

    def submit(self, *args: Any, **kwargs: Any) -> Future[CallOutcome]:
        raise AssertionError

    def abort(self, future: Future[CallOutcome]) -> None:
        raise AssertionError


# -- options ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "error", "text"),
    [
        ({"policy": "fastest"}, OptionValueError, "policy must be 'dataflow' or 'paper'"),
        ({"max_processors": True}, OptionTypeError, "max_processors must be an int or None"),
        ({"max_processors": 2.0}, OptionTypeError, "max_processors must be an int or None"),
        ({"max_processors": 0}, OptionValueError, "max_processors must be at least 1, not 0"),
        ({"call_timeout": True}, OptionTypeError, "call_timeout must be a number of seconds"),
        ({"call_timeout": "5"}, OptionTypeError, "call_timeout must be a number of seconds"),
        ({"call_timeout": 0}, OptionValueError, "call_timeout must be positive, not 0"),
        ({"call_timeout": -1.5}, OptionValueError, "call_timeout must be positive, not -1.5"),
    ],
)
def test_bad_options_are_typed_errors_naming_the_option(
    options: dict[str, Any], error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(text)}"):
        Orchestrator(TOOLS, **options)


def test_good_options_are_kept() -> None:
    for policy in ("dataflow", "paper"):
        orch = Orchestrator(TOOLS, max_processors=1, policy=policy, call_timeout=2.5)  # type: ignore[arg-type]
        assert (orch.policy, orch.processors, orch.call_timeout) == (policy, 1, 2.5)
    assert Orchestrator(TOOLS, call_timeout=3).call_timeout == 3


# -- the cache ----------------------------------------------------------------------------


def test_the_cache_given_is_the_one_used() -> None:
    backend = InMemoryCache()
    orch = Orchestrator(TOOLS, cache=backend, cache_scope="team")
    assert orch.cache is backend
    assert orch.cache_scope == "team"
    plan = frg_of('s1: word(text="a")')
    orch.run(plan)
    assert list(backend._cache) == [("llmorch", "team", "word")]
    assert orch.run(plan).trace[0].cached
    other = Orchestrator(TOOLS, cache=InMemoryCache(), cache_scope="team")
    assert not other.run(plan).trace[0].cached  # another backend: nothing shared
    assert RAN == ["word:a", "word:a"]


def test_a_bad_scope_is_a_typed_error_naming_where_it_came_from() -> None:
    with pytest.raises(OptionTypeError, match=r"^cache_scope must be a string, not int"):
        Orchestrator(TOOLS, cache_scope=7)  # type: ignore[arg-type]
    orch = Orchestrator(TOOLS, cache=InMemoryCache())
    with pytest.raises(OptionTypeError, match=r"^scope must be a string, not int"):
        orch.clear_cache(scope=7)  # type: ignore[arg-type]


def test_clear_cache_forgets_only_the_tool_and_scope_it_names() -> None:
    orch = Orchestrator(TOOLS, cache=InMemoryCache(), cache_scope="alice")
    plan = frg_of('s1: word(text="a")\ns2: letter(text="a")')
    bob = {"configurable": {SCOPE_KEY: "bob"}}
    orch.run(plan)
    orch.run(plan, config=bob)  # type: ignore[arg-type]
    orch.clear_cache(tool="word")  # alice's (the orchestrator's scope) results of word
    orch.run(plan)
    orch.run(plan, config=bob)  # type: ignore[arg-type]
    assert sorted(RAN) == ["letter:a", "letter:a", "word:a", "word:a", "word:a"]
    RAN.clear()
    asyncio.run(orch.aclear_cache(tool="letter", scope="bob"))
    orch.run(plan)
    orch.run(plan, config=bob)  # type: ignore[arg-type]
    assert RAN == ["letter:a"]


# -- resources ------------------------------------------------------------------------------


def test_the_resources_given_are_the_capacities_checked() -> None:
    orch = Orchestrator([render_tool], resources={"gpu": 1})
    assert orch.resources == {"gpu": 1}
    assert orch.resource_pool.capacity("gpu") == 1
    frg = frg_of('s1: letter(text="a")', [render_tool])
    with pytest.raises(PlanValidationError) as info:
        orch.check(frg)
    (problem,) = info.value.problems
    assert (problem.call_id, problem.line) == ("s1", 1)
    assert "gpu=2" in problem.message
    Orchestrator([render_tool], resources={"gpu": 2}).check(frg)  # enough: no error


# -- bind_tools -----------------------------------------------------------------------------


def test_bind_tools_shares_the_engine_and_runs_the_new_tools() -> None:
    backend = InMemoryCache()
    orch = Orchestrator([word_tool], max_processors=1, cache=backend, call_timeout=9)
    bound = orch.bind_tools([letter_tool, add_tool])
    assert sorted(bound.tools) == ["add", "letter"]
    assert sorted(orch.tools) == ["word"]  # the original keeps its own
    assert sorted(bound.cache_policies) == ["letter"]
    assert sorted(orch.cache_policies) == ["word"]
    assert bound.threads is orch.threads
    assert bound.durations is orch.durations
    assert bound.cache is backend
    assert (bound.processors, bound.call_timeout) == (1, 9)
    by_name = orch.bind_tools({"letter": letter_tool})
    assert list(by_name.tools) == ["letter"]
    result = bound.run(frg_of('s1: letter(text="xy")'))
    assert result.results == {"s1": "x"}


# -- processors, slots, the backend ----------------------------------------------------------


def test_processors_are_the_backends_or_max_processors_within_the_slots() -> None:
    assert Orchestrator(TOOLS, executor=FakeBackend(3)).processors == 3  # type: ignore[arg-type]
    assert Orchestrator(TOOLS, max_processors=1, slot_group="off").processors == 1
    orch = Orchestrator(TOOLS, max_processors=10_000)
    assert orch.slots is not None
    assert orch.processors == orch.slots.size  # never above the machine-wide bound
    unbounded = Orchestrator(TOOLS, max_processors=10_000, slot_group="off")
    assert unbounded.slots is None
    assert unbounded.processors == 10_000


def test_the_slot_limit_is_the_backends_else_one_of_p_slots() -> None:
    limit = Limit(2)
    assert Orchestrator(TOOLS, executor=FakeBackend(2, limit)).slot_limit is limit  # type: ignore[arg-type]
    assert Orchestrator(TOOLS, max_processors=1, slot_group="off").slot_limit is None
    remote = Orchestrator(TOOLS, executor=FakeBackend(1))  # type: ignore[arg-type]
    own = remote.slot_limit
    assert own is not None
    assert own.size == 1


def test_warm_starts_the_backend_and_respect_load_watches_its_workers() -> None:
    backend = FakeBackend(2)
    orch = Orchestrator(TOOLS, executor=backend, respect_load=True)  # type: ignore[arg-type]
    assert orch.executor is backend
    orch.warm()
    assert backend.started == 1
    monitor = orch.load
    assert isinstance(monitor, LoadMonitor)
    assert orch.load is monitor  # made once
    assert Orchestrator(TOOLS, executor=backend).load is None


def test_the_pool_starts_only_for_compute_calls_left_to_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[int] = []

    def get_pool(processors: int, **kwargs: Any) -> Any:
        asked.append(processors)
        raise AssertionError

    monkeypatch.setattr(orchestrator_module._pool, "get_pool", get_pool)
    orch = Orchestrator(TOOLS, max_processors=1)
    done = orch.run(frg_of('s1: add(a=3)\ns2: word(text="a")'), results={"s1": 9})
    assert done.results == {"s1": 9, "s2": "A"}
    assert asked == []
    with pytest.raises(AssertionError):
        orch.run(frg_of("s1: add(a=3)"))
    assert asked == [1]


# -- streamed runs ------------------------------------------------------------------------


async def _graphs(text: str, known: dict[str, Any] | None = None) -> AsyncIterator[Any]:
    lines = text.split("\n")
    for n in range(1, len(lines) + 1):
        yield frg_of("\n".join(lines[:n])), (known or {}) if n == 1 else {}


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_streamed_run_passes_events_attempts_and_the_result_hook_on(mode: str) -> None:
    events: list[tuple[str, str, int]] = []
    saved: list[tuple[str, Any]] = []
    orch = Orchestrator(TOOLS, max_processors=2)
    text = 's1: word(text="a")\ns2: letter(text=s1)\ns3: add(a=4, b=12)'
    options: dict[str, Any] = {
        "attempts": {"s2": 3},
        "on_event": lambda e: events.append((e["event"], e["id"], e.get("attempt", 0))),
        "config": {"configurable": {SCOPE_KEY: mode}},
        "on_result": lambda cid, value: saved.append((cid, value)),
    }
    if mode == "sync":
        result = orch.run_streaming(_graphs(text), **options)
    else:
        result = asyncio.run(orch.arun_streaming(_graphs(text), **options))
    assert isinstance(result, RunResult)
    assert result.results == {"s1": "A", "s2": "A", "s3": 16}
    assert sorted(saved) == [("s1", "A"), ("s2", "A"), ("s3", 16)]
    assert ("finished", "s2", 3) in events
    assert {r.id: r.attempt for r in result.trace}["s2"] == 3
    assert {("started", cid) for cid in ("s1", "s2", "s3")} <= {e[:2] for e in events}


def test_a_streamed_run_keeps_the_known_results_of_its_first_graph() -> None:
    result = Orchestrator(TOOLS, max_processors=2).run_streaming(
        _graphs('s1: word(text="a")\ns2: letter(text=s1)', {"s1": "QRS"})
    )
    assert result.results == {"s1": "QRS", "s2": "Q"}
    assert RAN == ["letter:QRS"]


def test_a_sync_streamed_run_uses_the_sync_implementation() -> None:
    tools = [both_tool]

    async def graphs() -> AsyncIterator[Any]:
        yield frg_of('s1: both(text="a")', tools), {}

    orch = Orchestrator(tools, max_processors=1)
    assert orch.run_streaming(graphs()).results == {"s1": "sync a"}
    assert asyncio.run(orch.arun_streaming(graphs())).results == {"s1": "async a"}

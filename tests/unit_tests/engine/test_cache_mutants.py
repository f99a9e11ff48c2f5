"""Reusing tool results (`engine/cache.py`): keys, policies, scopes, broken backends.

Written for the mutants of `engine/cache.py` that the cache tests let live. Each test
states one rule: arguments are keyed as sorted-key JSON (nested dicts in any order are
one call), arguments JSON cannot write are keyed by the backend's serializer and still
reused; a policy's own `key_func` decides which calls are the same (a `str` or `bytes`
key); a tool without a policy, or `ordered`, is never cached; a backend that fails to
look up or to store is a miss, and the call still runs; why a call or a result was not
cached is logged at debug level; a bad per-run scope is a typed error naming where it
came from.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
from langgraph.cache.base import FullKey
from langgraph.cache.memory import InMemoryCache
from langgraph.types import CachePolicy

from langchain_llmorch import Orchestrator, build_frg, inout, parse_plan
from langchain_llmorch.engine.cache import (
    SCOPE_KEY,
    Flight,
    Found,
    RunCache,
    cache_policies,
    namespace,
    process_cache,
)
from langchain_llmorch.engine.events import RunResult
from langchain_llmorch.errors import OptionTypeError
from langchain_llmorch.tools import CACHE_POLICY

RAN: list[str] = []


def settings(options: dict[str, Any]) -> str:
    """The option names (counted)."""
    RAN.append(f"settings:{options}")
    return ",".join(sorted(options))


def when(at: datetime) -> str:
    """A time (validated to a `datetime`, which JSON cannot write; counted)."""
    RAN.append(f"when:{at.isoformat()}")
    return at.isoformat()


def greet(name: str) -> str:
    """Greet `name` (counted)."""
    RAN.append(f"greet:{name}")
    return f"hello {name}"


def shout(name: str) -> str:
    """Shout `name` (counted); its key is bytes."""
    RAN.append(f"shout:{name}")
    return name.upper()


def unkeyable(args: dict[str, Any]) -> str:
    msg = f"no key for {args}"
    raise ValueError(msg)


def odd(name: str) -> str:
    """A tool whose key function fails (counted)."""
    RAN.append(f"odd:{name}")
    return name


def lock(name: str) -> object:
    """A result no serializer can write."""
    RAN.append(f"lock:{name}")
    return object()


def plain(name: str) -> str:
    """A tool without a cache policy."""
    return name


def write(name: str) -> str:
    """A side effect whose order matters."""
    return name


settings_tool = inout(settings, cache=CachePolicy())
when_tool = inout(when, cache=CachePolicy())
greet_tool = inout(greet, cache=CachePolicy(key_func=lambda args: args["name"].lower()))
shout_tool = inout(shout, cache=CachePolicy(key_func=lambda args: args["name"][:1].encode()))
odd_tool = inout(odd, cache=CachePolicy(key_func=unkeyable))
lock_tool = inout(lock, cache=CachePolicy())
plain_tool = inout(plain)
ordered_tool = inout(write, ordered=True)
TOOLS = [settings_tool, when_tool, greet_tool, shout_tool, odd_tool, lock_tool]


@pytest.fixture(autouse=True)
def fresh() -> None:
    RAN.clear()


def run(orch: Orchestrator, plan: str, **kwargs: Any) -> RunResult:
    return orch.run(build_frg(parse_plan(plan), TOOLS), **kwargs)


def engine(backend: Any = None) -> Orchestrator:
    return Orchestrator(TOOLS, cache=backend or InMemoryCache())


def test_nested_arguments_in_any_order_are_one_call() -> None:
    orch = engine()
    first = run(orch, 's1: settings(options={"a": {"x": 1, "y": [2, 3]}, "b": "é"})')
    second = run(orch, 's1: settings(options={"b": "é", "a": {"y": [2, 3], "x": 1}})')
    other = run(orch, 's1: settings(options={"b": "é", "a": {"y": [3, 2], "x": 1}})')
    assert first.results == second.results == other.results == {"s1": "a,b"}
    assert [second.trace[0].cached, other.trace[0].cached] == [True, False]
    assert len(RAN) == 2


def test_arguments_json_cannot_write_are_still_keyed_and_reused() -> None:
    orch = engine()
    plan = 's1: when(at="2026-01-02T03:04:05")\ns2: when(at="2026-01-02T03:04:06")'
    first = run(orch, plan)
    second = run(orch, plan)
    assert first.results == second.results
    assert first.results["s1"] == "2026-01-02T03:04:05"
    assert [r.cached for r in second.trace] == [True, True]
    assert sorted(RAN) == ["when:2026-01-02T03:04:05", "when:2026-01-02T03:04:06"]


def test_a_policys_key_func_decides_which_calls_are_the_same() -> None:
    orch = engine()
    run(orch, 's1: greet(name="Ada")\ns2: shout(name="bob")')
    second = run(orch, 's1: greet(name="ADA")\ns2: shout(name="bill")')  # same keys
    third = run(orch, 's1: greet(name="Bea")\ns2: shout(name="carl")')  # other keys
    assert second.results == {"s1": "hello Ada", "s2": "BOB"}  # the stored results
    assert third.results == {"s1": "hello Bea", "s2": "CARL"}
    assert sorted(RAN) == ["greet:Ada", "greet:Bea", "shout:bob", "shout:carl"]


def test_only_tools_with_a_policy_and_not_ordered_are_cacheable() -> None:
    policies = cache_policies(
        {t.name: t for t in [greet_tool, plain_tool, ordered_tool, settings_tool]}
    )
    assert sorted(policies) == ["greet", "settings"]  # not plain, not write
    assert policies["greet"] is (greet_tool.metadata or {})[CACHE_POLICY]
    # A tool whose metadata says both (made by hand): its calls are side effects.
    both = ordered_tool.model_copy(
        update={"metadata": {**(ordered_tool.metadata or {}), CACHE_POLICY: CachePolicy()}}
    )
    assert cache_policies({"write": both}) == {}


class BrokenBackend(InMemoryCache):
    """A backend whose look-ups and writes fail (a cache server gone away)."""

    def __init__(self, *, reads: bool, writes: bool) -> None:
        super().__init__()
        self.reads, self.writes = reads, writes

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        if self.reads:
            msg = "cache server gone"
            raise ConnectionError(msg)
        return await super().aget(keys)

    async def aset(self, pairs: Any) -> None:
        if self.writes:
            msg = "cache server gone"
            raise ConnectionError(msg)
        await super().aset(pairs)


@pytest.mark.parametrize(("reads", "writes"), [(True, False), (False, True)])
def test_a_failing_backend_is_a_miss_and_the_call_runs(reads: bool, writes: bool) -> None:
    orch = engine(BrokenBackend(reads=reads, writes=writes))
    for _ in range(2):
        result = run(orch, 's1: greet(name="Ada")')
        assert result.results == {"s1": "hello Ada"}
        assert result.errors == {}
        assert not result.trace[0].cached
    assert RAN == ["greet:Ada", "greet:Ada"]


def test_why_a_call_or_a_result_is_not_cached_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    orch = engine()
    with caplog.at_level(logging.DEBUG, logger="langchain_llmorch.engine.cache"):
        result = run(orch, 's1: odd(name="x")\ns2: lock(name="y")')
    assert result.results["s1"] == "x"
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("call of odd not cacheable: ValueError(") for m in messages)
    assert any(m.startswith("result of lock not cached: ") for m in messages)


def test_a_bad_scope_in_the_config_names_the_key() -> None:
    with pytest.raises(
        OptionTypeError, match=r'^configurable\["llmorch_cache_scope"\] must be a string, not int'
    ):
        run(engine(), 's1: greet(name="a")', config={"configurable": {SCOPE_KEY: 1}})


def test_namespaces_escape_their_parts_and_the_process_has_one_cache() -> None:
    assert namespace("a,b", "x:y") == ("llmorch", "a%2Cb", "x%3Ay")
    assert namespace("", "t") == ("llmorch", "", "t")
    assert process_cache() is process_cache()
    assert isinstance(process_cache(), InMemoryCache)


async def test_a_found_result_says_whether_an_identical_call_shared_it() -> None:
    backend = InMemoryCache()
    assert RunCache.for_run(backend, {}, "", {}) is None  # nothing cacheable: no cache
    cache = RunCache.for_run(backend, cache_policies({"greet": greet_tool}), "", {})
    assert cache is not None
    key = cache.key(greet_tool, {"name": "Ada"})
    assert key is not None
    leader = await cache.find(key, "greet")
    assert isinstance(leader, Flight)
    waited: list[str] = []
    waiter = asyncio.ensure_future(cache.find(key, "greet", on_wait=lambda: waited.append("w")))
    await asyncio.sleep(0)
    await leader.land("hello Ada")
    assert await waiter == Found("hello Ada", shared=True)
    assert waited == ["w"]
    assert await cache.find(key, "greet") == Found("hello Ada", shared=False)  # from the backend

"""The agent's `cache` shorthand and a per-invocation cache scope."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.cache.memory import InMemoryCache

from langchain_llmorch import Orchestrator
from langchain_llmorch.agent.graph import create_llmorch_agent
from langchain_llmorch.engine.cache import SCOPE_KEY
from langchain_llmorch.errors import OptionValueError
from langchain_llmorch.testing import planner_or
from tests.unit_tests.engine import _cache_tools as t

PLAN = 's1: lookup(key="a")\ns2: lookup(key="b")'
QUESTION = {"messages": [("user", "q")]}


@pytest.fixture(autouse=True)
def fresh() -> None:
    t.RAN.clear()


def finished(agent: Any, config: dict[str, Any] | None = None) -> dict[str, bool]:
    """Call id -> `cached`, from the `finished` events of one invocation."""
    out = {}
    for event in agent.stream(QUESTION, config, stream_mode="custom"):
        if event["event"] == "finished":
            out[event["id"]] = event.get("cached", False)
    return out


def test_an_agent_reuses_results_across_invocations() -> None:
    agent = create_llmorch_agent(planner_or(PLAN), [t.lookup_tool], cache=InMemoryCache())
    assert finished(agent) == {"s1": False, "s2": False}
    assert finished(agent) == {"s1": True, "s2": True}
    assert t.RAN == {"lookup:a": 1, "lookup:b": 1}


def test_the_scope_may_change_per_invocation() -> None:
    engine = Orchestrator(cache=InMemoryCache())
    agent = create_llmorch_agent(planner_or(PLAN), [t.lookup_tool], orchestrator=engine)
    alice = {"configurable": {SCOPE_KEY: "alice"}}
    bob = {"configurable": {SCOPE_KEY: "bob"}}
    assert finished(agent, alice) == {"s1": False, "s2": False}
    assert finished(agent, bob) == {"s1": False, "s2": False}
    assert finished(agent, alice) == {"s1": True, "s2": True}
    assert t.RAN == {"lookup:a": 2, "lookup:b": 2}


def test_the_cache_shorthand_is_not_taken_beside_an_orchestrator() -> None:
    with pytest.raises(OptionValueError, match="cache"):
        create_llmorch_agent(
            planner_or(PLAN), [t.lookup_tool], orchestrator=Orchestrator(), cache=InMemoryCache()
        )

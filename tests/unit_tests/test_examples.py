"""The LangGraph server example: the graph `langgraph.json` names loads and answers."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph.graph.state import CompiledStateGraph

from bench.llm_server import ScriptedLLMServer
from bench.workloads.latency import LatencyModel
from langchain_llmorch.agent.prompts import STRUCTURED_RULES
from langchain_llmorch.agent.prompts import TOOLS_HEADER as PLANNER_MARK

SERVER_DIR = Path(__file__).parents[2] / "examples" / "langgraph_server"
CONFIG = SERVER_DIR / "langgraph.json"


def _primes_below(limit: int) -> int:
    return sum(all(n % d for d in range(2, math.isqrt(n) + 1)) for n in range(2, limit))


@pytest.fixture
def load_graph() -> Iterator[Any]:
    """Load a `./path.py:variable` spec the way LangGraph server does (made-up module name)."""
    loaded: list[str] = []

    def load(spec: str) -> Any:
        path, _, variable = spec.rpartition(":")
        name = path.replace("/", "__").removesuffix(".py").lstrip(".") + f"_{len(loaded)}"
        module_spec = importlib.util.spec_from_file_location(name, SERVER_DIR / path)
        assert module_spec is not None
        assert module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        loaded.append(name)
        module_spec.loader.exec_module(module)
        return getattr(module, variable)

    yield load
    for name in loaded:
        sys.modules.pop(name, None)


def test_langgraph_json_names_a_python_graph() -> None:
    config = json.loads(CONFIG.read_text())
    assert config["dependencies"] == ["."]
    assert (SERVER_DIR / "requirements.txt").read_text().startswith("langchain-llmorch")
    assert set(config["graphs"]) == {"llmorch", "llmorch_approval"}
    for spec in config["graphs"].values():
        path, _, variable = spec.rpartition(":")
        assert (SERVER_DIR / path).is_file()
        assert variable.isidentifier()


@pytest.mark.timeout(120)
def test_the_served_graph_answers_with_a_scripted_model(
    load_graph: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMORCH_MODEL", "scripted")
    spec = json.loads(CONFIG.read_text())["graphs"]["llmorch"]
    graph = load_graph(spec)
    assert isinstance(graph, CompiledStateGraph)
    question = "Populations of Paris and Rome, and primes below 100000 and 200000?"
    out = graph.invoke({"messages": [("user", question)]})
    results = out["results"]
    assert results["s1"] == 2_102_650
    assert results["s3"] == _primes_below(100_000)
    assert results["s4"] == _primes_below(200_000)
    answer = out["messages"][-1].content
    assert f"count_primes(limit=100000) = {results['s3']}" in answer
    assert 'population(city="Rome") = 2748109' in answer
    assert "Results:" not in answer  # the scripted model's own answer, not the joiner's fallback


@pytest.mark.timeout(120)
def test_the_served_graph_takes_its_model_string_from_the_environment(
    load_graph: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def script(messages: list[dict[str, Any]]) -> str:
        if STRUCTURED_RULES in messages[0]["content"]:  # planning="auto" on an OpenAI model
            steps = [
                {"id": "s1", "tool": "population", "args": {"city": "Berlin"}},
                {"id": "s2", "tool": "count_primes", "args": {"limit": 50}},
            ]
            return json.dumps({"steps": steps})
        assert PLANNER_MARK not in messages[0]["content"]  # never a text plan: auto is structured
        return "Berlin has 3596999 people; 15 primes."

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("LLMORCH_MODEL", "openai:scripted")
    spec = json.loads(CONFIG.read_text())["graphs"]["llmorch"]
    with ScriptedLLMServer(script, LatencyModel(scale=0.0)) as server:
        monkeypatch.setenv("LLMORCH_BASE_URL", server.base_url)
        graph = load_graph(spec)
        out = graph.invoke({"messages": [("user", "Berlin, and primes below 50?")]})
        served = len(server.requests)
        planner_format = server.requests[0].response_format
    assert out["results"] == {"s1": 3_596_999, "s2": _primes_below(50)}
    assert out["messages"][-1].content == "Berlin has 3596999 people; 15 primes."
    assert served == 2
    assert planner_format is not None
    assert planner_format["type"] == "json_schema"

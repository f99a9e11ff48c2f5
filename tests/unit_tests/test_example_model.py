"""The LangGraph server example's model: what `LLMORCH_MODEL` chooses, and the scripted planner."""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from langchain_llmorch import local
from langchain_llmorch.agent.prompts import TOOLS_HEADER as PLANNER_MARK
from langchain_llmorch.local import LocalModelNotAvailableError
from langchain_llmorch.testing import ScriptedChatModel

AGENT = Path(__file__).parents[2] / "examples" / "langgraph_server" / "agent.py"


@pytest.fixture
def load_example(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Import agent.py afresh (it picks its model at import) under a made-up name."""
    names: list[str] = []

    def load(model: str | None) -> Any:
        if model is None:
            monkeypatch.delenv("LLMORCH_MODEL", raising=False)
        else:
            monkeypatch.setenv("LLMORCH_MODEL", model)
        monkeypatch.delenv("LLMORCH_BASE_URL", raising=False)
        name = f"example_agent_{len(names)}"
        spec = importlib.util.spec_from_file_location(name, AGENT)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        names.append(name)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in names:
        sys.modules.pop(name, None)


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stand-ins for the embedded model: no llama.cpp server is started."""
    started: list[str] = []

    def fake_local_chat_model(**kwargs: Any) -> ScriptedChatModel:
        started.append("embedded")
        return ScriptedChatModel(lambda messages: "embedded")

    monkeypatch.setattr(local, "local_chat_model", fake_local_chat_model)
    monkeypatch.setattr(local, "check_local_requirements", lambda: Path("model.gguf"))
    return started


def test_scripted_is_chosen_by_name(load_example: Any, embedded: list[str]) -> None:
    module = load_example("scripted")
    assert isinstance(module.MODEL, ScriptedChatModel)
    assert not embedded


def test_embedded_is_chosen_by_name(load_example: Any, embedded: list[str]) -> None:
    module = load_example("embedded")
    assert embedded == ["embedded"]
    assert module.MODEL.invoke("hi").content == "embedded"


def test_unset_takes_the_embedded_model_when_it_is_installed(
    load_example: Any, embedded: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="llmorch.example"):
        module = load_example(None)
    assert embedded == ["embedded"]
    assert module.MODEL.invoke("hi").content == "embedded"
    assert "embedded local model" in caplog.text


def test_unset_falls_back_to_the_scripted_model_and_says_why(
    load_example: Any,
    embedded: list[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def missing() -> Path:
        msg = "the llama.cpp runtime (xllamacpp) is not installed"
        raise LocalModelNotAvailableError(msg)

    monkeypatch.setattr(local, "check_local_requirements", missing)
    with caplog.at_level(logging.INFO, logger="llmorch.example"):
        module = load_example(None)
    assert isinstance(module.MODEL, ScriptedChatModel)
    assert not embedded
    assert "xllamacpp" in caplog.text
    assert "scripted model" in caplog.text


def test_any_other_value_is_a_model_string(
    load_example: Any, embedded: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "not-used")  # the client is made, never called
    module = load_example("openai:gpt-4o-mini")
    assert module.MODEL == "openai:gpt-4o-mini"
    assert not embedded


def test_the_scripted_planner_plans_from_the_whole_conversation(load_example: Any) -> None:
    module = load_example("scripted")
    system = SystemMessage(f"{PLANNER_MARK}: population (Paris, Rome, Madrid or Berlin)")
    first = [system, HumanMessage("Population of Berlin, and primes below 50?")]
    assert module.scripted_plan(first) == (
        's1: population(city="Berlin")\ns2: count_primes(limit=50)'
    )
    later = [*first[1:], AIMessage("Berlin: 3596999; 15 primes"), HumanMessage("And Rome?")]
    # The tool list in the system prompt names every city: only the user's words count.
    assert module.scripted_plan([system, *later]) == (
        's1: population(city="Berlin")\ns2: population(city="Rome")\ns3: count_primes(limit=50)'
    )
    assert module.scripted_plan([system, HumanMessage("hello")]) == module.SCRIPTED_PLAN

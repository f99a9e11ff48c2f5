"""Model strings resolve the LangChain way; a bare name keeps meaning an OpenAI model."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from langchain_openai import ChatOpenAI

from bench.llm_server import ScriptedLLMServer
from bench.workloads.latency import LatencyModel
from langchain_llmorch import create_llmorch_agent, inout
from langchain_llmorch.agent.models import (
    PLACEHOLDER_API_KEY,
    ModelProviderMissingError,
    UnknownModelProviderError,
    resolve_chat_model,
    split_model_string,
)
from langchain_llmorch.agent.prompts import STRUCTURED_RULES
from langchain_llmorch.agent.prompts import TOOLS_HEADER as PLANNER_MARK
from langchain_llmorch.errors import LLMOrchError
from langchain_llmorch.testing import planner_or


@pytest.fixture
def no_openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openai:gpt-4o-mini", ("openai", "gpt-4o-mini")),
        ("anthropic:claude-sonnet-4-5", ("anthropic", "claude-sonnet-4-5")),
        ("google_genai:gemini-2.5-flash", ("google_genai", "gemini-2.5-flash")),
        ("gpt-4o-mini", ("openai", "gpt-4o-mini")),
        ("claude-sonnet-4-5", ("openai", "claude-sonnet-4-5")),  # bare: OpenAI(-compatible)
        ("llama3.1:8b", ("openai", "llama3.1:8b")),  # an Ollama tag, not a provider
        ("openai:", ("openai", "openai:")),
    ],
)
def test_split_model_string(text: str, expected: tuple[str, str]) -> None:
    assert split_model_string(text) == expected


def test_a_bare_name_is_an_openai_model_at_temperature_zero() -> None:
    chat = resolve_chat_model("gpt-4o-mini", api_key="sk-test")
    assert isinstance(chat, ChatOpenAI)
    assert chat.model_name == "gpt-4o-mini"
    assert chat.temperature == 0


def test_the_openai_prefix_gives_the_same_model() -> None:
    chat = resolve_chat_model("openai:gpt-4o-mini", api_key="sk-test")
    assert isinstance(chat, ChatOpenAI)
    assert chat.model_name == "gpt-4o-mini"


def test_kwargs_and_base_url_are_passed_on() -> None:
    chat = resolve_chat_model(
        "openai:my-model",
        base_url="http://127.0.0.1:9/v1",
        api_key="sk-test",
        temperature=0.5,
        max_tokens=77,
    )
    assert isinstance(chat, ChatOpenAI)
    assert chat.openai_api_base == "http://127.0.0.1:9/v1"
    assert chat.temperature == 0.5
    assert chat.max_tokens == 77
    assert chat.openai_api_key is not None
    assert chat.openai_api_key.get_secret_value() == "sk-test"


def test_a_keyless_local_server_gets_the_placeholder_key(no_openai_key: None) -> None:
    chat = resolve_chat_model("llama3.1:8b", base_url="http://127.0.0.1:9/v1")
    assert isinstance(chat, ChatOpenAI)
    assert chat.model_name == "llama3.1:8b"
    assert chat.openai_api_key is not None
    assert chat.openai_api_key.get_secret_value() == PLACEHOLDER_API_KEY


def test_a_key_in_the_environment_wins_over_the_placeholder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    chat = resolve_chat_model("m", base_url="http://127.0.0.1:9/v1")
    assert isinstance(chat, ChatOpenAI)
    assert chat.openai_api_key is not None
    assert chat.openai_api_key.get_secret_value() == "sk-from-env"


def test_a_missing_provider_package_is_named_with_its_pip_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "langchain_anthropic", None)  # import fails
    with pytest.raises(ModelProviderMissingError) as caught:
        resolve_chat_model("anthropic:claude-sonnet-4-5")
    err = caught.value
    assert isinstance(err, ImportError)
    assert isinstance(err, LLMOrchError)
    assert err.package == "langchain-anthropic"
    assert err.provider == "anthropic"
    assert "pip install langchain-anthropic" in str(err)


def test_a_missing_langchain_is_named_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "langchain.chat_models", None)
    with pytest.raises(ModelProviderMissingError, match=r"pip install langchain$"):
        resolve_chat_model("openai:gpt-4o-mini", api_key="sk-test")


def test_an_unknown_explicit_provider_is_a_typed_error() -> None:
    with pytest.raises(UnknownModelProviderError, match="no-such-cloud"):
        resolve_chat_model("m", model_provider="no-such-cloud")


def test_a_chat_model_is_kept_and_other_types_are_refused() -> None:
    model = planner_or("s1: self(prompt='x')")
    assert resolve_chat_model(model) is model
    with pytest.raises(TypeError, match="int"):
        resolve_chat_model(3)  # type: ignore[arg-type]


@inout
def capital(country: str) -> str:
    """The capital of a country."""
    return {"France": "Paris", "Italy": "Rome"}[country]


def _script(messages: list[dict[str, Any]]) -> str:
    """A planner that answers in the form it is asked for (JSON under structured output)."""
    if PLANNER_MARK in messages[0]["content"]:
        if STRUCTURED_RULES in messages[0]["content"]:
            steps = [
                {"id": f"s{i}", "tool": "capital", "args": {"country": country}}
                for i, country in enumerate(["France", "Italy"], start=1)
            ]
            return json.dumps({"steps": steps})
        return 's1: capital(country="France")\ns2: capital(country="Italy")'
    return "Paris and Rome."


@pytest.mark.parametrize("planning", ["auto", "text"])
def test_an_openai_model_string_runs_an_agent_against_a_scripted_server(
    planning: str, no_openai_key: None
) -> None:
    with ScriptedLLMServer(_script, LatencyModel(scale=0.0)) as server:
        agent = create_llmorch_agent(
            "openai:scripted", [capital], base_url=server.base_url, planning=planning
        )
        out = agent.invoke({"messages": [("user", "Capitals of France and Italy?")]})
        served = server.requests
    assert out["messages"][-1].content == "Paris and Rome."
    assert out["results"] == {"s1": "Paris", "s2": "Rome"}
    assert out["planning"] == ("structured" if planning == "auto" else "text")
    assert len(served) == 2
    assert PLANNER_MARK in served[0].messages[0]["content"]
    if planning == "auto":  # an OpenAI model: the plan is asked for as strict structured output
        assert served[0].response_format is not None
        assert served[0].response_format["type"] == "json_schema"
        assert served[0].response_format["json_schema"]["strict"] is True
    else:
        assert served[0].response_format is None
    assert served[1].response_format is None  # the joiner's answer is plain text
    assert "Paris" in " ".join(m["content"] for m in served[1].messages)  # the joiner sees s1

"""Structured planning in plan-first mode (`planning="auto"` decides as the agent does).

An OpenAI chat model (here against the benchmark's scripted OpenAI-compatible server)
is asked for the plan as JSON-schema constrained output; other models write plan text.
The JSON plan is read back into the plan language and runs like a text plan; streamed,
its steps start as the JSON arrives.
"""

from __future__ import annotations

import json
from concurrent.futures import Future
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool
from langchain_openai import ChatOpenAI

from bench.llm_server import ScriptedLLMServer, current_request
from bench.workloads.latency import LatencyModel
from langchain_llmorch import LLMOrchMiddleware
from langchain_llmorch.agent.middleware._streaming import EarlyStarts
from langchain_llmorch.agent.prompts import planner_messages
from langchain_llmorch.errors import OptionValueError
from langchain_llmorch.testing import ScriptedChatModel, request_kind
from tests.unit_tests.agent._mw_tools import spin

A, B = 20_001, 20_002
STEPS = {
    "steps": [
        {"id": "s1", "tool": "spin", "args": {"n": A}},
        {"id": "s2", "tool": "spin", "args": {"n": B}},
    ]
}
QUESTION = {"messages": [("user", "two checksums")]}


def _answer(messages: list[Any]) -> str:
    results = sorted(m["content"] if isinstance(m, dict) else m.text for m in messages if _tool(m))
    return "answer: " + ", ".join(results)


def _tool(message: Any) -> bool:
    return (
        message.get("role") == "tool"
        if isinstance(message, dict)
        else isinstance(message, ToolMessage)
    )


@pytest.fixture(scope="module")
def planning() -> LLMOrchMiddleware:
    mw = LLMOrchMiddleware(plan_first=True, max_processors=2)  # planning="auto"
    mw.warm()
    return mw


def test_auto_asks_an_openai_model_for_a_json_plan_and_runs_it(
    planning: LLMOrchMiddleware,
) -> None:
    def script(messages: list[dict[str, Any]]) -> str:
        return json.dumps(STEPS) if current_request().kind == "plan" else _answer(messages)

    with ScriptedLLMServer(script, LatencyModel(scale=0.0)) as server:
        model = ChatOpenAI(base_url=server.base_url, api_key="x", model="scripted")
        out = create_agent(model, [spin], middleware=[planning]).invoke(QUESTION)
        served = server.requests
    plan_request = served[0]
    assert plan_request.response_format is not None
    assert plan_request.response_format["type"] == "json_schema"
    assert plan_request.response_format["json_schema"]["name"] == "plan"
    structured_prompt = planner_messages([HumanMessage("two checksums")], [spin], structured=True)
    assert plan_request.messages[0]["content"] == structured_prompt[0].text  # the JSON prompt
    expected = f"answer: {spin.func(A)}, {spin.func(B)}"
    assert out["messages"][-1].text == expected
    assert len(served) == 2  # the plan and the answer


def test_auto_keeps_text_plans_for_other_models(planning: LLMOrchMiddleware) -> None:
    kwargs: list[dict[str, Any]] = []

    class Recording(ScriptedChatModel):
        def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any):  # type: ignore[no-untyped-def]
            kwargs.append(kw)
            return super()._generate(messages, stop, run_manager, **kw)

    def script(messages: list[BaseMessage]) -> str:
        return f"s1: spin(n={A})" if request_kind() == "plan" else _answer(messages)

    out = create_agent(Recording(script), [spin], middleware=[planning]).invoke(QUESTION)
    assert "response_format" not in kwargs[0]
    assert out["messages"][-1].text == f"answer: {spin.func(A)}"


def test_structured_forced_reads_the_json_plan(planning: LLMOrchMiddleware) -> None:
    structured = LLMOrchMiddleware(plan_first=True, planning="structured", max_processors=2)

    def script(messages: list[BaseMessage]) -> str:
        return json.dumps(STEPS) if request_kind() == "plan" else _answer(messages)

    out = create_agent(ScriptedChatModel(script), [spin], middleware=[structured]).invoke(QUESTION)
    assert out["messages"][-1].text == f"answer: {spin.func(A)}, {spin.func(B)}"


def test_unreadable_json_goes_to_repair() -> None:
    structured = LLMOrchMiddleware(plan_first=True, planning="structured", max_processors=2)
    kinds: list[str] = []

    def script(messages: list[BaseMessage]) -> str:
        kinds.append(request_kind())
        if request_kind() == "plan":
            return json.dumps(STEPS)[:40]  # cut off
        if request_kind() == "repair":
            assert "could not be read" in messages[-1].text
            return json.dumps(STEPS)
        return _answer(messages)

    out = create_agent(ScriptedChatModel(script), [spin], middleware=[structured]).invoke(QUESTION)
    assert kinds == ["plan", "repair", "other"]
    assert out["messages"][-1].text == f"answer: {spin.func(A)}, {spin.func(B)}"


def test_a_streamed_json_plan_starts_each_step_once_the_next_begins() -> None:
    submitted: list[tuple[str, dict[str, Any]]] = []

    def submit(tool: BaseTool, kwargs: dict[str, Any]) -> Future[Any]:
        submitted.append((tool.name, kwargs))
        return Future()

    early = EarlyStarts({"spin": spin}, submit, structured=True)
    text = json.dumps(STEPS)
    second = text.index('{"id": "s2"')
    early.feed(text[: second + 5])
    assert submitted == [("spin", {"n": A})]  # s1 is complete once s2 begins
    early.feed(text[second + 5 :])
    early.finish()
    assert submitted == [("spin", {"n": A}), ("spin", {"n": B})]
    assert sorted(early.calls) == ["s1", "s2"]


def test_planning_is_checked() -> None:
    with pytest.raises(OptionValueError, match="planning"):
        LLMOrchMiddleware(plan_first=True, planning="json")  # type: ignore[arg-type]

"""Plan streaming in plan-first mode: compute calls start while the plan is written.

The model streams the plan line by line and, before it writes the second line, waits
(a few seconds at most) for the first call's marker file. With `stream_plan=True` the
first call runs on the pool by then, while the turn is still streaming; without it the
calls start only after the turn, so the marker is never there in time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler, CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGenerationChunk

from langchain_llmorch import LLMOrchMiddleware
from langchain_llmorch.errors import OptionValueError
from langchain_llmorch.testing import ScriptedChatModel, request_kind
from tests.unit_tests.agent._mw_tools import mark

QUESTION = {"messages": [("user", "mark both files")]}


def _answer(messages: list[BaseMessage]) -> str:
    results = sorted(f"{m.name}={m.text}" for m in messages if isinstance(m, ToolMessage))
    return "answer: " + "; ".join(results)


class PlanStreamer(ScriptedChatModel):
    """Streams its plan line by line; before the second line, waits for `marker`.

    Only the plan request streams (`stream=True`); the others go to the script.
    """

    plan: str = ""
    marker: str = ""
    wait: float = 5.0
    seen: list[bool] = []  # noqa: RUF012 - set per instance below

    def _lines(self) -> list[str]:
        return self.plan.splitlines(keepends=True)

    def _ready(self) -> bool:
        return Path(self.marker).exists()

    def _wait(self) -> None:
        """Wait (up to `wait` seconds) for the marker; note whether it came."""
        deadline = time.monotonic() + self.wait
        while not self._ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.seen.append(self._ready())

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: Any = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for i, line in enumerate(self._lines()):
            if i == 1:
                self._wait()
            yield ChatGenerationChunk(message=AIMessageChunk(line))

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: Any = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for i, line in enumerate(self._lines()):
            if i == 1:
                await asyncio.to_thread(self._wait)
            yield ChatGenerationChunk(message=AIMessageChunk(line))


def _model(tmp_path: Path, wait: float) -> PlanStreamer:
    first, second = tmp_path / "s1", tmp_path / "s2"
    plan = f's1: mark(path="{first}")\ns2: mark(path="{second}")\n'

    def script(messages: list[BaseMessage]) -> str:  # a plan request that does not stream
        return plan if request_kind() == "plan" else _answer(messages)

    return PlanStreamer(script, plan=plan, marker=str(first), wait=wait, seen=[])


@pytest.fixture(scope="module")
def streaming() -> LLMOrchMiddleware:
    mw = LLMOrchMiddleware(plan_first=True, stream_plan=True, max_processors=2)
    mw.warm()
    return mw


async def _run(agent: Any, asynchronous: bool) -> dict[str, Any]:
    if asynchronous:
        return await agent.ainvoke(QUESTION)
    return agent.invoke(QUESTION)


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_compute_call_runs_while_its_plan_streams_and_runs_once(
    streaming: LLMOrchMiddleware, tmp_path: Path, asynchronous: bool
) -> None:
    model = _model(tmp_path, wait=10.0)
    out = await _run(create_agent(model, [mark], middleware=[streaming]), asynchronous)
    assert model.seen == [True]  # s1 ran before the model wrote s2's line
    # The tool task took the running call: each file has one mark, from a worker.
    assert (tmp_path / "s1").read_text().count("\n") == 1
    assert (tmp_path / "s2").read_text().count("\n") == 1
    messages = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert [m.text for m in messages] == ["1", "1"]
    assert all(m.status == "success" for m in messages)
    assert all(m.response_metadata["llmorch"]["pid"] for m in messages)
    assert out["messages"][-1].text == "answer: mark=1; mark=1"


def test_without_stream_plan_the_plan_turn_does_not_stream(tmp_path: Path) -> None:
    model = _model(tmp_path, wait=1.0)
    planning = LLMOrchMiddleware(plan_first=True, max_processors=2)
    out = create_agent(model, [mark], middleware=[planning]).invoke(QUESTION)
    assert model.seen == []  # the plan came whole: nothing could start before its end
    assert (tmp_path / "s1").read_text().count("\n") == 1
    assert out["messages"][-1].text == "answer: mark=1; mark=1"


def test_an_edited_call_runs_as_edited(streaming: LLMOrchMiddleware, tmp_path: Path) -> None:
    """A reviewer changed the argument of a call that started early: it runs again, edited."""
    from langchain.agents.middleware import HumanInTheLoopMiddleware
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    model = _model(tmp_path, wait=10.0)
    review = HumanInTheLoopMiddleware(interrupt_on={"mark": True})
    agent = create_agent(
        model, [mark], middleware=[review, streaming], checkpointer=InMemorySaver()
    )
    config: Any = {"configurable": {"thread_id": "edit"}}
    paused = agent.invoke(QUESTION, config)
    requests = paused["__interrupt__"][0].value["action_requests"]
    edited = tmp_path / "edited"
    decisions = [
        {"type": "edit", "edited_action": {"name": "mark", "args": {"path": str(edited)}}},
        {"type": "approve"},
    ]
    assert len(requests) == 2
    out = agent.invoke(Command(resume={"decisions": decisions}), config)
    assert model.seen == [True]  # s1 started before the review
    assert edited.read_text().count("\n") == 1
    messages = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert [m.text.rsplit("\n", 1)[-1] for m in messages] == ["1", "1"]  # after HITL's note
    assert "edited" in messages[0].text


def test_stream_plan_needs_plan_first() -> None:
    with pytest.raises(OptionValueError, match="plan_first=True"):
        LLMOrchMiddleware(stream_plan=True)
    assert isinstance(OptionValueError("x"), ValueError)


def test_a_model_that_does_not_stream_plans_as_before(
    streaming: LLMOrchMiddleware, tmp_path: Path
) -> None:
    plan = f's1: mark(path="{tmp_path / "a"}")'

    def script(messages: list[BaseMessage]) -> str:
        return plan if request_kind() == "plan" else _answer(messages)

    model = ScriptedChatModel(script)
    out = create_agent(model, [mark], middleware=[streaming]).invoke(QUESTION)
    assert out["messages"][-1].text == "answer: mark=1"


class ModelRuns(BaseCallbackHandler):
    """The metadata of every chat-model run the app's callbacks see."""

    def __init__(self) -> None:
        self.runs: list[dict[str, Any]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.runs.append(dict(kwargs.get("metadata") or {}))


@pytest.mark.parametrize(
    ("stream_plan", "asynchronous"), [(False, False), (True, False), (True, True)]
)
async def test_the_apps_callbacks_and_run_metadata_see_the_plan_request(
    tmp_path: Path, stream_plan: bool, asynchronous: bool
) -> None:
    """The plan request keeps the run's callbacks (tracing, stream_mode="messages") and
    LangGraph's metadata, beside its own kind."""
    seen = ModelRuns()
    model = _model(tmp_path, wait=10.0 if stream_plan else 0.0)
    mw = LLMOrchMiddleware(plan_first=True, stream_plan=stream_plan, max_processors=2)
    agent = create_agent(model, [mark], middleware=[mw])
    if asynchronous:
        await agent.ainvoke(QUESTION, {"callbacks": [seen]})
    else:
        agent.invoke(QUESTION, {"callbacks": [seen]})
    plan = [m for m in seen.runs if m.get("llmorch_request") == "plan"]
    assert len(plan) == 1
    assert plan[0].get("langgraph_node") == "model"
    assert model.seen == ([True] if stream_plan else [])

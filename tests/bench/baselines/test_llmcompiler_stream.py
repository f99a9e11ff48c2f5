"""LLMCompiler-style with a streamed plan: calls start while the planner is still writing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, SystemMessage
from langchain_core.outputs import ChatGenerationChunk
from pydantic import Field

from bench.baselines import arun_llmcompiler
from bench.baselines.llmcompiler import JOINER_PROMPT, PLANNER_PROMPT
from tests.bench.baselines.fakes import TOOLS, ToolScriptChat, overlap

PLANNER_HEAD = PLANNER_PROMPT.split("\n", 1)[0]


class LineStreamingChat(ToolScriptChat):
    """Streams the planner's reply one line at a time, `gap` seconds apart."""

    gap: float = 0.05
    stream_ended: list[float] = Field(default_factory=list)
    joined: list[str] = Field(default_factory=list)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        text = self.script(messages).text
        for line in text.splitlines(keepends=True):
            await asyncio.sleep(self.gap)
            yield ChatGenerationChunk(message=AIMessageChunk(content=line))
        self.stream_ended.append(time.time())


def streaming_model(plan: str, gap: float = 0.05) -> LineStreamingChat:
    joined: list[str] = []  # the joiner's inputs

    def script(messages: list[BaseMessage]) -> AIMessage:
        first = messages[0]
        if isinstance(first, SystemMessage) and first.text.startswith(PLANNER_HEAD):
            return AIMessage(plan)
        if isinstance(first, SystemMessage) and first.text == JOINER_PROMPT:
            joined.append(messages[-1].text)
            return AIMessage("Action: Finish(done)")
        return AIMessage(f"self says: {messages[-1].text}")

    model = LineStreamingChat(script=script, gap=gap)
    joined = model.joined
    return model


async def test_first_calls_start_while_the_plan_is_still_streaming() -> None:
    plan = '1. fetch("a", 0.01)\n2. fetch2($1, 0.01)\n3. fetch("b", 0.01)\n4. fetch("c", 0)\n5. join()\n'
    model = streaming_model(plan)
    result = await arun_llmcompiler(model, TOOLS, "q", stream=True)
    (ended,) = model.stream_ended
    by_id = {r.id: r for r in result.trace}
    assert set(by_id) == {"1", "2", "3", "4"}
    # Call 1 was done and call 2 (its dependant) ran before the planner wrote line 4.
    assert by_id["1"].ended_at <= by_id["2"].scheduled_at
    assert by_id["2"].ended_at < ended
    assert by_id["3"].scheduled_at < by_id["4"].scheduled_at < ended
    assert result.answer == "done"
    assert result.llm_turns == 2


async def test_without_streaming_nothing_starts_before_the_whole_plan() -> None:
    plan = '1. fetch("a", 0.01)\n2. fetch("b", 0.01)\n3. join()\n'
    model = streaming_model(plan)
    result = await arun_llmcompiler(model, TOOLS, "q")
    assert model.stream_ended == []  # ainvoke, not astream
    assert {r.id for r in result.trace} == {"1", "2"}


async def test_sync_tools_in_threads_overlap_their_waits() -> None:
    plan = "1. nap(0.15)\n2. nap(0.15)\n3. join()\n"
    result = await arun_llmcompiler(
        streaming_model(plan, gap=0.0), TOOLS, "q", stream=True, sync_tools="thread"
    )
    first, second = sorted(result.trace, key=lambda r: r.id)
    assert overlap(first, second)


async def test_answer_steps_fold_into_the_joiner_and_tool_inputs_still_run() -> None:
    plan = (
        '1. fetch("a", 0.01)\n'
        '2. self("head $1")\n'  # feeds a tool call: runs
        "3. fetch2($2, 0.01)\n"
        '4. self("sum up $3")\n'  # feeds only the answer: folded
        '5. self("again $4")\n'
        "6. join()\n"
    )
    model = streaming_model(plan, gap=0.01)
    result = await arun_llmcompiler(model, TOOLS, "q", stream=True, fold_self_steps=True)
    assert [r.id for r in sorted(result.trace, key=lambda r: r.started_at)] == ["1", "2", "3"]
    (joined,) = model.joined
    assert "4. self" in joined
    assert "do this step yourself" in joined
    assert result.llm_turns == 2


async def test_a_failed_streamed_call_skips_its_dependants() -> None:
    plan = '1. boom("x")\n2. fetch($1, 0)\n3. fetch2("y", 0)\n4. join()\n'
    model = streaming_model(plan, gap=0.01)
    result = await arun_llmcompiler(model, TOOLS, "q", stream=True)
    assert sorted((r.id, r.status) for r in result.trace) == [("1", "failed"), ("3", "finished")]
    assert "skipped" in model.joined[0]


async def test_a_bad_line_mid_stream_sends_the_plan_to_replanning() -> None:
    plan = '1. fetch("a", 0)\n2. nope()\n3. join()\n'
    model = streaming_model(plan, gap=0.01)
    result = await arun_llmcompiler(model, TOOLS, "q", stream=True)
    assert [r.tool for r in result.trace] == ["fetch"]  # what ran before the bad line is kept
    assert result.answer.startswith("LLMCompiler could not make a valid plan")

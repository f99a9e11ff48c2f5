"""The LLM-request spans the runner records for the Gantt charts."""

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage

from bench.baselines import arun_llmcompiler, arun_parallel_fc
from bench.baselines.llmcompiler import JOINER_PROMPT, PLANNER_PROMPT
from bench.llm_spans import LLM_KIND, LLMSpans
from langchain_llmorch.self_tool import make_self_tool
from tests.bench.baselines.fakes import TOOLS, ToolScriptChat, by_turn, calls


def compiler_script(messages: list[BaseMessage]) -> AIMessage:
    first = messages[0]
    if isinstance(first, SystemMessage) and first.text.startswith(PLANNER_PROMPT[:30]):
        return AIMessage('1. fetch("a", 0.01)\n2. self("sum up $1")\n3. join()')
    if isinstance(first, SystemMessage) and first.text == JOINER_PROMPT:
        return AIMessage("Action: Finish(done)")
    return AIMessage("summed")  # the `self` call


async def test_planner_and_joiner_are_spans_and_a_self_call_inside_a_tool_is_not() -> None:
    model = ToolScriptChat(script=compiler_script)
    spans = LLMSpans()
    tools = [*TOOLS, make_self_tool(model)]
    result = await arun_llmcompiler(model, tools, "q", config={"callbacks": [spans]})
    records = spans.records()
    assert [r["kind"] for r in records] == [LLM_KIND, LLM_KIND]  # plan, join: not `self`
    plan, join = records
    fetched = next(r for r in result.trace if r.tool == "fetch")
    assert plan["ended_at"] <= fetched.scheduled_at
    assert fetched.ended_at <= join["started_at"] <= join["ended_at"]


async def test_a_bare_prompt_is_not_a_span_even_outside_a_tool() -> None:
    model = ToolScriptChat(script=compiler_script)
    spans = LLMSpans()
    await model.ainvoke("just a prompt", {"callbacks": [spans]})  # how `self` looks
    assert spans.records() == []


async def test_every_tool_calling_turn_is_a_span() -> None:
    model = by_turn(calls(("fetch", {"key": "a", "delay": 0.01})), AIMessage("done"))
    spans = LLMSpans()
    result = await arun_parallel_fc(
        model, TOOLS, "q", system_prompt="Be brief.", config={"callbacks": [spans]}
    )
    assert len(spans.records()) == result.llm_turns == 2

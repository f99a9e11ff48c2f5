"""Each inout call's `interrupt()` gets its own resume values (`agent/durable.py`).

LangGraph matches the values of `Command(resume=...)` to `interrupt()` calls by their
order within a task. In an async graph each call's tool runs with the config of its own
durable task, so a call restored on a later resume (which does not ask again) cannot
shift the answers of the calls that still ask.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langgraph.types import Command

from tests.unit_tests.agent import _durable_tools as tools
from tests.unit_tests.agent._durable_setup import PARALLEL_ASKS, TWO_PAUSES, durable_agent
from tests.unit_tests.agent._durable_tools import RUNS
from tests.unit_tests.agent.test_streaming_plans import LineStreamer


def _agent() -> Any:
    return durable_agent(TWO_PAUSES, [tools.fetch, tools.ask_human], max_processors=1)


def test_async_the_second_resume_value_goes_to_the_second_question() -> None:
    RUNS.clear()
    graph = _agent()
    config: Any = {"configurable": {"thread_id": "two-answers-async"}}

    async def run() -> list[Any]:
        first = await graph.ainvoke({"messages": [("user", "q")]}, config)
        second = await graph.ainvoke(Command(resume="yes"), config)
        third = await graph.ainvoke(Command(resume="ok"), config)
        return [first, second, third]

    first, second, third = asyncio.run(run())
    assert [i.value for i in first["__interrupt__"]] == ["one"]
    assert [i.value for i in second["__interrupt__"]] == ["<one -> yes>"]
    assert "__interrupt__" not in third
    # The second resume ran only s4, which took "ok" (s2, restored, kept "yes").
    assert RUNS["ask:<one -> yes>"] == 2
    assert RUNS["ask:one"] == 2
    assert third["messages"][-1].content == "<a> <one -> yes> -> ok"


def test_async_a_resume_by_interrupt_id_reaches_the_call_that_asked() -> None:
    RUNS.clear()
    graph = _agent()
    config: Any = {"configurable": {"thread_id": "by-id-async"}}

    async def run() -> Any:
        first = await graph.ainvoke({"messages": [("user", "q")]}, config)
        (asked,) = first["__interrupt__"]
        second = await graph.ainvoke(Command(resume={asked.id: "yes"}), config)
        (asked,) = second["__interrupt__"]
        assert asked.value == "<one -> yes>"
        return await graph.ainvoke(Command(resume={asked.id: "ok"}), config)

    out = asyncio.run(run())
    assert "__interrupt__" not in out
    assert out["messages"][-1].content == "<a> <one -> yes> -> ok"


def test_async_a_streamed_plan_sends_each_answer_to_its_question() -> None:
    # With stream_plan=True the calls are issued line by line as the plan streams.
    RUNS.clear()
    graph = durable_agent(
        LineStreamer(plan=TWO_PAUSES), [tools.fetch, tools.ask_human], stream_plan=True
    )
    config: Any = {"configurable": {"thread_id": "two-answers-streamed"}}

    async def run() -> Any:
        await graph.ainvoke({"messages": [("user", "q")]}, config)
        second = await graph.ainvoke(Command(resume="yes"), config)
        assert [i.value for i in second["__interrupt__"]] == ["<one -> yes>"]
        return await graph.ainvoke(Command(resume="ok"), config)

    out = asyncio.run(run())
    assert "__interrupt__" not in out
    assert out["messages"][-1].content == "<a> <one -> yes> -> ok"


def test_async_parallel_questions_have_their_own_ids_and_answers() -> None:
    # Both calls ask at once; the graph shows one question at a time. Each interrupt's id
    # names its call's task, so an answer by id reaches that call and no other.
    RUNS.clear()
    graph = durable_agent(PARALLEL_ASKS, [tools.ask_human], max_processors=2)
    config: Any = {"configurable": {"thread_id": "parallel-asks-async"}}

    async def run() -> list[Any]:
        first = await graph.ainvoke({"messages": [("user", "q")]}, config)
        (one,) = first["__interrupt__"]
        second = await graph.ainvoke(Command(resume={one.id: "x"}), config)
        (two,) = second["__interrupt__"]
        third = await graph.ainvoke(Command(resume={two.id: "y"}), config)
        return [one, two, third]

    one, two, out = asyncio.run(run())
    assert (one.value, two.value) == ("one", "two")
    assert one.id != two.id
    assert "__interrupt__" not in out
    assert out["messages"][-1].content == "one -> x two -> y"

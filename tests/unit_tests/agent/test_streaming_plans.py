"""Streaming plans: calls start while the plan is still being written."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.output_parsers import PydanticOutputParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from langchain_llmorch.agent.graph import create_llmorch_agent
from langchain_llmorch.agent.streaming import PlanLines, kept_results
from langchain_llmorch.plan.frg import build_frg
from langchain_llmorch.plan.language import parse_plan
from langchain_llmorch.runs import REQUEST_KEY
from langchain_llmorch.testing import planner_or
from tests.unit_tests.agent import _durable_tools as tools
from tests.unit_tests.agent._durable_tools import FOLDED, RUNS, folded_answer

Gate = Callable[[int], bool]
"""Before plan line i is streamed: True when the test's condition holds (polled)."""


class LineStreamer(BaseChatModel):
    """Streams the plan line by line; before line i it waits (up to 5 s) until `gate(i)`."""

    plan: str
    chunks: Any = None
    """The plan's chunks, when not one per line."""
    repair: str | None = None
    gate: Any = None
    answer: Any = folded_answer

    @property
    def _llm_type(self) -> str:
        return "line-streamer"

    def _script(self) -> BaseChatModel:
        return planner_or(self.plan, answer=self.answer, repair=self.repair)

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        metadata = dict(run_manager.metadata) if run_manager is not None else {}
        reply = self._script().invoke(messages, {"metadata": metadata})  # the request's kind
        return ChatResult(generations=[ChatGeneration(message=AIMessage(reply.content))])

    def _wait(self, i: int) -> None:
        deadline = time.monotonic() + 5
        while self.gate is not None and not self.gate(i) and time.monotonic() < deadline:
            time.sleep(0.01)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: Any = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kw: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if _kind(run_manager) != "plan":
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    self._generate(messages, run_manager=run_manager).generations[0].text
                )
            )
            return
        for i, line in enumerate(self.chunks or self.plan.splitlines(keepends=True)):
            self._wait(i)
            yield ChatGenerationChunk(message=AIMessageChunk(line))

    async def _astream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        if _kind(run_manager) != "plan":
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    self._generate(messages, run_manager=run_manager).generations[0].text
                )
            )
            return
        for i, line in enumerate(self.chunks or self.plan.splitlines(keepends=True)):
            await asyncio.to_thread(self._wait, i)
            yield ChatGenerationChunk(message=AIMessageChunk(line))


def _kind(run_manager: Any) -> str:
    # `BaseChatModel.stream` gives `_stream` no run manager, and only the planner streams
    # through it; `invoke` (joiner, self calls) streams with one under stream_mode="messages".
    if run_manager is None:
        return "plan"
    return str(run_manager.metadata.get(REQUEST_KEY, "other"))


PLAN = 's1: fetch(key="a")\ns2: fetch(key="b")\ns3: self(prompt="{s1} {s2}")'
QUESTION = {"messages": [("user", "q")]}


def _after_first_call(i: int) -> bool:
    return i == 0 or RUNS["fetch:a"] == 1


def _agent(model: BaseChatModel, **kwargs: Any) -> Any:
    RUNS.clear()
    return create_llmorch_agent(model, [tools.fetch, tools.ask_human], stream_plan=True, **kwargs)


async def _events(graph: Any, inputs: Any, mode: str, config: Any = None) -> list[dict[str, Any]]:
    if mode == "sync":
        return list(graph.stream(inputs, config, stream_mode="custom"))
    return [e async for e in graph.astream(inputs, config, stream_mode="custom")]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_calls_start_while_the_plan_streams(mode: str) -> None:
    graph = _agent(LineStreamer(plan=PLAN, gate=_after_first_call))
    events = await _events(graph, QUESTION, mode)
    scheduled = {e["id"]: e["while_planning"] for e in events if e["event"] == "scheduled"}
    # s1 was scheduled (and finished: the model waited for it) before s2's line existed;
    # s3, the answer step, is held back while the plan streams and folds into the joiner.
    assert scheduled["s1"] is True
    assert "s3" not in scheduled
    (planned,) = [e for e in events if e["event"] == "planned"]
    assert planned["lines"] == 3
    assert planned["error"] is None
    ahead = planned["scheduled_before_end"]
    assert ahead["s1"] > 0
    assert ahead["s1"] > ahead["s2"]
    assert RUNS == {"fetch:a": 1, "fetch:b": 1}


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_line_starts_at_its_closing_bracket(mode: str) -> None:
    plan = 's1: fetch(key="a")\ns2: fetch(key="b")'
    chunks = ['s1: fetch(key="a")', '\ns2: fetch(key="b")', ""]

    def ran(i: int) -> bool:  # before the newline, s1 has run; before the end, s2 has
        return i == 0 or RUNS["fetch:a" if i == 1 else "fetch:b"] == 1

    graph = _agent(LineStreamer(plan=plan, chunks=chunks, gate=ran))
    events = await _events(graph, QUESTION, mode)
    scheduled = {e["id"]: e["while_planning"] for e in events if e["event"] == "scheduled"}
    assert scheduled == {"s1": True, "s2": True}  # the last line too, before the reply ended
    (planned,) = [e for e in events if e["event"] == "planned"]
    assert planned["lines"] == 2
    assert planned["error"] is None
    assert RUNS == {"fetch:a": 1, "fetch:b": 1}  # taken early, not again at the newline


def test_a_line_that_goes_on_after_its_call_stops_the_handover() -> None:
    lines = PlanLines(cast("Any", SimpleNamespace(tools=[tools.fetch], self_kind="inout")))
    assert [list(f.calls) for f in lines.add('s1: fetch(key="a")')] == [["s1"]]
    assert lines.add("  # a comment\n") == []  # the same call: nothing new, no error
    assert lines.error is None
    assert [list(f.calls) for f in lines.add('s2: fetch(key=")")')] == [["s1", "s2"]]
    assert lines.add(' + "x"\ns3: fetch(key="c")\n') == []
    assert lines.error is not None
    assert "went on" in lines.error
    assert lines.handed == ['s1: fetch(key="a")', 's2: fetch(key=")")']


def test_a_thought_or_an_invalid_prefix_waits_for_the_whole_line() -> None:
    lines = PlanLines(cast("Any", SimpleNamespace(tools=[tools.fetch], self_kind="inout")))
    assert lines.add("Thought: fetch(a)") == []
    assert [list(f.calls) for f in lines.add(' first\ns1: fetch(key="a")')] == [["s1"]]
    assert lines.add("\ns2: fetch(nokey=1)") == []  # invalid as written so far: not an error yet
    assert lines.error is None
    assert lines.add("\n") == []  # the whole line is invalid: now it is
    assert lines.error is not None
    assert lines.handed == ['s1: fetch(key="a")']


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_the_answer_is_the_same_and_nothing_runs_twice(mode: str) -> None:
    graph = _agent(LineStreamer(plan=PLAN, gate=_after_first_call))
    out = graph.invoke(QUESTION) if mode == "sync" else await graph.ainvoke(QUESTION)
    assert out["messages"][-1].content == "<a> <b>"
    assert out["results"] == {"s1": "<a>", "s2": "<b>"}  # s3 was folded into the joiner
    assert [r["id"] for r in out["trace"]] == ["s1", "s2"]  # no call ran twice
    assert RUNS == {"fetch:a": 1, "fetch:b": 1}


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_failing_line_sends_the_plan_to_repair_with_finished_calls_kept(mode: str) -> None:
    faulty = 's1: fetch(key="a")\ns2: nosuchtool(key="b")\ns3: self(prompt="{s1} {s2}")'
    repaired = 's1: fetch(key="a")\ns2: fetch(key="c")\ns3: self(prompt="{s1} {s2}")'
    graph = _agent(LineStreamer(plan=faulty, repair=repaired, gate=_after_first_call))
    events = await _events(graph, QUESTION, mode)
    (planned,) = [e for e in events if e["event"] == "planned"]
    assert "nosuchtool" in planned["error"]
    assert planned["lines"] == 1  # nothing after the failing line was handed over
    started = [e["id"] for e in events if e["event"] == "started"]
    assert started == ["s1", "s2"]  # s1 once, before the repair; then s2 (s3 is folded)
    assert RUNS == {"fetch:a": 1, "fetch:c": 1}


def test_a_repair_that_changes_a_call_runs_it_again() -> None:
    faulty = 's1: fetch(key="a")\ns2: nosuchtool(key="b")'
    repaired = 's1: fetch(key="z")\ns2: self(prompt="{s1}")'
    out = _agent(LineStreamer(plan=faulty, repair=repaired, gate=_after_first_call)).invoke(
        QUESTION
    )
    assert out["messages"][-1].content == "<z>"
    assert RUNS == {"fetch:a": 1, "fetch:z": 1}


def _self_answer(request: str) -> str:
    """The joiner answers with the folded step; a `self` call upper-cases its prompt."""
    return folded_answer(request) if FOLDED in request else request.strip("<>").upper()


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_self_step_that_feeds_a_tool_runs_once_the_plan_is_complete(mode: str) -> None:
    plan = (
        's1: fetch(key="a")\ns2: self(prompt="{s1}")\ns3: fetch(key=s2)\n'
        's4: fetch(key="b")\ns5: self(prompt="{s3} {s4}")'
    )

    def gate(i: int) -> bool:  # s4 runs before the last line is written
        return i == 0 or RUNS["fetch:b" if i == 4 else "fetch:a"] == 1

    graph = _agent(LineStreamer(plan=plan, gate=gate, answer=_self_answer))
    events = await _events(graph, QUESTION, mode)
    scheduled = {e["id"]: e["while_planning"] for e in events if e["event"] == "scheduled"}
    # s2 could be an answer step until the plan ends (s3 uses it), so it waits, and s3
    # with it; s4 does not need s2 and streams; s5 is folded into the joiner's request.
    assert scheduled == {"s1": True, "s2": False, "s3": False, "s4": True}
    (planned,) = [e for e in events if e["event"] == "planned"]
    assert planned["lines"] == 5
    assert RUNS == {"fetch:a": 1, "fetch:A": 1, "fetch:b": 1}
    out = graph.invoke(QUESTION) if mode == "sync" else await graph.ainvoke(QUESTION)
    assert out["messages"][-1].content == "<A> <b>"
    assert out["results"] == {"s1": "<a>", "s2": "A", "s3": "<A>", "s4": "<b>"}


def test_a_final_join_is_held_back_like_an_answer_step() -> None:
    plan = 's1: fetch(key="a")\ns2: fetch(key="b")\ns3: join()'
    graph = _agent(LineStreamer(plan=plan, gate=_after_first_call, answer="<a> and <b>"))
    events = list(graph.stream(QUESTION, stream_mode="custom"))
    assert "s3" not in {e["id"] for e in events}  # folded: no call, no event
    out = graph.invoke(QUESTION)
    assert [r["id"] for r in out["trace"]] == ["s1", "s2"]
    assert out["messages"][-1].content == "<a> and <b>"


def test_kept_results_need_the_same_line_and_kept_inputs() -> None:
    tool_list = [tools.fetch]
    ran = build_frg(
        parse_plan('s1: fetch(key="a")\ns2: fetch(key="b")\ns3: self(prompt="{s1}")'), tool_list
    )
    plan = build_frg(
        parse_plan('s1: fetch(key="A")\ns2: fetch(key="b")\ns3: self(prompt="{s1}")'), tool_list
    )
    results = {"s1": "<a>", "s2": "<b>", "s3": "x"}
    assert kept_results(ran, plan, results) == {"s2": "<b>"}  # s3's input changed
    assert kept_results(None, plan, results) == {}


def test_a_model_that_does_not_stream_plans_as_usual() -> None:
    graph = _agent(planner_or(PLAN, answer=folded_answer))
    events = list(graph.stream(QUESTION, stream_mode="custom"))
    assert not [e for e in events if e["event"] == "planned"]
    assert all(not e.get("while_planning") for e in events)
    out = graph.invoke(QUESTION)
    assert out["messages"][-1].content == "<a> <b>"


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_streamed_calls_are_checkpointed_and_an_interrupt_resumes(mode: str) -> None:
    plan = 's1: fetch(key="a")\ns2: ask_human(question="go?")\ns3: self(prompt="{s1} {s2}")'
    graph = _agent(LineStreamer(plan=plan, gate=_after_first_call), checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": mode}}
    run = graph.invoke if mode == "sync" else graph.ainvoke
    out = run(QUESTION, config)
    out = await out if mode == "async" else out
    assert [i.value for i in out["__interrupt__"]] == ["go?"]
    assert graph.get_state(config).next == ("planner",)
    out = run(Command(resume="yes"), config)
    out = await out if mode == "async" else out
    assert out["messages"][-1].content == "<a> go? -> yes"
    assert RUNS == {"fetch:a": 1, "ask:go?": 2}  # s1 restored, not run again


def test_streaming_and_plan_approval_do_not_mix() -> None:
    with pytest.raises(ValueError, match="choose one"):
        _agent(LineStreamer(plan=PLAN), approve_plan=True, checkpointer=InMemorySaver())


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_call_failing_while_the_plan_streams_goes_to_recovery(mode: str) -> None:
    plan = 's1: fetch(key="a")\ns2: flaky(key="b")\ns3: self(prompt="{s1} {s2}")'
    RUNS.clear()
    model = LineStreamer(plan=plan, gate=_after_first_call)
    graph = create_llmorch_agent(model, [tools.fetch, tools.flaky], stream_plan=True)
    out = graph.invoke(QUESTION) if mode == "sync" else await graph.ainvoke(QUESTION)
    assert out["recoveries"] == 1
    assert out["messages"][-1].content == "<a> (b)"
    assert RUNS == {"fetch:a": 1, "flaky:b": 2}  # s1 kept through the recovery


JSON_PLAN = json.dumps(
    {
        "steps": [
            {"id": "s1", "tool": "fetch", "args": {"key": "a"}},
            {"id": "s2", "tool": "fetch", "args": {"key": "b"}},
            {"id": "s3", "tool": "self", "args": {"prompt": "{s1} {s2}"}},
        ]
    }
)


class JsonStreamer(LineStreamer):
    """Structured output the usual way (bound model | parser); the JSON streams in pieces."""

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Any:
        return self.bind() | PydanticOutputParser(pydantic_object=schema)


def _json_gate(i: int) -> bool:
    # Piece 2 starts step s2, so step s1 is complete after it; wait for s1 before piece 3.
    return i < 3 or RUNS["fetch:a"] == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_structured_plans_stream_step_by_step(mode: str) -> None:
    start, cut = JSON_PLAN.index("["), JSON_PLAN.index('{"id": "s2"')
    # Cut between JSON tokens (the streamer puts a newline, i.e. whitespace, between pieces).
    pieces = [
        JSON_PLAN[: start + 1],
        JSON_PLAN[start + 1 : cut],
        JSON_PLAN[cut : cut + 12],
        JSON_PLAN[cut + 12 :],
    ]
    model = JsonStreamer(plan="\n".join(pieces), gate=_json_gate)
    RUNS.clear()
    graph = create_llmorch_agent(model, [tools.fetch], stream_plan=True, planning="structured")
    events = await _events(graph, QUESTION, mode)
    scheduled = {e["id"]: e["while_planning"] for e in events if e["event"] == "scheduled"}
    assert scheduled["s1"] is True
    (planned,) = [e for e in events if e["event"] == "planned"]
    assert planned["lines"] == 3
    assert RUNS == {"fetch:a": 1, "fetch:b": 1}


_GO = __import__("threading").Event()


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_held_steps_join_the_run_when_the_plan_ends_not_after_the_streamed_calls(
    mode: str,
) -> None:
    from langchain_llmorch import inout

    @inout
    def wait_for_s2(key: str) -> str:
        """Returns only once s2 (a held-back `self` step) has run, or after 5 s."""
        _GO.wait(5)
        return f"<{key}:{'after s2' if _GO.is_set() else 'timed out'}>"

    def answer(request: str) -> str:
        if FOLDED in request:
            return folded_answer(request)
        _GO.set()  # the `self` call s2
        return "A"

    _GO.clear()
    plan = 's1: wait_for_s2(key="x")\ns2: self(prompt="go")\ns3: fetch(key=s2)'
    RUNS.clear()
    graph = create_llmorch_agent(
        LineStreamer(plan=plan, answer=answer), [wait_for_s2, tools.fetch], stream_plan=True
    )
    out = graph.invoke(QUESTION) if mode == "sync" else await graph.ainvoke(QUESTION)
    # s2 is held back while the plan streams (it could have been an answer step); once the
    # plan ends it runs beside s1 instead of waiting for it, so s1 sees it has run.
    assert out["results"]["s1"] == "<x:after s2>"
    assert out["results"]["s3"] == "<A>"

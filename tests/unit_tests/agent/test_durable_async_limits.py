"""An async graph's `max_concurrency` never holds back a plan with more calls than it.

LangGraph starts at most `max_concurrency` tasks of an async graph at once (the node's own
among them, when it runs beside others); the rest wait for a free slot. A call's durable
task holds its slot until the call ends, so the coordinator waits for a task to start only
when a slot is sure to be free for it (`agent/durable_tasks.py`); the others' calls run with the
node's config, and their tasks still save their results once they get a slot.

Every run here ends within `LIMIT` seconds or fails with a TimeoutError: a regression
fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from langgraph._internal._constants import CONFIG_KEY_SCRATCHPAD
from langgraph.types import Command

from langchain_llmorch.agent import durable, durable_tasks
from langchain_llmorch.agent.durable import CallLedger
from tests.unit_tests.agent import _durable_tools as tools
from tests.unit_tests.agent._durable_setup import (
    FOUR,
    QUESTION,
    durable_agent,
    fake_tasks,
    plan_frg,
)
from tests.unit_tests.agent._durable_tools import RUNS

LIMIT = 30.0
"""Seconds a run may take before it counts as hung (they take well under one)."""

# Four calls, then three that each wait for two others.
FAN_IN = """\
s1: fetch(key="a")
s2: fetch(key="b")
s3: fetch(key="c")
s4: fetch(key="d")
s5: pair(left=s1, right=s2)
s6: pair(left=s3, right=s4)
s7: pair(left=s5, right=s6)
s8: self(prompt="{s7}")"""


async def _run(graph: Any, value: Any, config: Any, *, stream: bool) -> Any:
    """One run of `graph`, cut off after `LIMIT` seconds (a TimeoutError)."""
    if not stream:
        return await asyncio.wait_for(graph.ainvoke(value, config), LIMIT)

    async def streamed() -> Any:
        # "custom" makes LangGraph run the node beside its tasks: it holds a slot too.
        out: Any = None
        interrupts: list[Any] = []
        async for mode, chunk in graph.astream(value, config, stream_mode=["custom", "values"]):
            if mode == "values":
                out = chunk
            if mode == "values" and "__interrupt__" in chunk:
                interrupts = chunk["__interrupt__"]
        if interrupts and "__interrupt__" not in out:
            out = {**out, "__interrupt__": interrupts}
        return out

    return await asyncio.wait_for(streamed(), LIMIT)


@pytest.mark.parametrize("stream", [False, True], ids=["ainvoke", "astream"])
@pytest.mark.parametrize("limit", [1, 2, 3, 7])
async def test_a_fan_in_plan_wider_than_max_concurrency_runs_each_call_once(
    limit: int, *, stream: bool
) -> None:
    RUNS.clear()
    graph = durable_agent(FAN_IN, [tools.fetch, tools.pair])
    config: Any = {"configurable": {"thread_id": f"fan-in-{limit}"}, "max_concurrency": limit}
    out = await _run(graph, QUESTION, config, stream=stream)
    assert out["messages"][-1].content == "((<a>+<b>)+(<c>+<d>))"
    assert RUNS == {
        "fetch:a": 1,
        "fetch:b": 1,
        "fetch:c": 1,
        "fetch:d": 1,
        "pair:<a>+<b>": 1,
        "pair:<c>+<d>": 1,
        "pair:(<a>+<b>)+(<c>+<d>)": 1,
    }


# Four calls ahead of a question that waits for the last of them.
ASK_LAST = """\
s1: fetch(key="a")
s2: fetch(key="b")
s3: fetch(key="c")
s4: fetch(key="d")
s5: ask_human(question=s4)
s6: fetch(key=s5)
s7: self(prompt="{s1} {s2} {s3} {s6}")"""


@pytest.mark.parametrize("stream", [False, True], ids=["ainvoke", "astream"])
@pytest.mark.parametrize("limit", [1, 2, 3])
async def test_a_run_paused_under_max_concurrency_resumes_with_the_saved_results(
    limit: int, *, stream: bool
) -> None:
    RUNS.clear()
    graph = durable_agent(ASK_LAST, [tools.fetch, tools.ask_human])
    config: Any = {"configurable": {"thread_id": f"ask-last-{limit}"}, "max_concurrency": limit}
    first = await _run(graph, QUESTION, config, stream=stream)
    assert [i.value for i in first["__interrupt__"]] == ["<d>"]
    out = await _run(graph, Command(resume="ok"), config, stream=stream)
    assert "__interrupt__" not in out
    assert out["messages"][-1].content == "<a> <b> <c> <<d> -> ok>"
    # The four calls that finished before the pause were saved, and restored on resume.
    assert RUNS == {
        "fetch:a": 1,
        "fetch:b": 1,
        "fetch:c": 1,
        "fetch:d": 1,
        "ask:<d>": 2,
        "fetch:<d> -> ok": 1,
    }


# Two questions, one after the other, behind more calls than max_concurrency.
TWO_ASKS = """\
s1: fetch(key="a")
s2: fetch(key="b")
s3: fetch(key="c")
s4: ask_human(question="one")
s5: fetch(key=s4)
s6: ask_human(question=s5)
s7: self(prompt="{s1} {s2} {s3} {s6}")"""


def _answer(asked: Any, value: str, *, by_id: bool) -> Command[Any]:
    return Command(resume={asked.id: value} if by_id else value)


@pytest.mark.parametrize("by_id", [False, True], ids=["by-value", "by-id"])
@pytest.mark.parametrize("mode", ["ainvoke", "astream", "invoke"])
@pytest.mark.parametrize("limit", [1, 2, 3])
async def test_each_answer_reaches_its_question_under_max_concurrency(
    limit: int, mode: str, *, by_id: bool
) -> None:
    # Some calls ask with the node's config (their task could not start), others with
    # their own; a call restored on a resume does not ask again: no answer may shift.
    RUNS.clear()
    graph = durable_agent(TWO_ASKS, [tools.fetch, tools.ask_human])
    config: Any = {"configurable": {"thread_id": f"two-asks-{limit}"}, "max_concurrency": limit}

    async def run(value: Any) -> Any:
        if mode == "invoke":  # a sync graph, in a thread the guard can give up on
            return await asyncio.wait_for(asyncio.to_thread(graph.invoke, value, config), LIMIT)
        return await _run(graph, value, config, stream=mode == "astream")

    first = await run(QUESTION)
    (one,) = first["__interrupt__"]
    assert one.value == "one"
    second = await run(_answer(one, "yes", by_id=by_id))
    (two,) = second["__interrupt__"]
    assert two.value == "<one -> yes>"
    out = await run(_answer(two, "ok", by_id=by_id))
    assert "__interrupt__" not in out
    assert out["messages"][-1].content == "<a> <b> <c> <one -> yes> -> ok"
    assert RUNS == {
        "fetch:a": 1,
        "fetch:b": 1,
        "fetch:c": 1,
        "ask:one": 2,  # asked, then answered; restored on the last resume
        "fetch:one -> yes": 1,
        "ask:<one -> yes>": 2,
    }


# s1 fails (then is rewritten); the calls after it wait for it, beside three others.
FAILS_FIRST = """\
s1: flaky(key="r")
s2: fetch(key=s1)
s3: fetch(key="c")
s4: fetch(key="d")
s5: fetch(key="e")
s6: self(prompt="{s2} {s3} {s4} {s5}")"""


@pytest.mark.parametrize("stream", [False, True], ids=["ainvoke", "astream"])
@pytest.mark.parametrize("limit", [1, 2])
async def test_a_failing_call_under_max_concurrency_goes_to_recovery(
    limit: int, *, stream: bool
) -> None:
    RUNS.clear()
    script = {"recover": {"s1": 's1: fetch(key="w")'}}
    graph = durable_agent(FAILS_FIRST, [tools.fetch, tools.flaky], script=script)
    config: Any = {"configurable": {"thread_id": f"fails-{limit}"}, "max_concurrency": limit}
    out = await _run(graph, QUESTION, config, stream=stream)
    assert out["recoveries"] == 1
    assert out["messages"][-1].content == "<<w>> <c> <d> <e>"
    # The calls that finished before the failure were kept; none ran twice.
    assert RUNS == {
        "flaky:r": 1,
        "fetch:w": 1,
        "fetch:<w>": 1,
        "fetch:c": 1,
        "fetch:d": 1,
        "fetch:e": 1,
    }


# ---------------------------------------------------------------- the ledger's rules


def _saved(ledger: CallLedger, cid: str, result: Any) -> dict[str, Any]:
    """What the task of `cid` returned in an earlier run (its saved value)."""
    return {"id": cid, "call": ledger.calls[cid], "inputs": ledger.inputs[cid], "result": result}


async def test_aissue_waits_only_for_the_tasks_sure_to_get_a_slot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # LangGraph with max_concurrency=3, one slot the node's: the tasks of s1 and s2 start,
    # s3's hands back its saved value (no slot needed), s4's waits for a slot.
    loop = asyncio.get_running_loop()
    issued: dict[str, tuple[Any, asyncio.Future[Any]]] = {}

    def start(cid: str) -> None:  # what the task does when it gets a slot
        slot = issued[cid][0]
        durable_tasks.begin(slot, {"configurable": {"task": cid}})
        slot.started.set()

    def arecord(slot: Any) -> asyncio.Future[Any]:
        issued[slot.id] = (slot, loop.create_future())
        if slot.id in {"s1", "s2"}:
            loop.call_soon(start, slot.id)
        elif slot.id == "s3":
            loop.call_soon(issued["s3"][1].set_result, _saved(ledger, "s3", 3.0))
        return issued[slot.id][1]

    monkeypatch.setattr(durable, "arecord", arecord)
    frg = plan_frg(FOUR)
    ledger = CallLedger(None, tasks=3)
    restored = await asyncio.wait_for(ledger.aissue(frg, list(frg.calls)), LIMIT)
    assert restored == {"s3": 3.0}
    assert ledger.starts.own_config("s1") == {"configurable": {"task": "s1"}}
    assert ledger.starts.pending("s4") is None  # s1 and s2 hold the two free slots
    issued["s1"][1].set_result(_saved(ledger, "s1", 1.0))  # s1 ended: its slot is free
    assert ledger.starts.pending("s4") is ledger.slots["s4"].begun


async def test_aissue_without_max_concurrency_waits_for_every_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    slots: list[Any] = []

    def arecord(slot: Any) -> asyncio.Future[Any]:
        slots.append(slot)
        loop.call_soon(slot.started.set)  # every task starts at once
        return loop.create_future()

    monkeypatch.setattr(durable, "arecord", arecord)
    frg = plan_frg(FOUR)
    ledger = CallLedger(None)
    assert await asyncio.wait_for(ledger.aissue(frg, list(frg.calls)), LIMIT) == {}
    assert all(slot.started.is_set() for slot in slots)


@dataclasses.dataclass(frozen=True)
class _Pad:
    """The two parts of LangGraph's scratchpad that `interrupt()` reads."""

    interrupt_counter: Callable[[], int]
    resume: list[Any]


def _pad(resume: list[Any]) -> _Pad:
    counter = itertools.count()
    return _Pad(interrupt_counter=lambda: next(counter), resume=resume)


def _issued(
    monkeypatch: pytest.MonkeyPatch, pad: _Pad, saved: dict[str, dict[str, Any]] | None = None
) -> tuple[CallLedger, Any]:
    """A sync ledger in a node with scratchpad `pad`; the calls in `saved` are restored."""
    fake_tasks(monkeypatch, saved)
    frg = plan_frg(FOUR)
    node: Any = {"configurable": {CONFIG_KEY_SCRATCHPAD: pad}}
    ledger = CallLedger(None, threads=2)
    ledger.questions.node = node
    ledger.restored = ledger.issue(frg, list(frg.calls))  # type: ignore[attr-defined]
    return ledger, ledger.run_config(node)["configurable"][durable.CALL_CONFIG_KEY]


def test_questions_asked_with_the_node_config_are_saved_and_skipped_once_restored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger, hook = _issued(monkeypatch, _pad([]))
    asked = hook.config("s3")  # its task has not started: the node's config, counted
    assert asked["configurable"][CONFIG_KEY_SCRATCHPAD].interrupt_counter() == 0
    assert ledger.questions.asks["s3"] == 1
    ledger.save("s3", "yes")
    ledger.save("s4", "no question")
    payload = ledger.slots["s3"].future.result()
    assert payload["asks"] == 1
    assert "asks" not in ledger.slots["s4"].future.result()
    # The next run: s3 is restored, so the node's first answer (s3's) is skipped.
    pad = _pad(["yes"])
    again, hook = _issued(monkeypatch, pad, {"s3": payload})
    assert again.restored == {"s3": "yes"}  # type: ignore[attr-defined]
    assert pad.interrupt_counter() == 1
    assert not again.questions.owes()


def test_calls_take_the_node_config_while_the_node_holds_an_answer_no_call_took(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A call asked in the node in an earlier run; it was answered by that question's id.
    # s2's task holds an answer of its own (given by its question's id): it keeps its config.
    ledger, hook = _issued(monkeypatch, _pad(["yes"]))
    own: Any = {"configurable": {"task": "s1", CONFIG_KEY_SCRATCHPAD: _pad([])}}
    answered: Any = {"configurable": {"task": "s2", CONFIG_KEY_SCRATCHPAD: _pad(["no"])}}
    durable_tasks.begin(ledger.slots["s1"], own)
    durable_tasks.begin(ledger.slots["s2"], answered)
    assert ledger.questions.owes()
    assert hook.config("s2")["configurable"]["task"] == "s2"
    asked = hook.config("s1")  # its own task started, yet it asks in the node
    assert "task" not in asked["configurable"]
    assert asked["configurable"][CONFIG_KEY_SCRATCHPAD].interrupt_counter() == 0
    assert not ledger.questions.owes()  # s1 took the answer
    assert hook.config("s1")["configurable"]["task"] == "s1"


def test_a_call_whose_task_started_without_being_sure_to_asks_in_the_node(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two threads, one the node's: only s1's task is sure to start. s2's started anyway (a
    # thread was free by chance): s2 still asks in the node, as it would in any other run,
    # unless its task holds an answer given by its own question's id.
    ledger, hook = _issued(monkeypatch, _pad([]))
    durable_tasks.begin(ledger.slots["s1"], {"configurable": {"task": "s1"}})
    durable_tasks.begin(ledger.slots["s2"], {"configurable": {"task": "s2"}})
    answered: Any = {"configurable": {"task": "s3", CONFIG_KEY_SCRATCHPAD: _pad(["no"])}}
    durable_tasks.begin(ledger.slots["s3"], answered)
    assert ledger.starts.sure("s1")
    assert not ledger.starts.sure("s2")
    assert hook.config("s1")["configurable"]["task"] == "s1"
    assert "task" not in hook.config("s2")["configurable"]
    assert hook.config("s3")["configurable"]["task"] == "s3"


THREADS = """\
s1: thread_of(key="a")
s2: thread_of(key="b")
s3: thread_of(key="c")
s4: self(prompt="{s1} {s2} {s3}")"""


@pytest.mark.parametrize("stream", [False, True], ids=["ainvoke", "astream"])
@pytest.mark.parametrize("limit", [1, 2])
async def test_every_call_keeps_the_runs_configurable_whichever_config_it_runs_with(
    limit: int, *, stream: bool
) -> None:
    """Calls whose task is not sure to start run with the node's config: its thread too."""
    graph = durable_agent(THREADS, [tools.thread_of])
    config: Any = {"configurable": {"thread_id": f"threads-{limit}"}, "max_concurrency": limit}
    out = await _run(graph, QUESTION, config, stream=stream)
    thread = f"threads-{limit}"
    assert out["messages"][-1].content == f"a@{thread} b@{thread} c@{thread}"

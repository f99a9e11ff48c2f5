"""Each inout call's `interrupt()` gets its own resume values in a sync graph (`agent/durable.py`).

As in an async graph (test_durable_interrupts.py), each call's tool runs with the config of
its own durable task. A sync graph starts those tasks in LangGraph's bounded thread pool:
a call waits for its task only when a thread is sure to be free for it, never for another
call to end, and a failed call's task (and those of the calls it holds back) ends at once.

The last test is an async graph under `max_concurrency` (more in test_durable_async_limits.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from typing import Any

import pytest
from langgraph.types import Command

from langchain_llmorch.agent import durable, durable_tasks
from langchain_llmorch.agent.durable import CallLedger
from tests.unit_tests.agent import _durable_tools as tools
from tests.unit_tests.agent._durable_setup import (
    FOUR,
    PARALLEL_ASKS,
    TWO_PAUSES,
    durable_agent,
    fake_tasks,
    plan_frg,
)
from tests.unit_tests.agent._durable_tools import RUNS
from tests.unit_tests.agent.test_streaming_plans import LineStreamer


def _agent(**options: Any) -> Any:
    return durable_agent(TWO_PAUSES, [tools.fetch, tools.ask_human], max_processors=1, **options)


def test_sync_a_resume_by_interrupt_id_reaches_the_call_that_asked() -> None:
    RUNS.clear()
    graph = _agent()
    config: Any = {"configurable": {"thread_id": "by-id-sync"}}
    first = graph.invoke({"messages": [("user", "q")]}, config)
    (asked,) = first["__interrupt__"]
    second = graph.invoke(Command(resume={asked.id: "yes"}), config)
    (again,) = second["__interrupt__"]
    assert again.value == "<one -> yes>"
    assert again.id != asked.id  # each call's task names its own question
    out = graph.invoke(Command(resume={again.id: "ok"}), config)
    assert "__interrupt__" not in out
    assert out["messages"][-1].content == "<a> <one -> yes> -> ok"


def test_sync_the_answers_reach_their_questions_with_a_pool_of_two_threads() -> None:
    # max_concurrency=2: one thread kept for the node, so a call waits for its task only
    # when no task issued before it still runs: the answers still reach their questions.
    RUNS.clear()
    graph = _agent()
    config: Any = {"configurable": {"thread_id": "two-threads"}, "max_concurrency": 2}
    graph.invoke({"messages": [("user", "q")]}, config)
    second = graph.invoke(Command(resume="yes"), config)
    assert [i.value for i in second["__interrupt__"]] == ["<one -> yes>"]
    out = graph.invoke(Command(resume="ok"), config)
    assert out["messages"][-1].content == "<a> <one -> yes> -> ok"


def test_sync_parallel_questions_have_their_own_ids_and_answers() -> None:
    RUNS.clear()
    graph = durable_agent(PARALLEL_ASKS, [tools.ask_human], max_processors=2)
    config: Any = {"configurable": {"thread_id": "parallel-asks-sync"}}
    first = graph.invoke({"messages": [("user", "q")]}, config)
    (one,) = first["__interrupt__"]
    second = graph.invoke(Command(resume={one.id: "x"}), config)
    (two,) = second["__interrupt__"]
    out = graph.invoke(Command(resume={two.id: "y"}), config)
    assert (one.value, two.value) == ("one", "two")
    assert one.id != two.id
    assert "__interrupt__" not in out
    assert out["messages"][-1].content == "one -> x two -> y"


def test_sync_a_streamed_plan_sends_each_answer_to_its_question() -> None:
    RUNS.clear()
    graph = durable_agent(
        LineStreamer(plan=TWO_PAUSES), [tools.fetch, tools.ask_human], stream_plan=True
    )
    config: Any = {"configurable": {"thread_id": "two-answers-streamed-sync"}}
    graph.invoke({"messages": [("user", "q")]}, config)
    second = graph.invoke(Command(resume="yes"), config)
    assert [i.value for i in second["__interrupt__"]] == ["<one -> yes>"]
    out = graph.invoke(Command(resume="ok"), config)
    assert "__interrupt__" not in out
    assert out["messages"][-1].content == "<a> <one -> yes> -> ok"


WIDE = "\n".join(f's{i}: meet(key="{i}")' for i in range(1, 9)) + '\ns9: self(prompt="{s8}")'


@pytest.mark.timeout(120)
def test_sync_no_call_waits_for_another_calls_end_when_the_plan_is_wider_than_the_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Eight calls that each return only once all eight run at once, in LangGraph's pool of
    # min(32, CPUs + 4) = 6 threads (two CPUs here): the tasks of the last calls wait for
    # a thread, and their calls must not wait for them (the others hold their threads
    # until they end). max_concurrency would also bound the calls: not given.
    for name in ("cpu_count", "process_cpu_count"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, lambda: 2)
    graph = durable_agent(WIDE, [tools.meet])
    tools.MEET.reset()
    config: Any = {"configurable": {"thread_id": "wide"}}
    out = graph.invoke({"messages": [("user", "q")]}, config)
    assert out["messages"][-1].content == "[8]"
    assert not tools.MEET.broken


# ---------------------------------------------------------------- the ledger's rules


def _ledger(
    monkeypatch: pytest.MonkeyPatch, plan: str, threads: int
) -> tuple[CallLedger, dict[str, concurrent.futures.Future[Any]]]:
    """A ledger whose calls' tasks are futures the test ends (none has started)."""
    tasks = fake_tasks(monkeypatch)
    frg = plan_frg(plan)
    ledger = CallLedger(None, threads=threads)
    assert ledger.issue(frg, list(frg.calls)) == {}
    return ledger, tasks


def test_a_call_waits_for_its_task_only_when_a_thread_is_sure_to_be_free(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Three threads, one kept for the node: the first two tasks get one at once.
    ledger, tasks = _ledger(monkeypatch, FOUR, threads=3)
    waits = {cid: ledger.starts.pending(cid) for cid in ("s1", "s2", "s3", "s4")}
    assert waits["s1"] is ledger.slots["s1"].begun
    assert waits["s2"] is ledger.slots["s2"].begun
    assert waits["s3"] is None  # two tasks before it hold (or wait for) the two threads
    assert waits["s4"] is None
    tasks["s1"].set_result(None)  # s1's task ended: its thread goes to the next task
    assert ledger.starts.pending("s3") is ledger.slots["s3"].begun
    assert ledger.starts.pending("s4") is None


def test_a_started_task_gives_its_config_and_a_task_that_never_started_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger, tasks = _ledger(monkeypatch, FOUR, threads=8)
    own: Any = {"configurable": {"task": "s1's"}}
    durable_tasks.begin(ledger.slots["s1"], own)  # what the task does when it starts
    assert ledger.starts.pending("s1") is None
    assert ledger.starts.own_config("s1") is own
    assert ledger.starts.own_config("s2") is None  # not started yet
    tasks["s2"].set_exception(RuntimeError("handed back failed"))  # ended, never started
    assert ledger.starts.pending("s2") is None
    assert ledger.starts.own_config("s2") is None
    hook = ledger.run_config({"tags": ["node"]})["configurable"][durable.CALL_CONFIG_KEY]
    assert hook.config("s1") == {"tags": ["node"], "configurable": {"task": "s1's"}}
    assert hook.config("s2") is None


CHAIN = """\
s1: add(a=1)
s2: add(a=s1)
s3: add(a=s2)
s4: add(a=4)
s5: add(a=s4)"""


def test_a_failed_calls_task_ends_at_once_with_the_tasks_of_the_calls_it_holds_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger, _ = _ledger(monkeypatch, CHAIN, threads=8)
    ledger.on_event({"event": "started", "id": "s1"})
    ledger.on_event({"event": "started", "id": "s4"})
    ledger.on_event({"event": "failed", "id": "s1"})
    ended = {cid for cid, slot in ledger.slots.items() if slot.future.done()}
    assert ended == {"s1", "s2", "s3"}
    assert isinstance(ledger.slots["s3"].future.exception(), durable._NotFinishedError)
    ledger.on_event({"event": "finished", "id": "s4"})  # other events change nothing
    ledger.save("s2", 5.0)  # a result for a given-up task is not saved (it runs again)
    assert isinstance(ledger.slots["s2"].future.exception(), durable._NotFinishedError)
    ledger.save("s4", 4.0)
    assert ledger.slots["s4"].future.result()["result"] == 4.0


def test_events_of_calls_outside_the_plan_or_of_the_whole_plan_end_no_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger, _ = _ledger(monkeypatch, CHAIN, threads=8)
    ledger.on_event({"event": "failed", "id": "s9"})
    ledger.on_event({"event": "failed", "id": None})
    assert not any(slot.future.done() for slot in ledger.slots.values())


def test_a_calls_task_stays_when_the_call_it_waited_for_failed_after_it_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A call that already started (its inputs were there) is not held back: its task stays.
    ledger, _ = _ledger(monkeypatch, CHAIN, threads=8)
    ledger.on_event({"event": "started", "id": "s2"})
    ledger.on_event({"event": "failed", "id": "s1"})
    assert ledger.slots["s1"].future.done()
    assert not ledger.slots["s2"].future.done()
    assert not ledger.slots["s3"].future.done()  # it waits for s2, which may still finish


THREE = 's1: fetch(key="a")\ns2: fetch(key="b")\ns3: fetch(key="c")\ns4: self(prompt="{s3}")'


def test_async_a_plan_with_more_calls_than_max_concurrency_runs() -> None:
    graph = durable_agent(THREE, [tools.fetch])
    config: Any = {"configurable": {"thread_id": "async-limit"}, "max_concurrency": 2}

    async def run() -> Any:  # a hang ends after 5 s as a TimeoutError
        return await asyncio.wait_for(graph.ainvoke({"messages": [("user", "q")]}, config), 5)

    out = asyncio.run(run())
    assert out["messages"][-1].content == "<c>"

"""Durable calls (`agent/durable.py`): tasks of unfinished calls, over more than one resume.

Written for the two mutants of `agent/durable.py` the first mutation tests let live: a
task handed back with an error must not stop the calls after it from being restored, and
the task of a call that did not finish must end with an error (never a saved value), or
the result the call gets on the next resume is never saved.
"""

from __future__ import annotations

import concurrent.futures
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.func import entrypoint
from langgraph.types import Command

from langchain_llmorch import build_frg, parse_plan
from langchain_llmorch.agent import durable
from langchain_llmorch.agent.durable import CallLedger
from tests.unit_tests._work import ALL
from tests.unit_tests.agent import _durable_tools as tools
from tests.unit_tests.agent._durable_setup import TWO_PAUSES, durable_agent
from tests.unit_tests.agent._durable_tools import RUNS


def test_a_task_handed_back_with_an_error_does_not_stop_the_restoring_of_later_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # LangGraph hands a task whose saved write is an error back as a failed future. The
    # call is not restored (it runs again), and the calls issued after it still are.
    frg = build_frg(parse_plan("s1: add(a=1)\ns2: add(a=2)\ns3: add(a=3)"), ALL)
    ledger = CallLedger(None)

    def handed_back(slot: Any) -> concurrent.futures.Future[Any]:
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        if slot.id == "s1":
            fut.set_exception(RuntimeError("s1 did not finish"))
        else:
            cid = slot.id
            saved = {"id": cid, "call": ledger.calls[cid], "inputs": ledger.inputs[cid]}
            fut.set_result({**saved, "result": f"saved {cid}"})
        return fut

    monkeypatch.setattr(durable, "record", handed_back)
    restored = ledger.issue(frg, ["s1", "s2", "s3"])
    assert restored == {"s2": "saved s2", "s3": "saved s3"}
    assert list(ledger.slots) == ["s1"]  # only s1 waits for a result of this run


def test_an_unfinished_calls_task_ends_with_an_error_not_a_value() -> None:
    frg = build_frg(parse_plan("s1: add(a=1)\ns2: add(a=s1)"), ALL)

    @entrypoint(checkpointer=InMemorySaver())
    def issue(_: str, config: RunnableConfig) -> list[str]:
        ledger = CallLedger.open(config)
        assert ledger is not None
        ledger.issue(frg, ["s1", "s2"])
        ledger.save("s1", 1)
        slot = ledger.slots["s2"]
        ledger.close()
        err = slot.future.exception()
        return [type(err).__name__, str(err)]

    said = issue.invoke("go", {"configurable": {"thread_id": "unfinished"}})
    assert said == ["_NotFinishedError", "s2"]


def test_a_call_that_finishes_on_the_first_resume_is_restored_on_the_second() -> None:
    RUNS.clear()
    graph = durable_agent(TWO_PAUSES, [tools.fetch, tools.ask_human], max_processors=1)
    config: Any = {"configurable": {"thread_id": "two-pauses"}}
    out = graph.invoke({"messages": [("user", "q")]}, config)
    assert [i.value for i in out["__interrupt__"]] == ["one"]
    out = graph.invoke(Command(resume="yes"), config)
    assert [i.value for i in out["__interrupt__"]] == ["<one -> yes>"]
    assert RUNS == {"fetch:a": 1, "ask:one": 2, "fetch:one -> yes": 1, "ask:<one -> yes>": 1}
    out = graph.invoke(Command(resume="ok"), config)
    assert "__interrupt__" not in out
    # The second resume ran only the call that paused: s1, s2 and s3 were restored.
    assert RUNS == {"fetch:a": 1, "ask:one": 2, "fetch:one -> yes": 1, "ask:<one -> yes>": 2}
    assert out["messages"][-1].content.startswith("<a> <one -> yes> -> ")


def test_the_second_resume_value_goes_to_the_second_question() -> None:
    RUNS.clear()
    graph = durable_agent(TWO_PAUSES, [tools.fetch, tools.ask_human], max_processors=1)
    config: Any = {"configurable": {"thread_id": "two-answers"}}
    graph.invoke({"messages": [("user", "q")]}, config)
    graph.invoke(Command(resume="yes"), config)
    out = graph.invoke(Command(resume="ok"), config)
    assert out["messages"][-1].content == "<a> <one -> yes> -> ok"

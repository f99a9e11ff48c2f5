"""Durable results when the plan changes between a pause and its resume.

A saved result is reused only for the same call: same id, same line, and the same
lines for every call it depends on (an unchanged line whose input changed must run
again). Finished calls that did not change are restored, not run again.
"""

from __future__ import annotations

import pytest
from langgraph.types import Command

from tests.unit_tests.agent import _durable_tools as tools
from tests.unit_tests.agent._durable_setup import QUESTION, durable_agent
from tests.unit_tests.agent._durable_setup import invoke as _invoke
from tests.unit_tests.agent._durable_tools import RUNS
from tests.unit_tests.agent.test_streaming_plans import LineStreamer

BEFORE = """\
s1: fetch(key="a")
s2: fetch(key=s1)
s3: fetch(key="c")
s4: ask_human(question="go?")
s5: self(prompt="{s2} {s3} {s4}")"""


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_plan_streamed_again_differently_reuses_only_unchanged_calls(mode: str) -> None:
    # The model streams the plan again when the run resumes, and writes s1 differently:
    # s1 and s2 (same line, but its input s1 changed) run again; s3 is restored.
    model = LineStreamer(plan=BEFORE)
    RUNS.clear()
    graph = durable_agent(model, [tools.fetch, tools.ask_human], stream_plan=True)
    config = {"configurable": {"thread_id": f"stream-{mode}"}}
    out = await _invoke(graph, QUESTION, config, mode)
    assert [i.value for i in out["__interrupt__"]] == ["go?"]
    assert RUNS == {"fetch:a": 1, "fetch:<a>": 1, "fetch:c": 1, "ask:go?": 1}
    model.plan = BEFORE.replace('key="a"', 'key="z"')
    out = await _invoke(graph, Command(resume="yes"), config, mode)
    assert out["messages"][-1].content == "<<z>> <c> go? -> yes"
    assert out["results"]["s2"] == "<<z>>"
    assert RUNS == {
        "fetch:a": 1,
        "fetch:<a>": 1,
        "fetch:z": 1,
        "fetch:<z>": 1,
        "fetch:c": 1,  # unchanged and finished: restored, not run again
        "ask:go?": 2,
    }


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_plan_edited_at_approval_runs_as_edited(mode: str) -> None:
    RUNS.clear()
    graph = durable_agent(BEFORE, [tools.fetch, tools.ask_human], approve_plan=True)
    config = {"configurable": {"thread_id": f"approve-{mode}"}}
    await _invoke(graph, QUESTION, config, mode)
    edited = BEFORE.replace('key="a"', 'key="e"')
    out = await _invoke(graph, Command(resume=edited), config, mode)
    assert [i.value for i in out["__interrupt__"]] == ["go?"]
    out = await _invoke(graph, Command(resume="ok"), config, mode)
    assert out["messages"][-1].content == "<<e>> <c> go? -> ok"
    # Nothing of the plan as first written ran; the edited calls ran once each.
    assert RUNS == {"fetch:e": 1, "fetch:<e>": 1, "fetch:c": 1, "ask:go?": 2}


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_plan_updated_while_paused_runs_changed_calls_again(mode: str) -> None:
    RUNS.clear()
    graph = durable_agent(BEFORE, [tools.fetch, tools.ask_human])
    config = {"configurable": {"thread_id": f"update-{mode}"}}
    out = await _invoke(graph, QUESTION, config, mode)
    assert [i.value for i in out["__interrupt__"]] == ["go?"]
    graph.update_state(config, {"plan": BEFORE.replace('key="a"', 'key="u"')})
    out = await _invoke(graph, Command(resume="ok"), config, mode)
    while "__interrupt__" in out:  # the edited plan may ask again
        out = await _invoke(graph, Command(resume="ok"), config, mode)
    assert out["messages"][-1].content == "<<u>> <c> go? -> ok"
    assert out["results"]["s2"] == "<<u>>"
    assert RUNS["fetch:u"] == 1
    assert RUNS["fetch:<u>"] == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_run_paused_after_a_recovery_rewrite_resumes_the_rewritten_plan(mode: str) -> None:
    RUNS.clear()
    plan = """\
s1: flaky(key="r")
s2: fetch(key=s1)
s3: fetch(key="c")
s4: ask_human(question=s2)
s5: self(prompt="{s2} {s3} {s4}")"""
    script = {"recover": {"s1": 's1: fetch(key="w")'}}
    graph = durable_agent(plan, [tools.fetch, tools.flaky, tools.ask_human], script=script)
    config = {"configurable": {"thread_id": f"recover-{mode}"}}
    out = await _invoke(graph, QUESTION, config, mode)
    # s1 failed; its rewrite ran with s2, then s4 paused the run.
    assert [i.value for i in out["__interrupt__"]] == ["<<w>>"]
    out = await _invoke(graph, Command(resume="ok"), config, mode)
    assert out["messages"][-1].content == "<<w>> <c> <<w>> -> ok"
    assert out["recoveries"] == 1
    # The failed call never ran again as first written; nothing finished ran twice.
    assert RUNS == {"flaky:r": 1, "fetch:w": 1, "fetch:<w>": 1, "fetch:c": 1, "ask:<<w>>": 2}

"""Durable runs: per-call checkpoints, interrupt() inside plans, plan approval."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from langchain_llmorch.agent.approval import REJECTED
from langchain_llmorch.agent.graph import build_llmorch_graph
from langchain_llmorch.testing import planner_or
from tests.unit_tests.agent import _durable_tools as tools
from tests.unit_tests.agent._durable_setup import QUESTION, durable_agent
from tests.unit_tests.agent._durable_setup import invoke as _invoke
from tests.unit_tests.agent._durable_tools import RUNS, folded_answer

INTERRUPTING = """\
s1: fetch(key="a")
s2: ask_human(question="go?")
s3: fetch(key="b")
s4: self(prompt="{s1} {s2} {s3}")"""


def _agent(plan: str, **kwargs: Any) -> Any:
    RUNS.clear()
    tool_list = [tools.fetch, tools.ask_human, tools.handle, tools.compute_ask]
    return durable_agent(plan, tool_list, max_processors=1, **kwargs)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_tool_interrupt_pauses_and_resumes_without_redoing_finished_calls(
    mode: str,
) -> None:
    graph = _agent(INTERRUPTING)
    config = {"configurable": {"thread_id": mode}}
    out = await _invoke(graph, QUESTION, config, mode)
    assert [i.value for i in out["__interrupt__"]] == ["go?"]
    assert graph.get_state(config).next == ("coordinator",)
    assert RUNS == {"fetch:a": 1, "fetch:b": 1, "ask:go?": 1}
    out = await _invoke(graph, Command(resume="yes"), config, mode)
    assert out["results"]["s2"] == "go? -> yes"
    assert out["messages"][-1].content == "<a> go? -> yes <b>"
    # Only the paused call ran again: s1 and s3 were restored from the checkpointer.
    assert RUNS == {"fetch:a": 1, "fetch:b": 1, "ask:go?": 2}
    assert "__interrupt__" not in out


def test_restored_calls_are_reported_in_the_stream() -> None:
    graph = _agent(INTERRUPTING)
    config = {"configurable": {"thread_id": "t"}}
    graph.invoke(QUESTION, config)
    events = list(graph.stream(Command(resume="ok"), config, stream_mode="custom"))
    restored = sorted(e["id"] for e in events if e["event"] == "restored")
    started = sorted(e["id"] for e in events if e["event"] == "started")
    assert restored == ["s1", "s3"]
    assert started == ["s2"]  # s4, the answer step, is folded into the joiner's request
    out = graph.get_state(config).values
    assert out["messages"][-1].content == "<a> go? -> ok <b>"
    assert RUNS == {"fetch:a": 1, "fetch:b": 1, "ask:go?": 2}


def test_a_compute_tool_that_interrupts_fails_clearly() -> None:
    plan = 's1: compute_ask(question="go?")\ns2: self(prompt="{s1}")'
    graph = _agent(plan, max_recoveries=0)
    out = graph.invoke(QUESTION, {"configurable": {"thread_id": "c"}})
    assert "__interrupt__" not in out
    assert out["failure"] is not None
    assert "InterruptInComputeError" in out["errors"]["s1"]
    assert "only inout tools can pause a run" in out["errors"]["s1"]


def test_a_result_the_checkpointer_cannot_store_fails_that_call_only() -> None:
    plan = 's1: handle(key="x")\ns2: fetch(key="y")\ns3: self(prompt="{s1} {s2}")'
    graph = _agent(plan, max_recoveries=0)
    out = graph.invoke(QUESTION, {"configurable": {"thread_id": "s"}})
    assert out["errors"]["s1"].startswith("ResultNotStorableError: the result of s1 (handle)")
    assert out["results"]["s2"] == "<y>"  # the other call is kept
    # Without a checkpointer nothing is stored, so any result is fine.
    out = _agent(plan, checkpointer=None).invoke(QUESTION)
    assert not out.get("errors")


PLAN = 's1: fetch(key="a")\ns2: fetch(key="b")\ns3: self(prompt="{s1} {s2}")'


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_plan_approval_runs_nothing_before_the_human_says_yes(mode: str) -> None:
    graph = _agent(PLAN, approve_plan=True)
    config = {"configurable": {"thread_id": mode}}
    out = await _invoke(graph, QUESTION, config, mode)
    (pending,) = out["__interrupt__"]
    assert pending.value["plan"] == PLAN
    assert [c["id"] for c in pending.value["calls"]] == ["s1", "s2"]
    # s3 runs no tool: the joiner does it while answering; the review still shows it.
    assert pending.value["answer_steps"] == [{"id": "s3", "call": PLAN.splitlines()[-1]}]
    assert graph.get_state(config).next == ("approve",)
    assert not RUNS
    out = await _invoke(graph, Command(resume=True), config, mode)
    assert out["messages"][-1].content == "<a> <b>"
    assert RUNS == {"fetch:a": 1, "fetch:b": 1}


def test_a_rejected_plan_runs_nothing() -> None:
    graph = _agent(PLAN, approve_plan=True)
    config = {"configurable": {"thread_id": "r"}}
    graph.invoke(QUESTION, config)
    out = graph.invoke(Command(resume=False), config)
    assert out["messages"][-1].content == REJECTED
    assert not RUNS


def test_an_edited_plan_is_validated_and_a_faulty_edit_is_repaired() -> None:
    fixed = 's1: fetch(key="c")\ns2: self(prompt="{s1}")'
    graph = _agent(PLAN, approve_plan=True, script={"repair": fixed})
    config = {"configurable": {"thread_id": "e"}}
    graph.invoke(QUESTION, config)
    out = graph.invoke(Command(resume='s1: nosuchtool(key="c")'), config)
    # The faulty edit went to repair, and the repaired plan is shown for approval again.
    assert out["__interrupt__"][0].value["plan"] == fixed
    assert not RUNS
    out = graph.invoke(Command(resume=True), config)
    assert out["messages"][-1].content == "<c>"
    assert RUNS == {"fetch:c": 1}


def test_interrupt_before_the_coordinator_and_update_state_revalidates() -> None:
    RUNS.clear()
    fixed = 's1: fetch(key="d")\ns2: self(prompt="{s1}")'
    model = planner_or(PLAN, answer=folded_answer, repair=fixed)
    builder = build_llmorch_graph(model, [tools.fetch])
    graph = builder.compile(checkpointer=InMemorySaver(), interrupt_before=["coordinator"])
    config = {"configurable": {"thread_id": "u"}}
    graph.invoke(QUESTION, config)
    assert graph.get_state(config).next == ("coordinator",)
    assert not RUNS
    graph.update_state(config, {"plan": 's1: fetch(nokey="d")'})
    out = graph.invoke(None, config)  # the coordinator rejects the edit; repair fixes it
    assert graph.get_state(config).next == ("coordinator",)
    assert out["plan"] == fixed
    assert not RUNS
    out = graph.invoke(None, config)
    assert out["messages"][-1].content == "<d>"
    assert RUNS == {"fetch:d": 1}


def test_graph_drawing_with_plan_approval() -> None:
    mermaid = _agent(PLAN, approve_plan=True).get_graph().draw_mermaid()
    edges = sorted(line.strip() for line in mermaid.splitlines() if "-->" in line or "-.->" in line)
    assert edges == [
        "__start__ --> planner;",
        "approve -.-> __end__;",
        "approve -.-> coordinator;",
        "approve -.-> repair;",
        "coordinator -.-> joiner;",
        "coordinator -.-> repair;",
        "joiner --> __end__;",
        "planner -.-> __end__;",
        "planner -.-> approve;",
        "planner -.-> repair;",
        "repair -.-> __end__;",
        "repair -.-> approve;",
        "repair -.-> repair;",
    ]


def _saved_calls(db: Path) -> int:
    from langgraph.checkpoint.sqlite import SqliteSaver

    with SqliteSaver.from_conn_string(str(db)) as saver:
        saved = saver.get_tuple({"configurable": {"thread_id": "killable"}})
    writes = saved.pending_writes if saved and saved.pending_writes else []
    return sum(1 for _, channel, value in writes if channel == "__return__" and value)


def test_a_run_killed_with_sigkill_resumes_without_redoing_finished_calls(tmp_path: Path) -> None:
    db, log, go = tmp_path / "state.sqlite", tmp_path / "calls.log", tmp_path / "go"
    root = Path(__file__).resolve().parents[3]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    command = [
        sys.executable,
        "-m",
        "tests.unit_tests.agent._killable_run",
        "sqlite",
        str(db),
        "killable",
        str(log),
        str(go),
    ]
    first = subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while _saved_calls(db) < 3 if db.exists() else True:
            assert first.poll() is None, "the first run ended before it was killed"
            assert time.monotonic() < deadline, "calls 1-3 were not saved in time"
            time.sleep(0.05)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert first.returncode == -signal.SIGKILL
    lines = log.read_text().splitlines()
    assert sorted(line for line in lines if line.startswith("done")) == [
        "done 1",
        "done 2",
        "done 3",
    ]

    go.touch()
    second = subprocess.run(
        command, env=env, cwd=root, capture_output=True, text=True, timeout=60, check=True
    )
    assert second.stdout.strip() == "[1][2][3][4][5][6]"
    runs = Counter(log.read_text().splitlines())
    # Finished calls ran once (0 re-runs); each call cut short by the kill (or not yet
    # started when it came: under load the kill may beat call 6's start) started once more.
    before = Counter(lines)
    expected = {n: 1 if n <= 3 else before[f"start {n}"] + 1 for n in range(1, 7)}
    assert {n: runs[f"start {n}"] for n in range(1, 7)} == expected
    assert all(runs[f"done {n}"] == 1 for n in range(1, 7))


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_recovery_works_the_same_with_a_checkpointer(mode: str) -> None:
    from tests.unit_tests.agent.test_graph import CALLS, PLAN, agent

    graph = agent(
        [PLAN, 's2: search(query="Florida", k=1000)', "done: 2.0"], checkpointer=InMemorySaver()
    )
    config = {"configurable": {"thread_id": mode}}
    out = await _invoke(graph, {"messages": [("user", "Densities?")]}, config, mode)
    assert out["messages"][-1].content == "done: 2.0"
    assert out["recoveries"] == 1
    assert CALLS["search:Texas:5"] == 1
    assert CALLS["search:Florida:1000"] == 1
    assert out["results"]["s4"] == 2.0
    assert "s5" not in out["results"]  # the answer step was folded into the joiner
    assert graph.get_state(config).next == ()

"""Durable runs on a real Postgres server (`PostgresSaver`, `AsyncPostgresSaver`).

The SqliteSaver cases of `test_durable.py` again, on what a deployed LangGraph uses: a run
killed with SIGKILL mid-plan resumes in a new process without running a finished call
again, and interrupts (a tool's, plan approval) pause and resume. The server comes from
`LLMORCH_TEST_POSTGRES_URI` (`.ci/run` starts one) or is started here; without one the
tests skip and say why.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from langgraph.types import Command

from tests.unit_tests._services import service_url, stop_started_services
from tests.unit_tests.agent import _durable_tools as tools
from tests.unit_tests.agent._durable_tools import RUNS, folded_answer

postgres = pytest.importorskip(
    "langgraph.checkpoint.postgres", reason="langgraph-checkpoint-postgres is not installed"
)
from langgraph.checkpoint.postgres import PostgresSaver  # noqa: E402
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver  # noqa: E402

from langchain_llmorch.agent.graph import create_llmorch_agent  # noqa: E402
from langchain_llmorch.testing import planner_or  # noqa: E402

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[3]
QUESTION = {"messages": [("user", "q")]}
INTERRUPTING = """\
s1: fetch(key="a")
s2: ask_human(question="go?")
s3: fetch(key="b")
s4: self(prompt="{s1} {s2} {s3}")"""
PLAN = 's1: fetch(key="a")\ns2: fetch(key="b")\ns3: self(prompt="{s1} {s2}")'


@pytest.fixture(scope="module")
def uri() -> Iterator[str]:
    """A Postgres server with LangGraph's checkpoint tables set up."""
    url = service_url("postgres")
    with PostgresSaver.from_conn_string(url) as saver:
        saver.setup()
    yield url
    stop_started_services()


@contextmanager
def _sync_saver(url: str) -> Iterator[Any]:
    with PostgresSaver.from_conn_string(url) as saver:
        yield saver


@asynccontextmanager
async def _async_saver(url: str) -> AsyncIterator[Any]:
    async with AsyncPostgresSaver.from_conn_string(url) as saver:
        yield saver


def _agent(plan: str, saver: Any, **kwargs: Any) -> Any:
    RUNS.clear()
    model = planner_or(plan, answer=folded_answer)
    tool_list = [tools.fetch, tools.ask_human]
    return create_llmorch_agent(model, tool_list, max_processors=1, checkpointer=saver, **kwargs)


def _thread() -> dict[str, Any]:
    return {"configurable": {"thread_id": f"pg-{uuid.uuid4().hex}"}}


def test_a_tool_interrupt_pauses_and_resumes_on_postgres(uri: str) -> None:
    with _sync_saver(uri) as saver:
        graph = _agent(INTERRUPTING, saver)
        config = _thread()
        out = graph.invoke(QUESTION, config)
        assert [i.value for i in out["__interrupt__"]] == ["go?"]
        assert graph.get_state(config).next == ("coordinator",)
        assert RUNS == {"fetch:a": 1, "fetch:b": 1, "ask:go?": 1}
    # A new connection (as after a restart) finds the thread where it stopped.
    with _sync_saver(uri) as saver:
        graph = _agent(INTERRUPTING, saver)
        out = graph.invoke(Command(resume="yes"), config)
    assert out["messages"][-1].content == "<a> go? -> yes <b>"
    assert "__interrupt__" not in out
    # Only the paused call ran again: s1 and s3 came back from Postgres.
    assert RUNS == {"ask:go?": 1}


async def test_a_tool_interrupt_pauses_and_resumes_on_async_postgres(uri: str) -> None:
    config = _thread()
    async with _async_saver(uri) as saver:
        graph = _agent(INTERRUPTING, saver)
        out = await graph.ainvoke(QUESTION, config)
        assert [i.value for i in out["__interrupt__"]] == ["go?"]
        assert (await graph.aget_state(config)).next == ("coordinator",)
        assert RUNS == {"fetch:a": 1, "fetch:b": 1, "ask:go?": 1}
    async with _async_saver(uri) as saver:
        graph = _agent(INTERRUPTING, saver)
        out = await graph.ainvoke(Command(resume="yes"), config)
    assert out["messages"][-1].content == "<a> go? -> yes <b>"
    assert RUNS == {"ask:go?": 1}


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_plan_approval_pauses_and_resumes_on_postgres(uri: str, mode: str) -> None:
    config = _thread()
    if mode == "sync":
        with _sync_saver(uri) as saver:
            graph = _agent(PLAN, saver, approve_plan=True)
            out = graph.invoke(QUESTION, config)
            (pending,) = out["__interrupt__"]
            assert pending.value["plan"] == PLAN
            assert graph.get_state(config).next == ("approve",)
            assert not RUNS
            out = graph.invoke(Command(resume=True), config)
    else:
        async with _async_saver(uri) as saver:
            graph = _agent(PLAN, saver, approve_plan=True)
            out = await graph.ainvoke(QUESTION, config)
            (pending,) = out["__interrupt__"]
            assert pending.value["plan"] == PLAN
            assert (await graph.aget_state(config)).next == ("approve",)
            assert not RUNS
            out = await graph.ainvoke(Command(resume=True), config)
    assert out["messages"][-1].content == "<a> <b>"
    assert RUNS == {"fetch:a": 1, "fetch:b": 1}


def _saved_calls(uri: str, thread: str) -> int:
    with _sync_saver(uri) as saver:
        saved = saver.get_tuple({"configurable": {"thread_id": thread}})
    writes = saved.pending_writes if saved and saved.pending_writes else []
    return sum(1 for _, channel, value in writes if channel == "__return__" and value)


def test_a_run_killed_with_sigkill_resumes_on_postgres_without_redoing_finished_calls(
    uri: str, tmp_path: Path
) -> None:
    thread = f"killable-{uuid.uuid4().hex}"
    log, go = tmp_path / "calls.log", tmp_path / "go"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    module = "tests.unit_tests.agent._killable_run"
    command = [sys.executable, "-m", module, "postgres", uri, thread, str(log), str(go)]
    first = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while _saved_calls(uri, thread) < 3:
            assert first.poll() is None, "the first run ended before it was killed"
            assert time.monotonic() < deadline, "calls 1-3 were not saved in time"
            time.sleep(0.05)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert first.returncode == -signal.SIGKILL
    lines = log.read_text().splitlines()
    done = sorted(line for line in lines if line.startswith("done"))
    assert done == ["done 1", "done 2", "done 3"]

    go.touch()
    second = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert second.stdout.strip() == "[1][2][3][4][5][6]"
    runs = Counter(log.read_text().splitlines())
    # Finished calls ran once (0 re-runs); each call cut short by the kill (or not yet
    # started when it came: under load the kill may beat call 6's start) started once more.
    before = Counter(lines)
    expected = {n: 1 if n <= 3 else before[f"start {n}"] + 1 for n in range(1, 7)}
    assert {n: runs[f"start {n}"] for n in range(1, 7)} == expected
    assert all(runs[f"done {n}"] == 1 for n in range(1, 7))

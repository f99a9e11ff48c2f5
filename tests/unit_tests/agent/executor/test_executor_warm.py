"""The worker pool warms in the background when an agent or an executor is built."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from langchain_llmorch import LLMOrchAgentExecutor, compute, create_llmorch_agent, inout
from langchain_llmorch.engine.orchestrator import Orchestrator
from langchain_llmorch.processes import warm as warm_module
from langchain_llmorch.processes.warm import WARM_ENV, needs_workers, warm_in_background
from langchain_llmorch.self_tool import make_self_tool
from langchain_llmorch.testing import planner_or


@compute
def square(x: int) -> int:
    """x squared."""
    return x * x


@inout
def echo(text: str) -> str:
    """The text."""
    return text


class Warms:
    """Stands in for Orchestrator.warm: records the thread it ran on."""

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.done = threading.Event()

    def record(self) -> None:
        self.threads.append(threading.current_thread().name)
        self.done.set()


@pytest.fixture
def warms(monkeypatch: pytest.MonkeyPatch) -> Warms:
    recorder = Warms()
    monkeypatch.setattr(Orchestrator, "warm", lambda _orchestrator: recorder.record())
    monkeypatch.delenv(WARM_ENV, raising=False)
    return recorder


def test_building_an_agent_with_compute_tools_warms_in_the_background(warms: Warms) -> None:
    create_llmorch_agent(planner_or("s1: square(x=2)"), [square])
    assert warms.done.wait(10)
    assert warms.threads == ["llmorch-warm"]


def test_building_an_executor_warms_and_warm_waits(warms: Warms) -> None:
    executor = LLMOrchAgentExecutor(llm=planner_or("s1: square(x=2)"), tools=[square])
    assert warms.done.wait(10)
    executor.warm()  # in the caller's thread, returning when the workers are ready
    assert warms.threads == ["llmorch-warm", threading.current_thread().name]


def test_no_warming_without_compute_tools_or_when_turned_off(
    warms: Warms, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_llmorch_agent(planner_or("s1: echo(text='a')"), [echo])
    LLMOrchAgentExecutor(llm=planner_or("s1: echo(text='a')"), tools=[echo]).warm()
    assert not needs_workers([echo, make_self_tool(planner_or("x"), kind="compute")])
    monkeypatch.setenv(WARM_ENV, "0")
    assert warm_in_background(Orchestrator([square]), [square]) is None
    assert warms.threads == []


def test_a_failing_warm_is_left_to_the_first_call(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def warm(self) -> Any:
            msg = "no processes here"
            raise OSError(msg)

    caplog.set_level("DEBUG", logger=warm_module.__name__)
    thread = warm_in_background(Broken(), [square])
    assert thread is not None
    thread.join(10)
    assert "background warming failed" in caplog.text

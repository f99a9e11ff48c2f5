"""Run-time recovery in plan-first mode, side by side with the same plan without it.

s2 asks a price for a ticker spelled wrong and raises; s3 needs s2. With recovery the
model rewrites s2 (a `recover` request), the rewrite runs in s2's own tool task, s3 gets
its result, and s1, which finished, never runs again. Without it (`max_recoveries=0`)
the tool's exception ends the run, as in any `create_agent` app.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import BaseMessage, ToolMessage

from langchain_llmorch import LLMOrchMiddleware, inout
from langchain_llmorch.testing import ScriptedChatModel, request_call, request_kind

PRICES = {"ACME": 12.5}
PLAN = 's1: count(n=3)\ns2: price(ticker="ACMEE")\ns3: double(x=s2)'
QUESTION = {"messages": [("user", "Twice the price of ACME, and count to 3")]}


class Tools:
    """The plan's tools, counting their runs."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs: list[str] = []

    def make(self) -> list[Any]:
        @inout
        def count(n: int) -> int:
            """Count to n."""
            self._ran(f"count({n})")
            return n

        @inout
        def price(ticker: str) -> float:
            """The price of a ticker."""
            self._ran(f"price({ticker})")
            return PRICES[ticker]

        @inout
        def double(x: float) -> float:
            """Twice x."""
            self._ran(f"double({x})")
            return 2 * x

        return [count, price, double]

    def _ran(self, what: str) -> None:
        with self.lock:
            self.runs.append(what)


def _answer(messages: list[BaseMessage]) -> str:
    return "answer: " + ", ".join(
        sorted(f"{m.name}={m.text}" for m in messages if isinstance(m, ToolMessage))
    )


def _model(kinds: list[str], rewrite: str = 's2: price(ticker="ACME")') -> ScriptedChatModel:
    def script(messages: list[BaseMessage]) -> str:
        kind = request_kind()
        kinds.append(kind if kind != "recover" else f"recover {request_call()}")
        if kind == "plan":
            return PLAN
        if kind == "recover":
            assert "KeyError" in messages[-1].text  # the failure is shown
            return rewrite
        return _answer(messages)

    return ScriptedChatModel(script)


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_failed_call_is_rewritten_and_finished_calls_do_not_run_again(
    asynchronous: bool,
) -> None:
    tools, kinds = Tools(), []
    mw = LLMOrchMiddleware(plan_first=True)
    agent = create_agent(_model(kinds), tools.make(), middleware=[mw])
    out = await agent.ainvoke(QUESTION) if asynchronous else agent.invoke(QUESTION)
    assert kinds == ["plan", "recover s2", "other"]
    assert sorted(tools.runs) == ["count(3)", "double(12.5)", "price(ACME)", "price(ACMEE)"]
    messages = {
        m.tool_call_id.rsplit("-", 1)[1]: m for m in out["messages"] if isinstance(m, ToolMessage)
    }
    assert messages["s2"].text == "12.5"
    assert messages["s2"].status == "success"
    note = messages["s2"].response_metadata["llmorch"]["recovered"]
    assert note["to"] == 's2: price(ticker="ACME")'
    assert "KeyError" in note["error"]
    assert messages["s3"].text == "25.0"
    assert out["messages"][-1].text == "answer: count=3, double=25.0, price=12.5"


def test_without_recovery_the_tools_exception_ends_the_run() -> None:
    tools, kinds = Tools(), []
    mw = LLMOrchMiddleware(plan_first=True, max_recoveries=0)
    agent = create_agent(_model(kinds), tools.make(), middleware=[mw])
    with pytest.raises(KeyError, match="ACMEE"):
        agent.invoke(QUESTION)
    assert kinds == ["plan"]
    assert "double(12.5)" not in tools.runs


async def _run(agent: Any, asynchronous: bool) -> Any:
    return await agent.ainvoke(QUESTION) if asynchronous else agent.invoke(QUESTION)


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_an_unchanged_rewrite_gives_the_original_failure_back(asynchronous: bool) -> None:
    tools, kinds = Tools(), []
    mw = LLMOrchMiddleware(plan_first=True)
    agent = create_agent(_model(kinds, PLAN.splitlines()[1]), tools.make(), middleware=[mw])
    with pytest.raises(KeyError, match="ACMEE"):
        await _run(agent, asynchronous)
    assert kinds == ["plan", "recover s2"]  # one request: the model kept the call
    assert tools.runs.count("price(ACMEE)") == 1


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_rewrite_that_fails_again_is_rewritten_up_to_max_recoveries(
    asynchronous: bool,
) -> None:
    tools, kinds = Tools(), []
    mw = LLMOrchMiddleware(plan_first=True, max_recoveries=2)
    agent = create_agent(_model(kinds, 's2: price(ticker="ACMEX")'), tools.make(), middleware=[mw])
    with pytest.raises(KeyError, match="ACMEE"):  # the first failure, after two rewrites
        await _run(agent, asynchronous)
    assert kinds == ["plan", "recover s2", "recover s2"]
    assert tools.runs.count("price(ACMEX)") == 1  # the second rewrite is the same: not run


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_model_that_fails_to_rewrite_gives_the_original_failure_back(
    asynchronous: bool,
) -> None:
    tools, kinds = Tools(), []

    def script(messages: list[BaseMessage]) -> str:
        kinds.append(request_kind())
        if kinds[-1] == "recover":
            msg = "the model's service is down"
            raise ConnectionError(msg)
        return PLAN if kinds[-1] == "plan" else _answer(messages)

    mw = LLMOrchMiddleware(plan_first=True, max_recoveries=3)
    agent = create_agent(ScriptedChatModel(script), tools.make(), middleware=[mw])
    with pytest.raises(KeyError, match="ACMEE"):  # not the model's error
        await _run(agent, asynchronous)
    assert kinds == ["plan", "recover"]  # no second request after the model failed
    assert tools.runs.count("price(ACMEE)") == 1


def test_max_recoveries_is_checked() -> None:
    with pytest.raises(ValueError, match="max_recoveries"):
        LLMOrchMiddleware(plan_first=True, max_recoveries=-1)

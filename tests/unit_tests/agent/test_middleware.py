"""LLMOrchMiddleware in `create_agent`, side by side with plain `create_agent`."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import (
    HumanInTheLoopMiddleware,
    ModelCallLimitMiddleware,
    ToolCallLimitMiddleware,
)
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from langchain_llmorch import LLMOrchError, inout
from langchain_llmorch.agent.middleware import ComputeToolError, LLMOrchMiddleware
from langchain_llmorch.errors import CallTimeoutError
from langchain_llmorch.testing import ScriptedChatModel
from tests.unit_tests.agent._mw_tools import (
    crash,
    explode,
    fetch,
    fetch_sync,
    reads_call_id,
    reads_runtime,
    reads_state,
    spin,
    whereami,
)

P = 2
SPIN = 200_000  # a few tens of milliseconds of pure-Python work per call


def _calls(*specs: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": name, "args": args, "id": f"c{i}"} for i, (name, args) in enumerate(specs)]


def one_turn(calls: list[dict[str, Any]]) -> ScriptedChatModel:
    """Calls the tools once, then answers with every result in order."""

    def script(messages: list[BaseMessage]) -> AIMessage | str:
        if isinstance(messages[-1], HumanMessage):
            return AIMessage("", tool_calls=calls)
        results = [f"{m.name}={m.text}" for m in messages if isinstance(m, ToolMessage)]
        return "answer: " + "; ".join(results)

    return ScriptedChatModel(script)


def transcript(messages: list[BaseMessage]) -> list[tuple[Any, ...]]:
    """What both agents must agree on: every message's type, text, call and status."""
    out: list[tuple[Any, ...]] = []
    for m in messages:
        if isinstance(m, ToolMessage):
            out.append(("tool", m.tool_call_id, m.name, m.text, m.status))
        elif isinstance(m, AIMessage):
            out.append(("ai", m.text, [(c["id"], c["name"], c["args"]) for c in m.tool_calls]))
        else:
            out.append((m.type, m.text))
    return out


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one instant (an end before a start at the same time)."""
    edges = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    peak = now = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return peak


def pool_records(messages: list[BaseMessage]) -> list[dict[str, Any]]:
    return [
        m.response_metadata["llmorch"]
        for m in messages
        if isinstance(m, ToolMessage) and "pid" in m.response_metadata.get("llmorch", {})
    ]


SIX_SPINS = _calls(*[("spin", {"n": SPIN + i}) for i in range(6)])


@pytest.fixture(scope="module")
def middleware() -> LLMOrchMiddleware:
    mw = LLMOrchMiddleware(max_processors=P)
    mw.warm()
    return mw


# --- compute calls on the worker processes -------------------------------------------


def test_six_compute_calls_run_on_p_workers_with_the_same_results(
    middleware: LLMOrchMiddleware,
) -> None:
    model = one_turn(SIX_SPINS)
    question = {"messages": [("user", "go")]}
    plain = create_agent(model, [spin]).invoke(question)
    ours = create_agent(model, [spin], middleware=[middleware]).invoke(question)

    assert transcript(ours["messages"]) == transcript(plain["messages"])
    records = pool_records(ours["messages"])
    assert len(records) == 6
    assert all(r["pid"] != os.getpid() for r in records)
    assert {r["pid"] for r in records} <= set(middleware.calls.pool.worker_pids())
    assert max_overlap([(r["started_at"], r["ended_at"]) for r in records]) <= P


async def test_async_agent_runs_compute_calls_on_p_workers(middleware: LLMOrchMiddleware) -> None:
    model = one_turn(SIX_SPINS)
    question = {"messages": [("user", "go")]}
    plain = await create_agent(model, [spin]).ainvoke(question)
    ours = await create_agent(model, [spin], middleware=[middleware]).ainvoke(question)

    assert transcript(ours["messages"]) == transcript(plain["messages"])
    records = pool_records(ours["messages"])
    assert len(records) == 6
    assert all(r["pid"] != os.getpid() for r in records)
    assert max_overlap([(r["started_at"], r["ended_at"]) for r in records]) <= P


def test_compute_call_is_validated_and_traced_like_any_tool_call(
    middleware: LLMOrchMiddleware,
) -> None:
    """ToolNode still validates arguments (error ToolMessage) and fires the tool callbacks."""

    class Seen(BaseCallbackHandler):
        def __init__(self) -> None:
            self.events: list[tuple[str, str]] = []
            self.lock = threading.Lock()

        def on_tool_start(self, serialized: dict[str, Any], input_str: str, **kw: Any) -> None:
            with self.lock:
                self.events.append(("start", serialized["name"]))

        def on_tool_end(self, output: Any, **kw: Any) -> None:
            with self.lock:
                self.events.append(("end", output.name))

    model = one_turn(_calls(("spin", {"n": "many"}), ("spin", {"n": 5})))
    runs = {}
    for label, stack in (("plain", []), ("ours", [middleware])):
        seen = Seen()
        out = create_agent(model, [spin], middleware=stack).invoke(
            {"messages": [("user", "go")]}, {"callbacks": [seen]}
        )
        runs[label] = (transcript(out["messages"]), sorted(seen.events))
    assert runs["ours"] == runs["plain"]
    tool_messages = [m for m in runs["ours"][0] if m[0] == "tool"]
    assert tool_messages[0][4] == "error"  # "many" is not an int: ToolNode said so
    assert ("end", "spin") in runs["ours"][1]


def test_crashed_worker_fails_only_its_call(middleware: LLMOrchMiddleware) -> None:
    model = one_turn(_calls(("spin", {"n": 10}), ("crash", {}), ("spin", {"n": 11})))
    out = create_agent(model, [spin, crash], middleware=[middleware]).invoke(
        {"messages": [("user", "go")]}
    )
    tools = {m.tool_call_id: m for m in out["messages"] if isinstance(m, ToolMessage)}
    assert tools["c1"].status == "error"
    assert tools["c1"].response_metadata["llmorch"]["error"] == "WorkerCrashedError"
    assert tools["c0"].status == tools["c2"].status == "success"
    assert tools["c0"].text == str(spin.func(10))
    assert out["messages"][-1].text.startswith("answer: ")
    # The pool is repaired: the next call runs on a worker again.
    again = create_agent(one_turn(_calls(("whereami", {}))), [whereami], middleware=[middleware])
    pid = int(
        next(
            m
            for m in again.invoke({"messages": [("user", "x")]})["messages"]
            if isinstance(m, ToolMessage)
        ).text
    )
    assert pid != os.getpid()


def test_tools_own_error_is_handled_as_plain_create_agent_handles_it(
    middleware: LLMOrchMiddleware,
) -> None:
    model = one_turn(_calls(("explode", {"message": "no such file"})))
    with pytest.raises(ValueError, match="no such file"):
        create_agent(model, [explode]).invoke({"messages": [("user", "go")]})
    with pytest.raises(ValueError, match="no such file"):
        create_agent(model, [explode], middleware=[middleware]).invoke(
            {"messages": [("user", "go")]}
        )


def test_compute_call_past_call_timeout_is_killed_and_the_turn_goes_on() -> None:
    mw = LLMOrchMiddleware(max_processors=P, call_timeout=0.5)
    model = one_turn(_calls(("spin", {"n": 10**10}), ("spin", {"n": 7})))
    out = create_agent(model, [spin], middleware=[mw]).invoke({"messages": [("user", "go")]})
    tools = {m.tool_call_id: m for m in out["messages"] if isinstance(m, ToolMessage)}
    assert tools["c0"].status == "error"
    assert tools["c0"].response_metadata["llmorch"]["error"] == CallTimeoutError.__name__
    assert tools["c1"].text == str(spin.func(7))
    assert out["messages"][-1].text.startswith("answer: ")


# --- refused compute tools -----------------------------------------------------------


@pytest.mark.parametrize("tool", [reads_state, reads_runtime, reads_call_id], ids=lambda t: t.name)
def test_compute_tool_with_injected_arguments_is_refused_at_construction(tool: Any) -> None:
    with pytest.raises(ComputeToolError, match="cannot reach a worker process"):
        LLMOrchMiddleware(tools=[spin, tool])
    assert issubclass(ComputeToolError, LLMOrchError)
    assert issubclass(ComputeToolError, TypeError)


def test_without_tools_the_check_runs_before_the_model_can_call_them() -> None:
    ran: list[str] = []

    def script(messages: list[BaseMessage]) -> AIMessage:
        ran.append("model")
        return AIMessage("", tool_calls=_calls(("reads_state", {})))

    agent = create_agent(ScriptedChatModel(script), [reads_state], middleware=[LLMOrchMiddleware()])
    with pytest.raises(ComputeToolError, match="reads_state"):
        agent.invoke({"messages": [("user", "go")]})
    assert ran == []


def test_async_only_compute_tool_is_refused() -> None:
    from langchain_llmorch import compute

    @compute
    async def later(x: int) -> int:
        """Async only."""
        return x

    with pytest.raises(ComputeToolError, match="only an async function"):
        LLMOrchMiddleware(tools=[later])


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        LLMOrchMiddleware(max_concurrency=0)
    with pytest.raises(ValueError, match="call_timeout"):
        LLMOrchMiddleware(call_timeout=0)
    with pytest.raises(ValueError, match="max_processors"):
        LLMOrchMiddleware(max_processors=0)


# --- inout calls: max_concurrency and call_timeout -----------------------------------


class Tracker:
    """Start and end times of the calls of an in-process tool."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.intervals: list[tuple[float, float]] = []

    def add(self, start: float, end: float) -> None:
        with self.lock:
            self.intervals.append((start, end))


def tracked_tools(tracker: Tracker) -> list[Any]:
    @inout
    async def lookup(key: str) -> str:
        """Look a key up (async)."""
        start = time.monotonic()
        await asyncio.sleep(0.05)
        tracker.add(start, time.monotonic())
        return f"value of {key}"

    @inout
    def lookup_sync(key: str) -> str:
        """Look a key up (sync)."""
        start = time.monotonic()
        time.sleep(0.05)
        tracker.add(start, time.monotonic())
        return f"value of {key}"

    return [lookup, lookup_sync]


async def test_async_agent_runs_at_most_max_concurrency_inout_calls_at_once() -> None:
    twenty = _calls(*[("lookup", {"key": f"k{i}"}) for i in range(20)])
    model = one_turn(twenty)
    plain_tracker, our_tracker = Tracker(), Tracker()
    plain = await create_agent(model, tracked_tools(plain_tracker)).ainvoke(
        {"messages": [("user", "go")]}
    )
    ours = await create_agent(
        model, tracked_tools(our_tracker), middleware=[LLMOrchMiddleware(max_concurrency=4)]
    ).ainvoke({"messages": [("user", "go")]})

    assert transcript(ours["messages"]) == transcript(plain["messages"])
    assert len(our_tracker.intervals) == 20
    assert max_overlap(our_tracker.intervals) == 4
    assert max_overlap(plain_tracker.intervals) > 4  # what the bound prevents


def test_sync_agent_honours_max_concurrency() -> None:
    model = one_turn(_calls(*[("lookup_sync", {"key": f"k{i}"}) for i in range(8)]))
    tracker = Tracker()
    mw = LLMOrchMiddleware(max_concurrency=2)
    out = create_agent(model, tracked_tools(tracker), middleware=[mw]).invoke(
        {"messages": [("user", "go")]}
    )
    assert len(tracker.intervals) == 8
    assert max_overlap(tracker.intervals) <= 2
    assert out["messages"][-1].text.count("value of") == 8


async def test_one_middleware_bounds_sync_and_async_runs_together() -> None:
    tracker = Tracker()
    mw = LLMOrchMiddleware(max_concurrency=3)
    tools = tracked_tools(tracker)
    async_agent = create_agent(
        one_turn(_calls(*[("lookup", {"key": f"a{i}"}) for i in range(6)])), tools, middleware=[mw]
    )
    sync_agent = create_agent(
        one_turn(_calls(*[("lookup_sync", {"key": f"s{i}"}) for i in range(6)])),
        tools,
        middleware=[mw],
    )
    question = {"messages": [("user", "go")]}
    await asyncio.gather(
        async_agent.ainvoke(question), asyncio.to_thread(sync_agent.invoke, question)
    )
    assert len(tracker.intervals) == 12
    assert max_overlap(tracker.intervals) <= 3


GATE = threading.Event()


@inout
def hang_sync(key: str) -> str:
    """Blocks until the test opens the gate."""
    GATE.wait(30)
    return "late"


@inout
async def hang(key: str) -> str:
    """Never answers in time."""
    await asyncio.sleep(30)
    return "late"


def _timeout_checks(out: dict[str, Any]) -> None:
    tools = {m.tool_call_id: m for m in out["messages"] if isinstance(m, ToolMessage)}
    assert tools["c0"].status == "error"
    assert tools["c0"].response_metadata["llmorch"]["error"] == "CallTimeoutError"
    assert "call_timeout" in tools["c0"].text
    assert tools["c1"].status == "success"
    assert out["messages"][-1].text.startswith("answer: ")


async def test_async_tool_past_call_timeout_becomes_an_error_message() -> None:
    model = one_turn(_calls(("hang", {"key": "a"}), ("fetch", {"key": "b"})))
    mw = LLMOrchMiddleware(call_timeout=0.3)
    out = await create_agent(model, [hang, fetch], middleware=[mw]).ainvoke(
        {"messages": [("user", "go")]}
    )
    _timeout_checks(out)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_sync_tool_past_call_timeout_is_abandoned_not_leaked(mode: str) -> None:
    """The hung thread is given up (the turn finishes) and ends when the tool returns."""
    GATE.clear()
    model = one_turn(_calls(("hang_sync", {"key": "a"}), ("fetch_sync", {"key": "b"})))
    mw = LLMOrchMiddleware(call_timeout=0.3)
    agent = create_agent(model, [hang_sync, fetch_sync], middleware=[mw])
    question = {"messages": [("user", "go")]}
    if mode == "sync":
        out = agent.invoke(question)
    else:
        out = await agent.ainvoke(question)
    _timeout_checks(out)
    assert mw.calls.threads.stuck >= 1  # abandoned, not counted against the pool
    GATE.set()
    for _ in range(200):
        if mw.calls.threads.stuck == 0:
            break
        await asyncio.sleep(0.01)
    assert mw.calls.threads.stuck == 0


# --- with LangChain's own middleware -------------------------------------------------


@pytest.mark.parametrize("behavior", ["continue", "end"])
def test_tool_call_limit_counts_and_blocks_as_without_llmorch(
    middleware: LLMOrchMiddleware, behavior: str
) -> None:
    model = one_turn(SIX_SPINS)
    outs, counts = [], []
    config = {"configurable": {"thread_id": "t"}}
    for extra in ([], [middleware]):
        limit = ToolCallLimitMiddleware(run_limit=3, exit_behavior=behavior)
        agent = create_agent(
            model, [spin], middleware=[limit, *extra], checkpointer=InMemorySaver()
        )
        outs.append(agent.invoke({"messages": [("user", "go")]}, config))
        counts.append(agent.get_state(config).values["thread_tool_call_count"])
    plain, ours = outs
    assert transcript(ours["messages"]) == transcript(plain["messages"])
    assert counts[1] == counts[0]
    assert len(pool_records(ours["messages"])) == (3 if behavior == "continue" else 0)


def test_model_call_limit_ends_as_without_llmorch(middleware: LLMOrchMiddleware) -> None:
    def script(messages: list[BaseMessage]) -> AIMessage:
        done = sum(isinstance(m, ToolMessage) for m in messages)
        return AIMessage("", tool_calls=_calls(("spin", {"n": 100 + done})))

    outs = []
    for extra in ([], [middleware]):
        limit = ModelCallLimitMiddleware(run_limit=2, exit_behavior="end")
        agent = create_agent(ScriptedChatModel(script), [spin], middleware=[limit, *extra])
        outs.append(agent.invoke({"messages": [("user", "go")]}))
    plain, ours = outs
    assert transcript(ours["messages"]) == transcript(plain["messages"])
    assert len(pool_records(ours["messages"])) == 2


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_human_in_the_loop_approves_each_call_as_without_llmorch(
    middleware: LLMOrchMiddleware, asynchronous: bool
) -> None:
    model = one_turn(_calls(("spin", {"n": 1}), ("spin", {"n": 2}), ("fetch_sync", {"key": "k"})))
    outs = []
    for extra in ([], [middleware]):
        hitl = HumanInTheLoopMiddleware(interrupt_on={"spin": True, "fetch_sync": True})
        agent = create_agent(
            model, [spin, fetch_sync], middleware=[hitl, *extra], checkpointer=InMemorySaver()
        )
        config = {"configurable": {"thread_id": "t"}}
        question = {"messages": [("user", "go")]}
        resume = Command(resume={"decisions": [{"type": "approve"}] * 3})
        if asynchronous:
            paused = await agent.ainvoke(question, config)
            assert len(paused["__interrupt__"][0].value["action_requests"]) == 3
            outs.append(await agent.ainvoke(resume, config))
        else:
            paused = agent.invoke(question, config)
            assert len(paused["__interrupt__"][0].value["action_requests"]) == 3
            outs.append(agent.invoke(resume, config))
    plain, ours = outs
    assert transcript(ours["messages"]) == transcript(plain["messages"])
    assert len(pool_records(ours["messages"])) == 2

"""LLMOrchMiddleware(plan_first=True) side by side with plain (turn-by-turn) `create_agent`.

The question needs spin(n=A) and spin(n=B) at once, then lookup(key=<result of the first>).
A plain tool-calling model needs three turns for it; the planner writes one plan.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import (
    AgentMiddleware,
    HumanInTheLoopMiddleware,
    ModelCallLimitMiddleware,
    SummarizationMiddleware,
    ToolCallLimitMiddleware,
)
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from langchain_llmorch import inout
from langchain_llmorch.agent.middleware import LLMOrchMiddleware, _plan_first
from langchain_llmorch.testing import ScriptedChatModel, request_kind
from tests.unit_tests.agent._mw_tools import spin

A, B = 200_001, 200_002
PLAN = f's1: spin(n={A})\ns2: spin(n={B})\ns3: lookup(key="{{s1}}")'
QUESTION = {"messages": [("user", "look up the first checksum")]}


class Calls:
    """Counts and times the in-process calls of `lookup`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.keys: list[str] = []
        self.started: list[float] = []
        self.fail_next = False

    def tools(self) -> list[Any]:
        @inout
        def lookup(key: str) -> str:
            """Look a key up."""
            with self.lock:
                self.keys.append(key)
                self.started.append(time.time())
                if self.fail_next:
                    self.fail_next = False
                    msg = "lookup service down"
                    raise ConnectionError(msg)
            return f"value of {key}"

        return [spin, lookup]


def answer(messages: list[BaseMessage]) -> str:
    results = sorted(f"{m.name}={m.text}" for m in messages if isinstance(m, ToolMessage))
    return "answer: " + "; ".join(results)


def react_model() -> ScriptedChatModel:
    """A plain tool-calling model: two spins, then the lookup, then the answer."""

    def script(messages: list[BaseMessage]) -> AIMessage | str:
        done = [m for m in messages if isinstance(m, ToolMessage)]
        if not done:
            calls = [("spin", {"n": A}, "r1"), ("spin", {"n": B}, "r2")]
        elif len(done) == 2:
            first = next(m for m in done if m.tool_call_id == "r1")
            calls = [("lookup", {"key": first.text}, "r3")]
        else:
            return answer(messages)
        return AIMessage("", tool_calls=[{"name": n, "args": a, "id": i} for n, a, i in calls])

    return ScriptedChatModel(script)


def planner_model(requests: list[str] | None = None, plan: str = PLAN) -> ScriptedChatModel:
    """LLMOrch's planner gets `plan`; any other request gets the answer from the results."""

    def script(messages: list[BaseMessage]) -> str:
        kind = request_kind(messages)
        if requests is not None:
            requests.append(kind)
        return plan if kind == "plan" else answer(messages)

    return ScriptedChatModel(script)


def results(messages: list[BaseMessage]) -> list[tuple[str, str, str]]:
    return sorted((m.name or "", m.text, m.status) for m in messages if isinstance(m, ToolMessage))


@pytest.fixture(scope="module")
def planning() -> LLMOrchMiddleware:
    mw = LLMOrchMiddleware(plan_first=True, max_processors=2)
    mw.warm()
    return mw


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_plan_first_gives_the_same_answer_in_one_planning_turn(
    planning: LLMOrchMiddleware, asynchronous: bool
) -> None:
    plain_calls, our_calls = Calls(), Calls()
    requests: list[str] = []
    plain_agent = create_agent(react_model(), plain_calls.tools())
    our_agent = create_agent(planner_model(requests), our_calls.tools(), middleware=[planning])
    if asynchronous:
        plain, ours = await plain_agent.ainvoke(QUESTION), await our_agent.ainvoke(QUESTION)
    else:
        plain, ours = plain_agent.invoke(QUESTION), our_agent.invoke(QUESTION)

    assert results(ours["messages"]) == results(plain["messages"])
    assert ours["messages"][-1].text == plain["messages"][-1].text
    assert requests == ["plan", "other"]  # the plan, then the answer
    ai_turns = [m for m in ours["messages"] if isinstance(m, AIMessage)]
    assert len(ai_turns) == 2
    assert [c["name"] for c in ai_turns[0].tool_calls] == ["spin", "spin", "lookup"]
    assert ai_turns[0].tool_calls[2]["args"] == {"key": "{s1}"}  # filled in when s1 is done
    assert our_calls.keys == [str(spin.func(A))]
    # Dataflow: the two spins overlap on the workers; the lookup starts after s1 ends.
    records = {
        m.tool_call_id.rsplit("-", 1)[1]: m.response_metadata["llmorch"]
        for m in ours["messages"]
        if isinstance(m, ToolMessage) and "pid" in m.response_metadata.get("llmorch", {})
    }
    assert set(records) == {"s1", "s2"}
    assert our_calls.started[0] >= records["s1"]["ended_at"]


def test_human_approves_the_whole_plan_in_one_interrupt(planning: LLMOrchMiddleware) -> None:
    config = {"configurable": {"thread_id": "t"}}
    interrupts = {}
    outs = {}
    for label, model, extra in (
        ("plain", react_model(), []),
        ("ours", planner_model(), [planning]),
    ):
        hitl = HumanInTheLoopMiddleware(interrupt_on={"spin": True, "lookup": True})
        agent = create_agent(
            model, Calls().tools(), middleware=[hitl, *extra], checkpointer=InMemorySaver()
        )
        out = agent.invoke(QUESTION, config)
        seen = []
        while "__interrupt__" in out:
            requests = out["__interrupt__"][0].value["action_requests"]
            seen.append([r["name"] for r in requests])
            decisions = [{"type": "approve"}] * len(requests)
            out = agent.invoke(Command(resume={"decisions": decisions}), config)
        interrupts[label], outs[label] = seen, out
    assert interrupts["plain"] == [["spin", "spin"], ["lookup"]]  # one per turn
    assert interrupts["ours"] == [["spin", "spin", "lookup"]]  # the plan, once
    assert results(outs["ours"]["messages"]) == results(outs["plain"]["messages"])
    assert outs["ours"]["messages"][-1].text == outs["plain"]["messages"][-1].text


def test_rejected_call_fails_its_dependents_and_edits_are_used(
    planning: LLMOrchMiddleware,
) -> None:
    config = {"configurable": {"thread_id": "t"}}
    hitl = HumanInTheLoopMiddleware(interrupt_on={"spin": True, "lookup": True})
    calls = Calls()
    agent = create_agent(
        planner_model(), calls.tools(), middleware=[hitl, planning], checkpointer=InMemorySaver()
    )
    agent.invoke(QUESTION, config)
    decisions = [
        {"type": "reject", "message": "not this one"},
        {"type": "edit", "edited_action": {"name": "spin", "args": {"n": 7}}},
        {"type": "approve"},
    ]
    out = agent.invoke(Command(resume={"decisions": decisions}), config)
    tools = {
        m.tool_call_id.rsplit("-", 1)[1]: m for m in out["messages"] if isinstance(m, ToolMessage)
    }
    assert tools["s2"].text.endswith(f"Tool response:\n{spin.func(7)}")  # the edit ran
    assert tools["s3"].status == "error"
    assert tools["s3"].response_metadata["llmorch"]["error"] == "DependencyFailedError"
    assert calls.keys == []  # the lookup never ran without its input


def test_tool_call_limit_counts_the_planned_calls_that_ran(planning: LLMOrchMiddleware) -> None:
    config = {"configurable": {"thread_id": "t"}}
    counts, outs = {}, {}
    for label, model, extra in (
        ("plain", react_model(), []),
        ("ours", planner_model(), [planning]),
    ):
        limit = ToolCallLimitMiddleware(run_limit=2, exit_behavior="continue")
        agent = create_agent(
            model, Calls().tools(), middleware=[limit, *extra], checkpointer=InMemorySaver()
        )
        outs[label] = agent.invoke(QUESTION, config)
        counts[label] = agent.get_state(config).values["thread_tool_call_count"]
    assert counts["ours"] == counts["plain"] == {"__all__": 2}
    assert results(outs["ours"]["messages"]) == results(outs["plain"]["messages"])
    blocked = [
        m for m in outs["ours"]["messages"] if isinstance(m, ToolMessage) and m.status == "error"
    ]
    assert [m.name for m in blocked] == ["lookup"]


def test_model_call_limit_counts_the_plan_and_the_answer(planning: LLMOrchMiddleware) -> None:
    config = {"configurable": {"thread_id": "t"}}
    outs, counts = {}, {}
    for label, model, extra in (
        ("plain", react_model(), []),
        ("ours", planner_model(), [planning]),
    ):
        limit = ModelCallLimitMiddleware(run_limit=2, exit_behavior="end")
        agent = create_agent(
            model, Calls().tools(), middleware=[limit, *extra], checkpointer=InMemorySaver()
        )
        outs[label] = agent.invoke(QUESTION, config)
        counts[label] = agent.get_state(config).values["thread_model_call_count"]
    assert counts == {"plain": 2, "ours": 2}
    assert outs["ours"]["messages"][-1].text.startswith("answer: ")
    assert not outs["plain"]["messages"][-1].text.startswith("answer: ")  # the limit ended it


def test_resume_after_a_failure_does_not_run_finished_calls_again(
    planning: LLMOrchMiddleware,
) -> None:
    calls = Calls()
    calls.fail_next = True
    spins: list[int] = []

    @inout
    def count_spin(n: int) -> int:
        """Counts its runs."""
        spins.append(n)
        return spin.func(n)

    # s3 needs both spins: they are done when it fails (no task of the step still runs).
    plan = f's1: count_spin(n={A})\ns2: count_spin(n={B})\ns3: lookup(key="{{s1}} {{s2}}")'
    model = ScriptedChatModel(lambda m: plan if request_kind(m) == "plan" else answer(m))
    agent = create_agent(
        model, [count_spin, calls.tools()[1]], middleware=[planning], checkpointer=InMemorySaver()
    )
    config = {"configurable": {"thread_id": "t"}}
    with pytest.raises(ConnectionError):
        agent.invoke(QUESTION, config)
    assert sorted(spins) == [A, B]
    out = agent.invoke(None, config)  # resume: only the failed call runs again
    assert sorted(spins) == [A, B]
    key = f"{spin.func(A)} {spin.func(B)}"
    assert calls.keys == [key, key]
    assert out["messages"][-1].text.startswith("answer: ")
    assert f"lookup=value of {key}" in out["messages"][-1].text


class SlowToReturn(AgentMiddleware):
    """Holds each finished `count_spin` task a moment after its tool returned, as a busy
    machine may, and notes when each task leaves (returns or raises)."""

    def __init__(self) -> None:
        super().__init__()
        self.left: list[str] = []

    def wrap_tool_call(self, request: Any, handler: Any) -> Any:
        name = request.tool_call["name"]
        try:
            result = handler(request)
        except Exception:
            self.left.append(f"{name} raised")
            raise
        if name == "count_spin":
            time.sleep(0.1)
        self.left.append(f"{name} returned")
        return result

    async def awrap_tool_call(self, request: Any, handler: Any) -> Any:
        name = request.tool_call["name"]
        try:
            result = await handler(request)
        except Exception:
            self.left.append(f"{name} raised")
            raise
        if name == "count_spin":
            await asyncio.sleep(0.1)
        self.left.append(f"{name} returned")
        return result


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_failing_call_lets_the_tasks_of_the_calls_it_used_finish_before_it_raises(
    planning: LLMOrchMiddleware, mode: str
) -> None:
    """LangGraph stops a step at the first task that raises; a task still running then (the
    result of a call it used already handed over) could lose its result: it runs again."""
    calls = Calls()
    calls.fail_next = True
    spins: list[int] = []

    @inout
    def count_spin(n: int) -> int:
        """Counts its runs."""
        spins.append(n)
        return spin.func(n)

    plan = f's1: count_spin(n={A})\ns2: count_spin(n={B})\ns3: lookup(key="{{s1}} {{s2}}")'
    model = ScriptedChatModel(lambda m: plan if request_kind(m) == "plan" else answer(m))
    slow = SlowToReturn()
    agent = create_agent(
        model,
        [count_spin, calls.tools()[1]],
        middleware=[slow, planning],
        checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "t"}}

    async def first_run() -> None:
        if mode == "sync":
            agent.invoke(QUESTION, config)
        else:
            await agent.ainvoke(QUESTION, config)

    with pytest.raises(ConnectionError):
        await first_run()
    assert slow.left == ["count_spin returned", "count_spin returned", "lookup raised"]
    agent.invoke(None, config)  # resume: only s3 runs again
    assert sorted(spins) == [A, B]


def test_resumed_elsewhere_a_call_whose_input_finished_there_fails_typed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new process (a new middleware) cannot read results LangGraph kept for finished calls."""
    monkeypatch.setattr(_plan_first, "RESUME_GRACE", 0.2)
    calls = Calls()
    calls.fail_next = True
    saver = InMemorySaver()
    config = {"configurable": {"thread_id": "t"}}
    both = f's1: spin(n={A})\ns2: spin(n={B})\ns3: lookup(key="{{s1}} {{s2}}")'
    first = create_agent(
        planner_model(plan=both),
        calls.tools(),
        middleware=[LLMOrchMiddleware(plan_first=True)],
        checkpointer=saver,
    )
    with pytest.raises(ConnectionError):
        first.invoke(QUESTION, config)
    second = create_agent(
        planner_model(plan=both),
        calls.tools(),
        middleware=[LLMOrchMiddleware(plan_first=True)],
        checkpointer=saver,
    )
    out = second.invoke(None, config)
    tools = {
        m.tool_call_id.rsplit("-", 1)[1]: m for m in out["messages"] if isinstance(m, ToolMessage)
    }
    assert tools["s3"].status == "error"
    assert tools["s3"].response_metadata["llmorch"]["error"] == "PlanResumeError"
    assert tools["s1"].status == tools["s2"].status == "success"
    assert len(calls.keys) == 1  # s3 did not run again without its input


def test_plan_that_does_not_validate_is_repaired_then_falls_back_to_turns() -> None:
    requests: list[str] = []

    def script(messages: list[BaseMessage]) -> AIMessage | str:
        kind = request_kind(messages)
        requests.append(kind)
        if kind in ("plan", "repair"):
            return "s1: nosuchtool(x=1)"
        if isinstance(messages[-1], HumanMessage):  # the ordinary turn after giving up
            return AIMessage("", tool_calls=[{"name": "spin", "args": {"n": 3}, "id": "c1"}])
        return answer(messages)

    mw = LLMOrchMiddleware(plan_first=True, max_repairs=1)
    out = create_agent(ScriptedChatModel(script), Calls().tools(), middleware=[mw]).invoke(QUESTION)
    assert requests == ["plan", "repair", "other", "other"]
    assert out["messages"][-1].text == f"answer: spin={spin.func(3)}"


def test_summaries_see_ordinary_tool_call_messages(planning: LLMOrchMiddleware) -> None:
    """Every planned call is answered by one ToolMessage, as message-trimming middleware expect."""
    out = create_agent(planner_model(), Calls().tools(), middleware=[planning]).invoke(QUESTION)
    plan_turn = next(m for m in out["messages"] if isinstance(m, AIMessage) and m.tool_calls)
    answered = [m.tool_call_id for m in out["messages"] if isinstance(m, ToolMessage)]
    assert sorted(answered) == sorted(c["id"] for c in plan_turn.tool_calls)


def test_self_steps_ask_the_agents_model_and_answer_steps_fold(
    planning: LLMOrchMiddleware,
) -> None:
    """A `self` step that feeds a tool runs as a call; one that only feeds the answer is the
    answering turn's work (as LLMOrch's joiner does it): no call, no extra model request."""
    plan = (
        f's1: spin(n={A})\ns2: self(prompt="double {{s1}}")\ns3: lookup(key="{{s2}}")\n'
        's4: self(prompt="Say {s3} nicely")'
    )
    prompts: list[str] = []

    def script(messages: list[BaseMessage]) -> str:
        if request_kind(messages) == "plan":
            return plan
        prompts.append(messages[-1].text)
        if messages[-1].text.startswith("double "):  # the self step's prompt
            return str(2 * int(messages[-1].text.split()[1]))
        return answer(messages)

    agent = create_agent(ScriptedChatModel(script), Calls().tools(), middleware=[planning])
    out = agent.invoke(QUESTION)
    tools = {
        m.tool_call_id.rsplit("-", 1)[1]: m for m in out["messages"] if isinstance(m, ToolMessage)
    }
    assert sorted(tools) == ["s1", "s2", "s3"]
    assert tools["s2"].text == str(2 * spin.func(A))
    assert tools["s3"].text == f"value of {2 * spin.func(A)}"
    plan_turn = next(m for m in out["messages"] if isinstance(m, AIMessage) and m.tool_calls)
    assert "s4: self(" in plan_turn.text  # the answering turn sees the step it is to do
    assert not any(p.startswith("Say ") for p in prompts)
    assert out["messages"][-1].text == answer(out["messages"][:-1])


def test_summarization_sees_whole_tool_turns_and_the_answers_stay(
    planning: LLMOrchMiddleware,
) -> None:
    """SummarizationMiddleware cuts the history at a turn boundary: a plan turn's tool calls
    and their results stay together, or are summarised together, as with plain turns."""
    outs = {}
    for label, model, extra in (
        ("plain", react_model(), []),
        ("ours", planner_model(), [planning]),
    ):
        summarize = SummarizationMiddleware(
            model=ScriptedChatModel(lambda _: "SUMMARY"),
            trigger=("messages", 6),
            keep=("messages", 3),
        )
        agent = create_agent(
            model,
            Calls().tools(),
            middleware=[summarize, *extra],
            checkpointer=InMemorySaver(),
        )
        config = {"configurable": {"thread_id": label}}
        agent.invoke(QUESTION, config)
        outs[label] = agent.invoke({"messages": [("user", "and again")]}, config)
    for label, out in outs.items():
        messages = out["messages"]
        assert any("SUMMARY" in m.text for m in messages), label  # it did summarise
        asked = {c["id"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls}
        answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
        assert answered <= asked, label  # no result kept without the call that asked for it
        assert messages[-1].text.startswith("answer: "), label

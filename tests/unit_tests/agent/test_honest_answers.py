"""Honest when calls fail: no value for a failed call, recovery keeps the question's meaning,
programmer errors fail fast, and every call is visible in LangGraph's own stream modes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from langchain_llmorch import create_llmorch_agent, inout
from langchain_llmorch.agent.claims import unsupported_numbers
from langchain_llmorch.agent.recovery import is_programmer_error, replaced_subjects
from langchain_llmorch.agent.transcript import is_transcript
from langchain_llmorch.plan.language import parse_plan
from langchain_llmorch.testing import ScriptedChatModel, planner_or, request_call, request_kind

PRICES = {"ACME": 182.4, "INITECH": 41.7, "GLOBEX": 77.25, "UMBRELLA": 12.5}
POPULATIONS = {"Oslo": 709037, "Lima": 10092000, "Accra": 2388000, "Quito": 2800000}


@inout
def share_price(ticker: str) -> float:
    """The last share price of a ticker symbol."""
    return PRICES[ticker]


@inout
def population(city: str) -> int:
    """How many people live in a city."""
    return POPULATIONS[city]


# Eight questions, each with one subject that does not exist: (tool, known, missing).
CASES = [
    ("share_price", "ticker", "ACME", "ZZZZ"),
    ("share_price", "ticker", "INITECH", "QWERTY"),
    ("share_price", "ticker", "GLOBEX", "NOPE"),
    ("share_price", "ticker", "UMBRELLA", "XYZ1"),
    ("population", "city", "Oslo", "Atlantis"),
    ("population", "city", "Lima", "Eldorado"),
    ("population", "city", "Accra", "Gondor"),
    ("population", "city", "Quito", "Shangri-La"),
]


class Inventor:
    """A model that plans right and invents a value for the subject that failed.

    `stubborn`: it invents again when asked to correct itself.
    """

    def __init__(self, tool: str, arg: str, known: str, missing: str, *, stubborn: bool) -> None:
        self.plan = f's1: {tool}({arg}="{known}")\ns2: {tool}({arg}="{missing}")'
        self.known, self.missing, self.stubborn = known, missing, stubborn
        self.answers: list[str] = []

    def __call__(self, messages: list[BaseMessage]) -> str:
        kind = request_kind()
        if kind == "plan":
            return self.plan
        if kind == "recover":
            return ""  # no better call: keep it
        corrected = len(self.answers) > 0
        if corrected and not self.stubborn:
            text = f"I found {self.known}; the figure for {self.missing} is not available."
        else:
            text = f"{self.known} is at the figure shown, and {self.missing} is at 99.5."
        self.answers.append(text)
        return text


@pytest.mark.parametrize("stubborn", [False, True])
def test_no_answer_states_a_value_for_a_subject_that_failed(stubborn: bool) -> None:
    invented_before = invented_after = 0
    for tool, arg, known, missing in CASES:
        model = Inventor(tool, arg, known, missing, stubborn=stubborn)
        agent = create_llmorch_agent(
            ScriptedChatModel(model), [share_price, population], max_recoveries=1
        )
        out = agent.invoke({"messages": [("user", f"What about {known} and {missing}?")]})
        answer = out["messages"][-1].text
        invented_before += "99.5" in model.answers[0]
        invented_after += "99.5" in answer
        assert missing in answer  # the missing subject is named ...
        assert unsupported_numbers(answer, out["results"].values(), "") == []  # ... no value
        assert "s2" in out["errors"]
    assert (invented_before, invented_after) == (len(CASES), 0)


def test_recovery_may_not_replace_what_the_question_asked_for() -> None:
    """The unknown ticker is not silently looked up as the known one."""
    model = planner_or(
        's1: share_price(ticker="ACME")\ns2: share_price(ticker="ZZZZ")',
        "ACME trades at 182.4; ZZZZ is not available.",
        recover={"s2": 's2: share_price(ticker="ACME")'},
    )
    agent = create_llmorch_agent(model, [share_price])
    events = list(
        agent.stream(
            {"messages": [("user", "Prices of ACME and ZZZZ?")]}, stream_mode=["custom", "values"]
        )
    )
    custom = [e for mode, e in events if mode == "custom"]
    out = next(e for mode, e in reversed(events) if mode == "values")
    (rewritten,) = [e for e in custom if e["event"] == "rewritten"]
    assert rewritten["old_args"] == {"ticker": "ZZZZ"}
    assert rewritten["new_args"] == {"ticker": "ACME"}
    assert rewritten["kept"] is False
    assert out["rewrites"][0]["error"].startswith("KeyError")
    assert "s2" in out["errors"]  # the failure stands: ZZZZ was never found
    assert "ZZZZ" in out["messages"][-1].text
    assert "ZZZZ" in out["failure"]


def test_a_rewrite_that_fixes_the_form_is_kept_and_recorded() -> None:
    model = planner_or(
        's1: share_price(ticker="acme")',
        "ACME trades at 182.4.",
        recover={"s1": 's1: share_price(ticker="ACME")'},
    )
    out = create_llmorch_agent(model, [share_price]).invoke(
        {"messages": [("user", "Price of acme?")]}
    )
    assert out["results"] == {"s1": 182.4}
    assert out["errors"] == {}
    assert out["rewrites"] == [
        {
            "id": "s1",
            "old": 'share_price(ticker="acme")',
            "new": 'share_price(ticker="ACME")',
            "error": "KeyError: 'acme'",
            "kept": True,
            "replaced": [],
        }
    ]


def test_subjects_the_question_gave_are_told_from_fixes_of_form() -> None:
    old, swapped, spelled, other = parse_plan(
        's1: f(name="Aple")\ns1: f(name="Banana")\ns1: f(name="Apple")\ns1: f(name="Aple", n=2)'
    ).calls
    assert replaced_subjects(old, swapped, "Price of Aple?") == ["'Aple' -> 'Banana'"]
    assert replaced_subjects(old, spelled, "Price of Aple?") == []
    assert replaced_subjects(old, other, "Price of Aple?") == []  # a parameter added
    assert replaced_subjects(old, swapped, "Price of fruit?") == []  # the model's own value


def test_a_programmer_error_spends_no_recovery_turn() -> None:
    def broken(ticker: str) -> float:
        """A tool whose code calls another function wrongly."""
        raise TypeError("lookup() got an unexpected keyword argument 'symbol'")

    tool = inout(broken)
    seen: list[str] = []

    def script(messages: list[BaseMessage]) -> str:
        seen.append(request_kind())
        return 's1: broken(ticker="ACME")' if request_kind() == "plan" else "Not available."

    out = create_llmorch_agent(ScriptedChatModel(script), [tool]).invoke(
        {"messages": [("user", "Price of ACME?")]}
    )
    assert seen == ["plan", "join"]  # no recover request
    assert out["recoveries"] == 0
    assert "no rewrite can fix" in out["failure"]
    assert is_programmer_error(TypeError("f() missing 1 required positional argument: 'x'"))
    assert not is_programmer_error(TypeError("unsupported operand type(s) for +"))


def test_each_call_shows_as_tool_use_and_the_answer_stays_last() -> None:
    model = planner_or(
        's1: share_price(ticker="ACME")\ns2: share_price(ticker="ZZZZ")',
        "ACME trades at 182.4; ZZZZ is not available.",
    )
    out = create_llmorch_agent(model, [share_price], max_recoveries=0).invoke(
        {"messages": [("user", "Prices of ACME and ZZZZ?")]}
    )
    messages = out["messages"]
    calls, *tools, answer = messages[1:]
    assert isinstance(calls, AIMessage)
    assert [(c["name"], c["args"]) for c in calls.tool_calls] == [
        ("share_price", {"ticker": "ACME"}),
        ("share_price", {"ticker": "ZZZZ"}),
    ]
    assert [t.content for t in tools] == ["182.4", "KeyError: 'ZZZZ'"]
    assert all(isinstance(t, ToolMessage) for t in tools)
    assert [t.status for t in tools] == ["success", "error"]  # type: ignore[attr-defined]
    assert [t.tool_call_id for t in tools] == [c["id"] for c in calls.tool_calls]  # type: ignore[attr-defined]
    assert answer.text.startswith("ACME trades at 182.4")
    assert all(is_transcript(m) for m in [calls, *tools])


def test_a_second_turn_plans_from_what_was_said_not_from_the_tool_messages() -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    prompts: list[list[BaseMessage]] = []

    def script(messages: list[BaseMessage]) -> str:
        if request_kind() == "plan":
            prompts.append(messages)
            return 's1: share_price(ticker="ACME")'
        return "ACME: 182.4."

    agent = create_llmorch_agent(
        ScriptedChatModel(script), [share_price], checkpointer=InMemorySaver()
    )
    config: Any = {"configurable": {"thread_id": "t"}}
    agent.invoke({"messages": [("user", "ACME?")]}, config)
    agent.invoke({"messages": [("user", "And again?")]}, config)
    assert not any(isinstance(m, ToolMessage) for m in prompts[1])
    assert "ACME: 182.4." in [m.text for m in prompts[1]]


def test_stream_modes_tell_the_plan_from_the_answer_and_say_when_planning_starts() -> None:
    model = planner_or('s1: share_price(ticker="ACME")', "ACME trades at 182.4.")
    agent = create_llmorch_agent(model, [share_price])
    chunks = list(
        agent.stream({"messages": [("user", "ACME?")]}, stream_mode=["messages", "custom"])
    )
    custom = [e for mode, e in chunks if mode == "custom"]
    assert custom[0]["event"] == "planning"
    assert [e["event"] for e in custom].index("planning") < [e["event"] for e in custom].index(
        "started"
    )
    messages = [data for mode, data in chunks if mode == "messages"]
    kinds = [meta.get("llmorch_request") for _, meta in messages]
    assert "plan" in kinds
    assert "join" in kinds
    planned = [m for m, meta in messages if "llmorch:plan" in meta.get("tags", [])]
    answers = [m for m, meta in messages if isinstance(m, AIMessage) and m.text.startswith("ACME")]
    assert len({m.id for m in answers}) == 1  # the answer's tokens, not the answer twice
    assert planned
    assert re.search(r"share_price", planned[0].text)


def test_the_recovery_request_names_its_call() -> None:
    seen: list[str | None] = []

    def script(messages: list[BaseMessage]) -> str:
        if request_kind() == "plan":
            return 's1: share_price(ticker="ACME")\ns2: share_price(ticker="ZZZZ")'
        if request_kind() == "recover":
            seen.append(request_call())
            return ""
        return "ACME: 182.4; ZZZZ not available."

    create_llmorch_agent(ScriptedChatModel(script), [share_price], max_recoveries=1).invoke(
        {"messages": [("user", "ACME and ZZZZ?")]}
    )
    assert seen == ["s2"]

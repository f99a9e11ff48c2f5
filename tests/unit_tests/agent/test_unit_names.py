"""A call given only a unit word as a name ("km" of "a 250 km drive") is dropped."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.amount_fit import unit_names
from langchain_llmorch.agent.refit import refitted
from langchain_llmorch.agent.tool_fit import fit_doubts
from langchain_llmorch.testing import ScriptedChatModel, request_kind


@inout
def boat_speed(boat: str) -> float:
    """How fast a rowing boat goes, in kilometres per hour."""
    return {"Swift": 9.5}[boat]


@inout
def unit_factor(from_unit: str, to_unit: str) -> float:
    """How many of one unit make one of another."""
    return 0.2642


QUESTION = "How far does the Swift get in 3 hours?"


def test_a_unit_word_or_an_amount_as_a_name_is_doubted_and_dropped() -> None:
    for bogus in ("hours", "3 hours", "hour"):
        plan = parse_plan(f's1: boat_speed(boat="Swift")\ns2: boat_speed(boat="{bogus}")')
        assert [(c.id, a) for c, a in unit_names(plan, QUESTION, [boat_speed])] == [("s2", "boat")]
        assert any("unit of an amount" in d for d in fit_doubts(plan, QUESTION, [boat_speed]))
        fixed = refitted(plan, QUESTION, [boat_speed])
        assert fixed is not None
        assert fixed.render() == 's1: boat_speed(boat="Swift")'


def test_units_that_are_names_or_not_amounts_are_kept() -> None:
    plan = parse_plan('s1: boat_speed(boat="Swift")\ns2: boat_speed(boat="hours")')
    # The question writes no amount in hours.
    assert unit_names(plan, "How fast are the Swift and the hours?", [boat_speed]) == []
    # A plan's only call stays, and so does an argument that takes units.
    only = parse_plan('s1: boat_speed(boat="hours")')
    assert unit_names(only, QUESTION, [boat_speed]) == []
    units = parse_plan(
        's1: boat_speed(boat="Swift")\ns2: unit_factor(from_unit="hours", to_unit="days")'
    )
    assert unit_names(units, QUESTION, [boat_speed, unit_factor]) == []
    # Another amount than the question's is not its amount.
    other = parse_plan('s1: boat_speed(boat="Swift")\ns2: boat_speed(boat="5 hours")')
    assert unit_names(other, QUESTION, [boat_speed]) == []


def test_the_agent_runs_without_the_unit_call_and_without_a_repair_request() -> None:
    kinds: list[str] = []

    def script(messages: list[BaseMessage]) -> str:
        kinds.append(request_kind(messages))
        if kinds[-1] in {"plan", "repair"}:
            return 's1: boat_speed(boat="Swift")\ns2: boat_speed(boat="hours")'
        return "The Swift rows 28.5 km in 3 hours."

    agent = create_llmorch_agent(ScriptedChatModel(script), [boat_speed], check_plans=True)
    out: dict[str, Any] = agent.invoke({"messages": [("user", QUESTION)]})
    assert kinds.count("plan") == 1
    assert "repair" not in kinds
    assert out.get("errors", {}) == {}
    assert "not found" not in out["messages"][-1].text

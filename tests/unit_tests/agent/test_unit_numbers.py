"""Numbers a unit conversion of the user's amounts gives, where a tool names the unit.

"for 90 minutes" may become `hours=1.5` under the plan grammar and the plan checks, but
only into a unit an argument's name or a tool's description names.
"""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.checks import plan_doubts
from langchain_llmorch.agent.refit import refitted
from langchain_llmorch.agent.tool_fit import fit_doubts
from langchain_llmorch.agent.tool_inputs import tool_defaults, tool_inputs, tool_vocabulary
from langchain_llmorch.agent.unit_numbers import conversions, converted_numbers, tool_units
from langchain_llmorch.local.grammar import given_numbers, plan_grammar


@inout
def parking_fee(garage: str, hours: float) -> float:
    """What parking costs in a garage for a number of hours, in euros."""
    return 2.5 * hours


@inout
def parcel_price(weight_kg: float) -> float:
    """What shipping a parcel costs, by its weight."""
    return 4.0 + weight_kg


@inout
def trail_time(distance: float) -> float:
    """Hours a hike takes over a distance in kilometres."""
    return distance / 4


@inout
def bottle_count(volume: float) -> int:
    """How many bottles a volume of juice fills, in litres."""
    return int(volume / 0.75)


@pytest.mark.parametrize(
    ("question", "tool", "converted"),
    [
        ("Park for 90 minutes", parking_fee, 1.5),
        ("Park for 45 min", parking_fee, 0.75),
        ("Ship a 2500 g parcel", parcel_price, 2.5),
        ("Hike 12500 m", trail_time, 12.5),
        ("Fill 1500 ml", bottle_count, 1.5),
    ],
)
def test_an_amount_is_given_in_the_unit_a_tool_names(
    question: str, tool: object, converted: float
) -> None:
    numbers = given_numbers([HumanMessage(question)], [tool])  # type: ignore[list-item]
    assert converted in numbers


def test_no_conversion_without_a_unit_a_tool_names_or_a_plain_value() -> None:
    assert converted_numbers("Park for 90 minutes", "parking_fee minutes") == set()
    assert converted_numbers("Ship 2500 g", "shipping_price parcel") == set()
    # 2 hours is 0.0833 days: nobody writes that.
    assert converted_numbers("Run 2 hours", "days") == set()
    assert conversions("Buy 3 dozen eggs", set()) == {3.0: {36.0}}


def test_one_letter_units_are_read_from_names_only() -> None:
    assert tool_units([trail_time]) == {("length", 1000), ("time", 3600)}
    assert converted_numbers("Walk 2 km", "don't stop") == set()
    assert converted_numbers("Walk 2 km", "length_m") == {2000.0}


def test_the_grammar_allows_the_converted_number() -> None:
    numbers = given_numbers([HumanMessage("Parking for 90 minutes at Central?")], [parking_fee])
    grammar = plan_grammar([parking_fee], numbers=numbers)
    assert '"1.5"' in grammar


def test_the_plan_checks_take_a_converted_number_as_given_and_its_amount_as_used() -> None:
    question = "What does parking at the Central garage cost for 90 minutes?"
    plan = parse_plan('s1: parking_fee(garage="Central", hours=1.5)')
    tools = [parking_fee]
    doubts = plan_doubts(
        plan,
        question,
        tool_defaults(tools),
        question=question,
        vocabulary=tool_vocabulary(tools),
        inputs=tool_inputs(tools),
        tools=tools,
    )
    assert doubts == []
    wrong = parse_plan('s1: parking_fee(garage="Central", hours=2.5)')
    assert plan_doubts(wrong, question, tool_defaults(tools), tools=tools) == [
        "s1 uses 2.5, a number the question does not give"
    ]


def test_an_amount_given_in_the_questions_unit_is_doubted_and_converted() -> None:
    question = "What does parking at the Central garage cost for 90 minutes?"
    plan = parse_plan('s1: parking_fee(garage="Central", hours=90)')
    assert fit_doubts(plan, question, [parking_fee]) == [
        "s1 gives hours=90, but the question writes it in another unit: hours=1.5"
    ]
    fixed = refitted(plan, question, [parking_fee])
    assert fixed is not None
    assert fixed.render() == 's1: parking_fee(garage="Central", hours=1.5)'
    # The description names the unit when the argument's name does not.
    fixed = refitted(parse_plan("s1: bottle_count(volume=1500)"), "Fill 1500 ml", [bottle_count])
    assert fixed is not None
    assert fixed.render() == "s1: bottle_count(volume=1.5)"
    # Written in the argument's unit already: left alone.
    same = parse_plan('s1: parking_fee(garage="Central", hours=2)')
    assert refitted(same, "Parking at Central for 2 hours?", [parking_fee]) is None

"""A call moved to the tool whose words cover what the question asks clearly better.

Both tools may share a word of the question ("passengers"): the one that shares every
such word and more ("carry") is the better fit, unless the plan calls it already. A
moved call keeps the arguments the new tool takes.
"""

from __future__ import annotations

import pytest

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.refit import refitted
from langchain_llmorch.agent.tool_fit import misfits


@inout
def daily_riders(line: str) -> int:
    """Look up how many passengers ride a city bus line on an average day."""
    return 4200


@inout
def vehicle_seats(vehicle: str) -> int:
    """Look up how many passengers one vehicle of a type (e.g. a minibus) can carry."""
    return 80


@inout
def ferry_route(ferry: str) -> str:
    """Look up which harbour a ferry sails to; returns the harbour's name."""
    return "Kiel"


@inout
def harbour_berths(harbour: str) -> int:
    """Look up how many berths a harbour has for ferries."""
    return 12


@inout
def parking_fee(garage: str, hours: float) -> float:
    """What parking costs in a garage for a number of hours, in euros."""
    return 2.5 * hours


@inout
def charging_cost(station: str, hours: float) -> float:
    """What charging an electric car costs at a station for a number of hours."""
    return 4.0 * hours


@inout
def garage_spaces(garage: str) -> int:
    """Look up how many cars a garage has room for."""
    return 300


TRANSIT = [daily_riders, vehicle_seats]


def test_a_tool_that_covers_more_of_the_question_gets_the_call() -> None:
    question = "How many passengers can 6 double-decker buses carry?"
    plan = parse_plan('s1: daily_riders(line="double-decker bus")')
    (found,) = misfits(plan, question, TRANSIT)
    assert (found.tool.name, found.argument) == ("vehicle_seats", "line")
    fixed = refitted(plan, question, TRANSIT)
    assert fixed is not None
    assert fixed.render() == 's1: vehicle_seats(vehicle="double-decker bus")'


def test_a_right_call_that_shares_the_words_stays() -> None:
    riders = "How many passengers ride the Harbour line on an average day?"
    assert misfits(parse_plan('s1: daily_riders(line="Harbour")'), riders, TRANSIT) == []
    seats = "How many passengers can a minibus carry?"
    assert misfits(parse_plan('s1: vehicle_seats(vehicle="minibus")'), seats, TRANSIT) == []


def test_a_tie_or_a_tool_in_the_plan_already_moves_nothing() -> None:
    # "passengers" alone: both tools share it, neither covers more.
    question = "How many passengers does the double-decker have?"
    assert misfits(parse_plan('s1: daily_riders(line="double-decker")'), question, TRANSIT) == []
    # One clause asks for both: the look-up and the tool its result feeds.
    chain = "How many berths has the harbour that the ferry Aurora sails to?"
    plan = parse_plan('s1: ferry_route(ferry="Aurora")\ns2: harbour_berths(harbour=s1)')
    assert misfits(plan, chain, [ferry_route, harbour_berths]) == []
    assert refitted(plan, chain, [ferry_route, harbour_berths]) is None


def test_a_moved_call_keeps_the_arguments_the_new_tool_takes() -> None:
    tools = [parking_fee, charging_cost, garage_spaces]
    question = "What does parking in the Central garage cost for 3 hours?"
    plan = parse_plan('s1: charging_cost(station="Central", hours=3)')
    fixed = refitted(plan, question, tools)
    assert fixed is not None
    assert fixed.render() == 's1: parking_fee(garage="Central", hours=3)'


def test_a_moved_call_keeps_an_argument_of_another_name_when_one_is_left() -> None:
    @inout
    def parking_fee_by_time(garage: str, duration: float) -> float:
        """What parking costs in a garage for a duration in hours, in euros."""
        return 2.5 * duration

    tools = [parking_fee_by_time, charging_cost]
    question = "What does parking in the Central garage cost for 3 hours?"
    plan = parse_plan('s1: charging_cost(station="Central", hours=3)')
    fixed = refitted(plan, question, tools)
    assert fixed is not None
    assert fixed.render() == 's1: parking_fee_by_time(garage="Central", duration=3)'


def test_a_call_the_new_tool_needs_more_for_is_left_alone() -> None:
    question = "What does parking in the Central garage cost?"
    plan = parse_plan('s1: garage_spaces(garage="Central")')
    # parking_fee fits better but needs hours, which the call cannot give.
    found = misfits(plan, question, [parking_fee, garage_spaces])
    assert [f.tool.name for f in found] == ["parking_fee"]
    assert refitted(plan, question, [parking_fee, garage_spaces]) is None


@inout
def bread_price(bread: str) -> float:
    """Look up the price of one loaf of a bread, in euros."""
    return 1.3


@inout
def oven_cost(oven: str, hours: float) -> float:
    """What running a bakery oven costs, in euros, for a number of hours."""
    return 3.6 * hours


def test_a_word_and_its_noun_count_once() -> None:
    # "cost" is matched by the oven's "costs" and by the bread's "price": one word each,
    # so the oven covers no more of the question than the bread does.
    plan = parse_plan('s1: bread_price(bread="baguette")')
    question = "What do 3 dozen baguettes cost?"
    assert misfits(plan, question, [bread_price, oven_cost]) == []


@inout
def bread_flour(bread: str) -> int:
    """Look up how many grams of flour one loaf of a bread takes."""
    return 450


@inout
def bake_minutes(bread: str) -> int:
    """Look up how many minutes a loaf of a bread bakes in the oven."""
    return 40


BAKERY = [bread_price, bread_flour, bake_minutes]


@pytest.mark.parametrize(
    ("question", "tool"),
    [
        ("Which bread bakes longer, rye or spelt?", "bake_minutes"),
        ("Which loaf is cheaper, the rye or the spelt?", "bread_price"),
    ],
)
def test_names_alone_in_their_clause_are_asked_about_by_the_question(
    question: str, tool: str
) -> None:
    plan = parse_plan('s1: bread_flour(bread="rye")\ns2: bread_flour(bread="spelt")')
    fixed = refitted(plan, question, BAKERY)
    assert fixed is not None
    assert {call.tool for call in fixed.calls} == {tool}
    right = parse_plan(f's1: {tool}(bread="rye")\ns2: {tool}(bread="spelt")')
    assert refitted(right, question, BAKERY) is None

"""Calls a one-part question asks nothing of (`agent.unasked`)."""

from __future__ import annotations

import pytest

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.refit import refitted
from langchain_llmorch.agent.tool_fit import fit_doubts
from langchain_llmorch.agent.unasked import unasked_calls


@inout
def beam_range(lighthouse: str) -> float:
    """How many nautical miles a lighthouse's beam reaches."""
    return 18.0


@inout
def keeper(lighthouse: str) -> str:
    """Look up who keeps a lighthouse; returns the keeper's name."""
    return "Orla Fenn"


@inout
def keeper_years(keeper: str) -> int:
    """How many years a keeper has served."""
    return 12


@inout
def visit_price(lighthouse: str, visitors: int) -> float:
    """The price of a guided visit of a lighthouse for a number of visitors."""
    return 9.0


TOOLS = [beam_range, keeper, keeper_years, visit_price]


def _ids(plan: str, question: str) -> list[str]:
    return [call.id for call in unasked_calls(parse_plan(plan), question, TOOLS)]


def test_a_call_the_question_asks_nothing_of_is_left_out() -> None:
    plan = 's1: keeper(lighthouse="Skerrow")\ns2: visit_price(lighthouse="Skerrow", visitors=3)'
    question = "What does a guided visit of Skerrow cost for 3 visitors?"
    assert _ids(plan, question) == ["s1"]
    assert any(
        "s1 calls keeper" in doubt for doubt in fit_doubts(parse_plan(plan), question, TOOLS)
    )
    fixed = refitted(parse_plan(plan), question, TOOLS)
    assert fixed is not None
    assert fixed.render() == 's1: visit_price(lighthouse="Skerrow", visitors=3)'


def test_a_question_of_two_parts_keeps_every_call() -> None:
    plan = 's1: keeper(lighthouse="Skerrow")\ns2: beam_range(lighthouse="Skerrow")'
    question = "Who keeps Skerrow, and how far does its beam reach?"
    assert _ids(plan, question) == []


def test_a_look_up_whose_result_is_used_stays() -> None:
    plan = 's1: keeper(lighthouse="Skerrow")\ns2: keeper_years(keeper=s1)'
    assert _ids(plan, "How many years has the Skerrow keeper served?") == []


def test_nothing_is_left_out_where_no_call_is_asked_for() -> None:
    plan = 's1: keeper(lighthouse="Skerrow")\ns2: beam_range(lighthouse="Skerrow")'
    assert _ids(plan, "What is Skerrow like?") == []  # "like": no tool's word
    # Both asked ("beam" and "reach" are the range tool's; nothing is the keeper's).
    assert _ids(plan, "How far does the Skerrow beam reach?") == ["s1"]


@inout
def tower_height(lighthouse: str) -> float:
    """How many metres tall a lighthouse's stone tower is."""
    return 31.0


@inout
def tower_visitors(lighthouse: str) -> int:
    """How many people visit a lighthouse's stone tower in a year."""
    return 5200


def test_a_word_every_called_tool_shares_tells_none_apart() -> None:
    plan = 's1: tower_height(lighthouse="Skerrow")\ns2: tower_visitors(lighthouse="Skerrow")'
    tools = [tower_height, tower_visitors]
    question = "How many metres is the Skerrow stone tower?"  # "stone tower": both tools'
    assert [c.id for c in unasked_calls(parse_plan(plan), question, tools)] == ["s2"]
    both = "What are the height and the visitors of the Skerrow tower?"
    assert unasked_calls(parse_plan(plan), both, tools) == []


@inout
def room_price(hotel: str, nights: int) -> float:
    """The price of a room at a hotel for a number of nights."""
    return 270.0


@inout
def parking_fee(hotel: str, nights: int) -> float:
    """What parking a car at a hotel costs for a number of nights."""
    return 45.0


@pytest.mark.parametrize(
    "question",
    [
        "What will 3 nights at the Harbor Hotel cost me, parking included?",
        "What is the total for a 3 night stay at the Harbor Hotel plus parking?",
        "What do 3 nights at the Harbor Hotel cost with parking?",
    ],
)
def test_a_question_that_joins_a_second_thing_keeps_every_call(question: str) -> None:
    plan = (
        's1: room_price(hotel="Harbor Hotel", nights=3)\n'
        's2: parking_fee(hotel="Harbor Hotel", nights=3)'
    )
    assert unasked_calls(parse_plan(plan), question, [room_price, parking_fee]) == []


@pytest.mark.parametrize(
    "question",
    ["How long has Skerrow's keeper been in post?", "How long has Skerrow\u2019s keeper worked?"],
)
def test_a_possessive_s_is_no_word_a_tool_shares(question: str) -> None:
    """In "Skerrow's" the "s" matched the keeper tool's "keeper's" and no other, so the
    chain's end, the part asked, was dropped as asked nothing."""
    plan = 's1: keeper(lighthouse="Skerrow")\ns2: keeper_years(keeper=s1)'
    assert _ids(plan, question) == []


def test_with_a_possessive_a_call_asked_nothing_of_is_still_left_out() -> None:
    plan = 's1: keeper(lighthouse="Skerrow")\ns2: beam_range(lighthouse="Skerrow")'
    assert _ids(plan, "How far does Skerrow's beam reach?") == ["s1"]


@inout
def keeper_name(lighthouse: str) -> str:
    """Look up who keeps a lighthouse; returns the keeper's name."""
    return "Orla Fenn"


@pytest.mark.parametrize(
    "plan",
    [
        's1: keeper_name(lighthouse="Skerrow")\ns2: keeper_years(keeper=s1)',
        's1: keeper_name(lighthouse="Skerrow")\ns2: beam_range(lighthouse="Skerrow")',
    ],
)
def test_a_who_question_asks_no_number(plan: str) -> None:
    tools = [keeper_name, keeper_years, beam_range]
    found = unasked_calls(parse_plan(plan), "Who's in charge at Skerrow?", tools)
    assert [call.id for call in found] == ["s2"]


def test_a_who_question_that_also_asks_a_number_keeps_it() -> None:
    tools = [keeper_name, keeper_years]
    plan = parse_plan('s1: keeper_name(lighthouse="Skerrow")\ns2: keeper_years(keeper=s1)')
    assert unasked_calls(plan, "Who keeps Skerrow, and how long has she served?", tools) == []


def test_a_relative_who_asks_nothing_and_the_chain_s_end_stays() -> None:
    from langchain_llmorch.agent.unasked import asking_words

    question = "How many years has the keeper who keeps Skerrow served?"
    assert asking_words(question) == ["how"]
    tools = [keeper_name, keeper_years, beam_range]
    plan = parse_plan(
        's1: keeper_name(lighthouse="Skerrow")\ns2: keeper_years(keeper=s1)\n'
        's3: beam_range(lighthouse="Skerrow")'
    )
    assert [call.id for call in unasked_calls(plan, question, tools)] == ["s3"]


@inout
def scope_aperture(observatory: str) -> int:
    """Look up the diameter of an observatory's main telescope mirror, in centimetres."""
    return 183


@inout
def scope_time_cost(observatory: str, hours: int) -> float:
    """The fee, in dollars, for a number of hours of time on an observatory's telescope."""
    return 180.0 * hours


def test_a_look_up_beside_the_call_given_the_question_s_amount_is_unasked() -> None:
    # Both tools' words have "telescope"; only the fee's call is given the 5 hours.
    plan = parse_plan(
        's1: scope_aperture(observatory="Caldwick")\n'
        's2: scope_time_cost(observatory="Caldwick", hours=5)'
    )
    question = "I'd like 5 hours on the Caldwick telescope. What's the bill?"
    tools = [scope_aperture, scope_time_cost]
    assert [c.id for c in unasked_calls(plan, question, tools)] == ["s1"]
    # Asked of both: the mirror's size is a second thing asked.
    both = "I'd like 5 hours on the Caldwick telescope: how wide is its mirror, and the bill?"
    assert unasked_calls(plan, both, tools) == []


def test_a_bill_asks_a_fee() -> None:
    plan = parse_plan(
        's1: scope_aperture(observatory="Caldwick")\ns2: scope_time_cost(observatory="Caldwick", hours=3)'
    )
    # No amount the question states: the fee is told apart by "bill" alone.
    question = "What's the bill for the Caldwick telescope for three hours?"
    assert [c.id for c in unasked_calls(plan, question, [scope_aperture, scope_time_cost])] == [
        "s1"
    ]


def test_an_amount_said_in_words_is_the_question_s_too() -> None:
    plan = parse_plan(
        's1: scope_aperture(observatory="Caldwick")\n'
        's2: scope_time_cost(observatory="Caldwick", hours=2)'
    )
    question = "Two hours at Caldwick, how much altogether?"
    assert [c.id for c in unasked_calls(plan, question, [scope_aperture, scope_time_cost])] == [
        "s1"
    ]

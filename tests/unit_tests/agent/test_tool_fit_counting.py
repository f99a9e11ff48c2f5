"""A "how many" question planned with a tool that returns a name moves to the one tool that
counts what is asked of that kind of name ("the North and the East garages")."""

from __future__ import annotations

import pytest

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.refit import refitted
from langchain_llmorch.agent.tool_fit import fit_doubts


@inout
def car_garage(model: str) -> str:
    """Look up which garage a car model is parked in; returns the garage's name."""
    return "North"


@inout
def garage_cars(garage: str) -> int:
    """Look up how many cars are parked in a garage."""
    return 40


@inout
def garage_floors(garage: str) -> int:
    """Look up how many floors a garage has."""
    return 3


TOOLS = [car_garage, garage_cars, garage_floors]


def test_names_called_what_the_counting_tool_takes_move_to_it() -> None:
    plan = parse_plan('s1: car_garage(model="North")\ns2: car_garage(model="East")')
    question = "How many cars are parked in the North and the East garages altogether?"
    assert len(fit_doubts(plan, question, TOOLS)) == 2
    moved = refitted(plan, question, TOOLS)
    assert moved is not None
    assert [c.render() for c in moved.calls] == [
        's1: garage_cars(garage="North")',
        's2: garage_cars(garage="East")',
    ]


@pytest.mark.parametrize(
    ("source", "question"),
    [
        # The look-up is right: the question asks through it (the count is another step).
        (
            's1: car_garage(model="Vento")\ns2: garage_cars(garage=s1)',
            "How many cars are parked in the garage that the Vento is in?",
        ),
        # No number asked.
        ('s1: car_garage(model="Vento")', "Which garage is the Vento parked in?"),
    ],
)
def test_a_look_up_the_question_asks_for_is_kept(source: str, question: str) -> None:
    plan = parse_plan(source)
    assert fit_doubts(plan, question, TOOLS) == []

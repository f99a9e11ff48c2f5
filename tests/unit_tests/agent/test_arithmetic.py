"""Calculations an answer writes out are worked out again (`agent.arithmetic`)."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_llmorch import create_llmorch_agent, inout
from langchain_llmorch.agent.arithmetic import calculations_put_right, miscalculations
from langchain_llmorch.testing import planner_or


@pytest.mark.parametrize(
    ("said", "right"),
    [
        ("The berths add up to 410 + 96 = 410.", "The berths add up to 410 + 96 = 506."),
        ("That is 3,120 - 2,765 = 3120 metres.", "That is 3,120 - 2,765 = 355 metres."),
        ("4 x 47.5 = 180 euros", "4 x 47.5 = 190 euros"),
        ("It comes to 9 \u00d7 3 = 24.", "It comes to 9 \u00d7 3 = 27."),
        ("Half: 7 / 2 = 3", "Half: 7 / 2 = 3.5"),
        ("5 - 8 = 3 degrees", "5 - 8 = -3 degrees"),
    ],
)
def test_a_wrong_result_is_found_and_put_right(said: str, right: str) -> None:
    assert len(miscalculations(said)) == 1
    assert calculations_put_right(said) == right
    assert miscalculations(right) == []


@pytest.mark.parametrize(
    "said",
    [
        "The total is 410 + 96 = 506 berths.",
        "1.62 x 250 = 405.0 pounds.",
        "It is 27 x 0.5 = 13.5.",
        "3 + 4 + 5 = 12 in all.",  # "4 + 5 = 12" is the end of a longer sum
        "The box 12 + 3 = 15 holds them.",
        "Call 555-1234 = home.",  # no number after "="
        "Divide by zero: 4 / 0 = 0.",
    ],
)
def test_a_right_or_unreadable_calculation_is_left_alone(said: str) -> None:
    assert miscalculations(said) == []
    assert calculations_put_right(said) == said


@inout
def berths(marina: str) -> int:
    """Look up how many berths a marina has."""
    return {"Orla": 410, "Penn": 96}[marina]


@pytest.mark.parametrize("check", [True, False])
def test_a_miscalculated_answer_goes_back_and_is_put_right(*, check: bool) -> None:
    joins: list[str] = []

    def answer(request: str) -> str:
        joins.append(request)
        return "Together they have 410 + 96 = 410 berths."

    plan = 's1: berths(marina="Orla")\ns2: berths(marina="Penn")'
    agent = create_llmorch_agent(
        planner_or(plan, answer), [berths], check_answers=check, append_results=False
    )
    out: Any = agent.invoke({"messages": [("user", "How many berths do Orla and Penn have?")]})
    assert "410 + 96 = 506" in out["messages"][-1].text
    assert "works a calculation out wrong: 410 + 96 = 506, not 410" in joins[1]


def test_a_calculation_answer_put_right_stands_as_the_answer() -> None:
    @inout
    def output(mine: str) -> int:
        """Look up how many tonnes a mine produces per day."""
        return {"Orrin": 1150, "Wenlow": 890}[mine]

    plan = 's1: output(mine="Orrin")\ns2: output(mine="Wenlow")'
    agent = create_llmorch_agent(
        planner_or(plan, "1150 - 890 = 1150"), [output], check_answers=True, append_results=False
    )
    question = "What's the gap in daily output between Orrin and Wenlow?"
    out: Any = agent.invoke({"messages": [("user", question)]})
    assert out["messages"][-1].text == "1150 - 890 = 260"

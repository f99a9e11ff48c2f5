"""A result given as the gap between it and its pair (`agent.gap_claims`)."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.gap_claims import gaps_put_right, misstated_gaps
from langchain_llmorch.testing import planner_or

A, B = parse_plan('s1: depth(lake="Orm")\ns2: depth(lake="Vell")').calls
NUMERIC = {"s1": (A, 64.0), "s2": (B, 41.5)}


@pytest.mark.parametrize(
    ("said", "right"),
    [
        ("Orm is 64 metres deeper than Vell.", "Orm is 22.5 metres deeper than Vell."),
        ("Vell is 41.5 less than Orm.", "Vell is 22.5 less than Orm."),
        ("It lies 64.0 m lower than Vell, I think.", "It lies 22.5 m lower than Vell, I think."),
        ("Orm is larger than Vell by 64 meters.", "Orm is larger than Vell by 22.5 meters."),
        (
            "Vell is shallower than Orm by about 41.5 m.",
            "Vell is shallower than Orm by about 22.5 m.",
        ),
    ],
)
def test_a_result_given_as_the_gap_is_found_and_put_right(said: str, right: str) -> None:
    assert [gap.sentence for gap in misstated_gaps(said, NUMERIC)] == [said]
    assert gaps_put_right(said, NUMERIC) == right


@pytest.mark.parametrize(
    "said",
    [
        "Orm is 22.5 metres deeper than Vell.",
        "Orm is deeper than Vell by 22.5 metres.",
        "Orm is deeper than Vell by far, at 64 metres.",
        "Orm (64) is deeper than Vell (41.5).",
        "Orm is deeper than Vell: 64 against 41.5.",
        "Orm is 3 times deeper than a pond.",  # not a result
        "The depth of Orm = 64 is larger than the depth of Vell = 41.5.",  # a value compared
        "At 64 metres Orm, which is 64 m, was deeper than Vell.",
    ],
)
def test_the_gap_itself_or_a_comparison_without_one_is_no_claim(said: str) -> None:
    assert misstated_gaps(said, NUMERIC) == []


def test_results_of_two_tools_or_three_of_one_make_no_pair() -> None:
    c, d = parse_plan('s3: area(lake="Orm")\ns4: depth(lake="Tarn")').calls
    assert (
        misstated_gaps("Orm is 64 metres deeper than Vell.", {"s1": NUMERIC["s1"], "s3": (c, 41.5)})
        == []
    )
    three = {**NUMERIC, "s4": (d, 12.0)}
    assert misstated_gaps("Orm is 64 metres deeper than Vell.", three) == []


@inout
def depth(lake: str) -> float:
    """Look up how deep a lake is, in metres."""
    return {"Orm": 64.0, "Vell": 41.5}[lake]


def test_the_answer_checks_send_the_gap_back_and_put_it_right() -> None:
    joins: list[str] = []

    def answer(request: str) -> str:
        joins.append(request)
        return "Orm is 64 metres deeper than Vell. The difference is 22.5 metres."

    plan = 's1: depth(lake="Orm")\ns2: depth(lake="Vell")'
    agent = create_llmorch_agent(
        planner_or(plan, answer), [depth], check_answers=True, append_results=False
    )
    out: Any = agent.invoke({"messages": [("user", "How much deeper is Orm than Vell?")]})
    assert len(joins) == 2
    assert "Orm is 64 metres deeper than Vell." in joins[1]
    assert out["messages"][-1].text.startswith("Orm is 22.5 metres deeper than Vell.")

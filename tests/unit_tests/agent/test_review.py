"""An answer must say which calls failed (`agent.review.unacknowledged_failures`)."""

from __future__ import annotations

import pytest

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.review import unacknowledged_failures
from langchain_llmorch.testing import planner_or

(FAILED,) = parse_plan('s1: kiln_capacity(pottery="Brindle")').calls


@pytest.mark.parametrize(
    "answer",
    [
        "The kiln of Brindle holds     pots.",
        "Brindle's kiln fires pots every week.",
        "I could not find that.",  # says so, but not of what
        "",
    ],
)
def test_an_answer_that_does_not_say_the_call_failed_leaves_it_unacknowledged(
    answer: str,
) -> None:
    assert unacknowledged_failures(answer, {"s1": FAILED}) == ["s1"]


@pytest.mark.parametrize(
    "answer",
    [
        "I could not get the kiln capacity for Brindle.",
        "Brindle's kiln capacity is not available.",
        "There is no data for Brindle.",
        "The look-up for Brindle failed, so I cannot say.",
        "Brindle isn't in the register.",
    ],
)
def test_an_answer_that_says_the_call_failed_acknowledges_it(answer: str) -> None:
    assert unacknowledged_failures(answer, {"s1": FAILED}) == []


def test_only_the_failures_a_sentence_speaks_of_are_acknowledged() -> None:
    (other,) = parse_plan('s2: kiln_capacity(pottery="Okeford")').calls
    answer = "Okeford holds 40 pots. I could not find Brindle."
    assert unacknowledged_failures(answer, {"s1": FAILED, "s2": other}) == ["s2"]


@inout
def kiln_capacity(pottery: str) -> int:
    """Look up how many pots a pottery's kiln fires at once."""
    return {"Okeford": 40}[pottery]


def test_the_joiner_says_what_failed_when_the_answer_only_names_it() -> None:
    """The model's answer names the failed call's subject with a blank for its value: the
    answer then says the value could not be had, and why."""

    model = planner_or(
        's1: kiln_capacity(pottery="Brindle")', "The kiln of Brindle holds     pots."
    )
    agent = create_llmorch_agent(model, [kiln_capacity], max_recoveries=1)
    state = agent.invoke({"messages": [("user", "How many pots does Brindle's kiln fire?")]})
    answer = state["messages"][-1].text
    assert answer.startswith("The kiln of Brindle holds")
    assert "I could not get the kiln capacity for Brindle" in answer

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


def test_a_result_given_as_the_total_goes_back_then_the_total_is_written() -> None:
    from langchain_llmorch import create_llmorch_agent, inout
    from langchain_llmorch.testing import planner_or

    @inout
    def workforce(mine: str) -> int:
        """Look up how many people work at a mine."""
        return {"Orla": 212, "Pim": 147}[mine]

    joins: list[str] = []

    def answer(request: str) -> str:
        joins.append(request)
        return "147 workers in total. Orla has 212 and Pim 147."

    plan = 's1: workforce(mine="Orla")\ns2: workforce(mine="Pim")'
    agent = create_llmorch_agent(
        planner_or(plan, answer), [workforce], check_answers=True, append_results=False
    )
    out = agent.invoke({"messages": [("user", "Orla and Pim: how many workers in total?")]})
    assert len(joins) == 2
    assert "147 workers in total" in joins[1]
    assert out["messages"][-1].text.startswith("359 workers in total.")

"""Results given to the wrong subjects ("a ferret eats 150 g, a rabbit 55 g" when it is the
other way round) are contradicted claims, sent back and then put right."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.comparisons import (
    contradicted_comparisons,
    correct_comparisons,
    unanswered_comparisons,
)
from langchain_llmorch.plan.language import Call
from langchain_llmorch.testing import ScriptedChatModel, request_kind


def _numeric() -> dict[str, tuple[Call, float]]:
    a, b = parse_plan('s1: lantern_hours(lantern="Orla")\ns2: lantern_hours(lantern="Pim")').calls
    return {"s1": (a, 12.5), "s2": (b, 40)}


TRUTH = "the results are Orla (12.5), Pim (40)"


@pytest.mark.parametrize(
    "said",
    [
        "The Orla burns for 40 hours and the Pim for 12.5 hours.",
        "The Orla and the Pim burn for 40 and 12.5 hours, respectively.",
        "For the Orla it is 40, and for the Pim it is 12.5.",
        "40 hours for the Orla and 12.5 hours for the Pim.",
        "40 and 12.5 hours for the Orla and the Pim, respectively.",
    ],
)
def test_each_subject_given_the_other_s_result_is_contradicted(said: str) -> None:
    assert contradicted_comparisons(said, _numeric()) == [TRUTH]
    fixed = correct_comparisons(said + " Both were looked up.", _numeric())
    assert fixed == "The results are Orla (12.5), Pim (40). Both were looked up."


@pytest.mark.parametrize(
    "said",
    [
        "The Orla burns for 12.5 hours and the Pim for 40 hours.",
        "The Orla and the Pim burn for 12.5 and 40 hours, respectively.",
        "The Pim (40) burns longer than the Orla (12.5).",
        "The Pim burns longer than the Orla: 40 against 12.5.",
        "The Orla burns for 12.5 hours, 27.5 less than the Pim.",
        "Both lanterns were looked up.",
        "12.5 hours for the Orla and 40 hours for the Pim.",
        "12.5 and 40 hours for the Orla and the Pim, respectively.",
        "At 40 hours, the Pim burns longer than the Orla.",
    ],
)
def test_each_subject_with_its_own_result_is_kept(said: str) -> None:
    assert contradicted_comparisons(said, _numeric()) == []
    assert correct_comparisons(said, _numeric()) == said


def test_a_name_that_is_a_number_is_not_read_as_a_value() -> None:
    a, b = parse_plan("s1: square(n=4)\ns2: square(n=16)").calls
    numeric = {"s1": (a, 16), "s2": (b, 256)}
    assert contradicted_comparisons("The square of 4 is 16 and of 16 is 256.", numeric) == []


@inout
def daily_food(animal: str) -> int:
    """Look up how many grams of food an animal eats a day."""
    return {"ferret": 55, "rabbit": 150}[animal]


def test_a_comparison_asked_and_twice_not_made_is_made_from_the_results() -> None:
    swapped = "A ferret eats 150 grams a day, and a rabbit eats 55."

    def script(messages: list[BaseMessage]) -> str:
        if request_kind(messages) in {"plan", "repair"}:
            return 's1: daily_food(animal="ferret")\ns2: daily_food(animal="rabbit")'
        return swapped

    agent = create_llmorch_agent(
        ScriptedChatModel(script), [daily_food], check_plans=False, check_answers=True
    )
    question = "Which eats more food a day, a ferret or a rabbit?"
    out: dict[str, Any] = agent.invoke({"messages": [("user", question)]})
    said = out["messages"][-1].text
    assert "ferret (55)" in said
    assert "rabbit (150)" in said
    assert "rabbit (150) is larger than ferret (55)" in said
    assert "150 grams" not in said


def test_subjects_are_named_by_what_tells_them_apart() -> None:
    leeds, bristol = parse_plan(
        's1: stock(item="backpacks", warehouse="Leeds")\n'
        's2: stock(item="backpacks", warehouse="Bristol")'
    ).calls
    numeric = {"s1": (leeds, 8), "s2": (bristol, 25)}
    truth = "the results say Bristol (25) is larger than Leeds (8)"
    assert contradicted_comparisons("Leeds has more backpacks than Bristol.", numeric) == [truth]
    assert contradicted_comparisons("Bristol has more backpacks than Leeds.", numeric) == []
    question = "Which warehouse has more backpacks, Leeds or Bristol?"
    said = "Leeds has 8 backpacks and Bristol has 25."
    assert unanswered_comparisons(question, said, numeric) == [truth]


@pytest.mark.parametrize(
    "said",
    [
        "The Ironleaf's pool is 25.0 metres longer than the Forge's pool.",
        "The Ironleaf's pool is longer than the Forge's by 25 metres.",
    ],
)
def test_a_difference_equal_to_a_result_is_no_subject_s_value(said: str) -> None:
    ironleaf, forge = parse_plan(
        's1: pool_length(gym="Ironleaf")\ns2: pool_length(gym="Forge")'
    ).calls
    numeric = {"s1": (ironleaf, 50.0), "s2": (forge, 25.0)}
    assert contradicted_comparisons(said, numeric) == []
    assert contradicted_comparisons("The Ironleaf's pool is 25 metres long.", numeric) != []

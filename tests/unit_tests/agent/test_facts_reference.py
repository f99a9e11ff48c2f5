"""A result given for a quantity other than one unit ("100 grams") is scaled, not multiplied."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.facts import products, reference_of
from langchain_llmorch.testing import ScriptedChatModel, request_kind

PER_100G = "calories_per_100g Look up how many kilocalories 100 grams of a food have."


def _numeric(plan: str, value: float) -> dict[str, Any]:
    (call,) = parse_plan(plan).calls
    return {call.id: (call, value)}


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        (PER_100G, (100.0, ("g",))),
        ("energy Kilojoules in 100 grams of it.", (100.0, ("gram",))),
        ("fuel Litres a car burns on 100 km.", (100.0, ("km",))),
        ("water The price of 1,000 litres of water.", (1000.0, ("litre",))),
        ("price What one kilogram costs, in euros.", None),  # one unit: a plain rate
        ("price The price of 1 kg.", None),
        ("cities The 10 largest cities of a country.", None),  # not a unit
        ("squares_to_100 The sum of squares up to 100.", None),
    ],
)
def test_the_reference_quantity_is_read_from_the_tools_words(
    text: str, reference: tuple[float, tuple[str, ...]] | None
) -> None:
    assert reference_of(text) == reference


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("How many calories do 100 g of oats have?", 389),  # the result itself
        ("How many calories are in 250 grams of oats?", 972.5),
        ("How many calories are in 150 grams of oats?", 583.5),
    ],
)
def test_an_amount_in_the_reference_unit_is_divided_by_the_reference(
    question: str, value: float
) -> None:
    numeric = _numeric('s1: calories_per_100g(food="oats")', 389)
    references = {"calories_per_100g": reference_of(PER_100G)}
    (fact,) = products(question, numeric, references=references)  # type: ignore[arg-type]
    assert fact.value == pytest.approx(value)
    assert "/ 100" in fact.text


@pytest.mark.parametrize(
    "question", ["Calories in 3 cups of oats?", "Calories in 2 lb of oats?", "Calories in 3 oats?"]
)
def test_an_amount_in_another_unit_or_none_is_not_multiplied(question: str) -> None:
    numeric = _numeric('s1: calories_per_100g(food="oats")', 389)
    references = {"calories_per_100g": reference_of(PER_100G)}
    assert products(question, numeric, references=references) == []  # type: ignore[arg-type]
    assert products(question, numeric) != []  # without the reference: multiplied


@inout
def calories_per_100g(food: str) -> int:
    """Look up how many kilocalories 100 grams of a food have."""
    return {"oats": 389}[food]


@pytest.mark.parametrize("checks", [True, False])
def test_every_models_joiner_is_told_the_scaled_amount(*, checks: bool) -> None:
    asked: list[str] = []

    def script(messages: list[BaseMessage]) -> str:
        if request_kind(messages) == "plan":
            return 's1: calories_per_100g(food="oats")'
        asked.append(messages[-1].text)
        return "100 g of oats have 389 kilocalories."

    agent = create_llmorch_agent(
        ScriptedChatModel(script), [calories_per_100g], check_answers=checks
    )
    agent.invoke({"messages": [("user", "How many calories do 100 g of oats have?")]})
    assert asked
    assert not any("38900" in text for text in asked)  # never 100 x the result for 100 g

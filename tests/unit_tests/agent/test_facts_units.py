"""An amount in the unit a tool gives its rate for is multiplied, though no name follows it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.facts import per_unit_of, products
from langchain_llmorch.testing import ScriptedChatModel, request_kind

RATE = "Look up what a carrier charges to ship one kilogram, in euros."


def _numeric(plan: str, value: float) -> dict[str, Any]:
    (call,) = parse_plan(plan).calls
    return {call.id: (call, value)}


@pytest.mark.parametrize(
    ("question", "description", "priced"),
    [
        ("Ship a parcel of 12 kg.", RATE, True),
        ("Ship a parcel of 12 kilograms.", RATE, True),
        ("Run it for 3 hours.", "The cost per hour of running it.", True),
        ("Pour 40 litres.", "The price of a litre of milk.", True),
        ("Ship 12 parcels.", RATE, False),  # parcels are not what it prices
        ("Ship a parcel of 12 kg.", "What a carrier charges per parcel.", False),
        ("Ship a parcel of 12.", RATE, False),  # no unit
    ],
)
def test_a_unit_the_description_prices(question: str, description: str, *, priced: bool) -> None:
    number = re.search(r"\d+", question)
    assert number is not None
    end = number.end()
    assert per_unit_of(question, end, description) is priced


def test_the_product_needs_the_tools_description() -> None:
    numeric = _numeric('s1: rate(carrier="Swiftpost")', 2.35)
    question = "What does Swiftpost charge to ship a parcel of 12 kg?"
    assert products(question, numeric) == []
    (fact,) = products(question, numeric, descriptions={"rate": RATE})
    assert fact.value == pytest.approx(28.2)
    assert fact.text == 'rate(carrier="Swiftpost") x 12 = 2.35 x 12 = 28.2'


@inout
def rate(carrier: str) -> float:
    """Look up what a carrier charges to ship one kilogram, in euros."""
    return {"Swiftpost": 2.35}[carrier]


@pytest.mark.parametrize("checks", [True, False])
def test_the_joiner_is_told_the_amount_times_the_rate_with_the_answer_checks(
    *, checks: bool
) -> None:
    asked: list[str] = []

    def script(messages: list[BaseMessage]) -> str:
        if request_kind(messages) == "plan":
            return 's1: rate(carrier="Swiftpost")'
        asked.append(messages[-1].text)
        return "Shipping 12 kg with Swiftpost costs 28.2 euros."

    agent = create_llmorch_agent(ScriptedChatModel(script), [rate], check_answers=checks)
    agent.invoke({"messages": [("user", "What does Swiftpost charge to ship 12 kg?")]})
    # other models' joiners (answer checks off by default) are told what they were before
    assert any("2.35 x 12 = 28.2" in text for text in asked) is checks


def test_an_amount_of_a_name_holding_and_is_multiplied_with_the_answer_checks() -> None:
    numeric = _numeric('s1: pages(book="Salt and Cedar")', 264)
    question = "How many pages do 3 copies of Salt and Cedar have in all?"
    assert products(question, numeric) == []  # other models: as before
    (fact,) = products(question, numeric, descriptions={})
    assert fact.value == 792
    # an "and" before the name still ends the amount
    other = "How many pages do 3 copies have, and Salt and Cedar?"
    assert products(other, numeric, descriptions={}) == []


@pytest.mark.parametrize(
    ("question", "description", "tool", "value"),
    [
        # Another unit of the family the tool prices one of: converted first.
        ("What do 500 grams of the Tamsin cost?", "What one kilogram costs.", "price", 13.5),
        ("What do 500 grams of the Tamsin cost?", "The price of the Tamsin.", "price_per_kg", 13.5),
        ("What does the Tamsin cost for 90 minutes?", "The cost per hour.", "price", 40.5),
        # The same unit, or a count: as it is.
        ("What do 3 kg of the Tamsin cost?", "What one kilogram costs.", "price", 81.0),
        ("What do 3 bags of the Tamsin cost?", "What one kilogram costs.", "price", 81.0),
    ],
)
def test_an_amount_in_another_unit_of_the_priced_one_is_converted(
    question: str, description: str, tool: str, value: float
) -> None:
    numeric = _numeric(f's1: {tool}(blend="Tamsin")', 27.0)
    (fact,) = products(question, numeric, descriptions={tool: description})
    assert fact.value == pytest.approx(value)
    assert fact.tool == tool

"""A daily result kept up for a span said in words ("for a week": x 7)."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_llmorch import parse_plan
from langchain_llmorch.agent.facts import products

DESCRIPTIONS = {
    "tonnes_mined": "Look up how many tonnes of ore a mine produces per day.",
    "shaft_depth": "Look up how deep a mine's shaft goes.",
}


def _numeric(line: str, value: float) -> dict[str, tuple[Any, float]]:
    (call,) = parse_plan(line).calls
    return {"s1": (call, value)}


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("If Orla keeps up its output for a week, how many tonnes is that?", 7 * 415.0),
        ("How much does Orla mine over a fortnight?", 14 * 415.0),
        ("What is a week's output at Orla?", 7 * 415.0),
    ],
)
def test_a_daily_result_over_a_span_is_multiplied(question: str, value: float) -> None:
    numeric = _numeric('s1: tonnes_mined(mine="Orla")', 415.0)
    facts = products(question, numeric, descriptions=DESCRIPTIONS)
    assert [fact.value for fact in facts] == [pytest.approx(value)]


@pytest.mark.parametrize(
    ("line", "question"),
    [
        ('s1: shaft_depth(mine="Orla")', "How deep will Orla's shaft be in a week?"),  # not daily
        ('s1: tonnes_mined(mine="Orla")', "How much does Orla mine a day?"),  # no span
        ('s1: tonnes_mined(mine="Orla")', "What does Orla mine in 7 days, a week?"),  # digits
    ],
)
def test_no_daily_result_or_no_span_no_product(line: str, question: str) -> None:
    facts = products(question, _numeric(line, 415.0), descriptions=DESCRIPTIONS)
    assert [fact for fact in facts if "days in a" in fact.text] == []


def test_an_amount_joined_to_its_unit_by_a_hyphen_is_multiplied() -> None:
    numeric = _numeric('s1: milk_yield(farm="H")', 5460)
    descriptions = {"milk_yield": "Look up how many litres of milk a farm produces per day."}
    question = "Over a 30-day month at its daily yield, how many litres would H produce?"
    (fact,) = products(question, numeric, descriptions=descriptions)
    assert fact.value == 163800

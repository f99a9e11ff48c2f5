"""Amounts written in words are multiplied like digits (`facts.question_amounts`)."""

from __future__ import annotations

import pytest

from langchain_llmorch import parse_plan
from langchain_llmorch.agent.facts import products, question_amounts


def _numeric(line: str, value: float) -> dict[str, tuple[object, float]]:
    (call,) = parse_plan(line).calls
    return {"s1": (call, value)}


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("What do three days of passes at Orla come to?", 3 * 52.0),
        ("Mooring for a couple of nights at Orla: the damage?", 2 * 52.0),
        ("Half a dozen nights at Orla, what is that?", 6 * 52.0),
        ("What do 4 nights at Orla cost?", 4 * 52.0),
    ],
)
def test_an_amount_in_words_or_digits_is_multiplied(question: str, value: float) -> None:
    numeric = _numeric('s1: nightly_fee(marina="Orla")', 52.0)
    facts = products(question, numeric)  # type: ignore[arg-type]
    assert [fact.value for fact in facts] == [pytest.approx(value)]


@pytest.mark.parametrize(
    "question",
    [
        "Which of the two marinas, Orla or Pim, is dearer?",  # a count of what is looked up
        "What is the nightly fee at Orla?",
        "Is someone at Orla?",
    ],
)
def test_no_amount_no_product(question: str) -> None:
    numeric = _numeric('s1: nightly_fee(marina="Orla")', 52.0)
    assert products(question, numeric) == []  # type: ignore[arg-type]


def test_amounts_come_in_the_order_written() -> None:
    said = "Book a pair of berths for 3 nights"
    assert question_amounts(said) == [("a pair of", 14, 2.0), ("3", 27, 3.0)]

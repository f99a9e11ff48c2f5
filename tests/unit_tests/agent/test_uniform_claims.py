"""One value given to several subjects whose results differ ("50 litres each")."""

from __future__ import annotations

from langchain_llmorch import parse_plan
from langchain_llmorch.agent.comparisons import contradicted_comparisons, correct_comparisons
from langchain_llmorch.plan.language import Call


def _numeric(values: tuple[float, float]) -> dict[str, tuple[Call, float]]:
    a, b = parse_plan('s1: seat_count(venue="Odeon")\ns2: seat_count(venue="Rex")').calls
    return {"s1": (a, values[0]), "s2": (b, values[1])}


def test_each_with_one_number_is_contradicted_when_results_differ() -> None:
    numeric = _numeric((300, 210))
    said = "The Odeon and the Rex seat 300 people each."
    found = contradicted_comparisons(said, numeric)
    assert found == ["the results differ: Odeon (300), Rex (210)"]
    fixed = correct_comparisons(said + " Both were looked up.", numeric)
    assert fixed == "The results differ: Odeon (300), Rex (210). Both were looked up."


def test_both_and_the_same_are_contradicted() -> None:
    numeric = _numeric((300, 210))
    assert contradicted_comparisons("Both the Odeon and the Rex have 210 seats.", numeric)
    assert contradicted_comparisons("The Odeon and the Rex have the same size.", numeric)


def test_uniform_claims_that_hold_are_kept() -> None:
    same = _numeric((250, 250))
    assert contradicted_comparisons("The Odeon and the Rex seat 250 each.", same) == []
    differ = _numeric((300, 210))
    # Each its own number: not one value for both.
    said = "The Odeon and the Rex seat 300 and 210 people each."
    assert contradicted_comparisons(said, differ) == []
    assert contradicted_comparisons("The Odeon seats 300 people each night.", differ) == []

"""Facts the joiner is handed for what a question asks either way.

Which is smaller as well as larger, totals, differences, and an amount in any unit of
the family a tool's result is for ("per 100 kilometres" and "250 km" or "1500 m").
"""

from __future__ import annotations

import pytest
from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.aggregates import aggregates
from langchain_llmorch.agent.comparisons import orderings
from langchain_llmorch.agent.facts import products, reference_of
from langchain_llmorch.plan.language import Call
from langchain_llmorch.testing import ScriptedChatModel, request_kind


def _numeric(source: str, *values: float) -> dict[str, tuple[Call, float]]:
    calls = parse_plan(source).calls
    return {call.id: (call, value) for call, value in zip(calls, values, strict=True)}


FEES = _numeric('s1: loan_fee(library="Central")\ns2: loan_fee(library="Riverside")', 0.35, 0.5)
WATER = _numeric('s1: water(plant="tomato")\ns2: water(plant="basil")', 3.5, 1.2)


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("Which library is cheaper, Central or Riverside?", "Central (0.35) is cheaper than"),
        ("Which library charges less per day?", "Central (0.35) is smaller than"),
        ("Which library is the cheapest?", "Central (0.35) is smaller than"),
        ("Which library is dearer?", "Riverside (0.5) is larger than"),
    ],
)
def test_a_comparison_is_said_the_way_the_question_asks_it(question: str, said: str) -> None:
    (line,) = orderings(question, FEES)
    assert line.startswith(said)


def test_three_results_are_ranked_from_the_one_asked_for() -> None:
    numeric = _numeric(
        's1: height(tower="A")\ns2: height(tower="B")\ns3: height(tower="C")', 120, 300, 45
    )
    assert orderings("Which tower is the shortest?", numeric) == [
        "From smallest to largest: C (45), A (120), B (300)"
    ]
    assert orderings("Which tower is taller?", numeric) == [
        "From largest to smallest: B (300), A (120), C (45)"
    ]


@pytest.mark.parametrize(
    "question",
    [
        "How much water do a tomato and a basil plant need together?",
        "How much water do a tomato and a basil plant need in total?",
        "What is the combined water need of a tomato and a basil plant?",
        "How much water do they need altogether, tomato and basil?",
        "Between them, how much water do a tomato and a basil plant need?",
        "Add up the water a tomato and a basil plant need.",
        "What is the overall water need of a tomato and a basil plant?",
    ],
)
def test_a_total_is_computed_when_asked(question: str) -> None:
    (fact,) = aggregates(question, WATER)
    assert fact.value == 4.7
    assert fact.text == ('total: water(plant="tomato") 3.5 + water(plant="basil") 1.2 = 4.7')


@pytest.mark.parametrize(
    "question",
    [
        "How much more water does a tomato need than a basil plant?",
        "How many litres less does basil need than tomato?",
        "By how much does the water of tomato exceed basil's?",
        "What is the difference between the water of tomato and of basil?",
    ],
)
def test_a_difference_is_computed_larger_first_when_asked(question: str) -> None:
    (fact,) = aggregates(question, WATER)
    assert fact.value == 2.3
    assert fact.text.startswith('difference: water(plant="tomato") 3.5 - ')


def test_nothing_is_computed_when_not_asked_or_of_different_tools() -> None:
    assert aggregates("How much water do tomato and basil need?", WATER) == []
    mixed = _numeric('s1: water(plant="mint")\ns2: price(plant="mint")', 2.1, 1.5)
    assert aggregates("What do water and price of mint come to in total?", mixed) == []


PER_100KM = "fuel_per_100km: litres of fuel a car uses per 100 kilometres"


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("How much fuel does the Zoe use over 250 km?", 13.0),
        ("How much fuel does the Zoe use on a 1500 m drive?", 0.078),
        ("How much fuel does the Zoe use over 40 kilometres?", 2.08),
    ],
)
def test_an_amount_in_the_reference_family_is_scaled(question: str, value: float) -> None:
    numeric = _numeric('s1: fuel_per_100km(car="Zoe")', 5.2)
    references = {"fuel_per_100km": reference_of(PER_100KM)}
    (fact,) = products(question, numeric, references=references)  # type: ignore[arg-type]
    assert fact.value == pytest.approx(value)


def test_an_amount_in_another_family_or_a_weight_in_kilos_for_grams() -> None:
    numeric = _numeric('s1: fuel_per_100km(car="Zoe")', 5.2)
    references = {"fuel_per_100km": reference_of(PER_100KM)}
    assert products("Fuel over 300 miles?", numeric, references=references) == []  # type: ignore[arg-type]
    oats = _numeric('s1: calories_per_100g(food="oats")', 389)
    per_100g = {"calories_per_100g": reference_of("kilocalories 100 grams of a food have")}
    (fact,) = products("Calories in 2 kg of oats?", oats, references=per_100g)  # type: ignore[arg-type]
    assert fact.value == pytest.approx(7780)


def test_a_reference_in_days_or_weeks_is_read() -> None:
    assert reference_of("rent_per_2_weeks: the rent of a flat for 2 weeks") == (2.0, ("week",))


@inout
def plant_water(plant: str) -> float:
    """Look up how many litres of water one plant needs per week."""
    return {"tomato": 3.5, "basil": 1.2}[plant]


@pytest.mark.parametrize("checks", [True, False])
def test_the_joiner_is_handed_a_total_with_the_answer_checks_only(*, checks: bool) -> None:
    asked: list[str] = []

    def script(messages: list[BaseMessage]) -> str:
        if request_kind(messages) == "plan":
            return 's1: plant_water(plant="tomato")\ns2: plant_water(plant="basil")'
        asked.append(messages[-1].text)
        return "Together they need 4.7 litres a week."

    agent = create_llmorch_agent(ScriptedChatModel(script), [plant_water], check_answers=checks)
    question = "How much water do a tomato and a basil plant need together per week?"
    state = agent.invoke({"messages": [("user", question)]})
    assert asked
    told = any("= 4.7" in text for text in asked)
    assert told is checks
    assert state["messages"][-1].text.startswith("Together they need 4.7 litres")


def test_an_amount_in_dozens_is_multiplied_as_a_count() -> None:
    numeric = _numeric('s1: bread_price(bread="baguette")', 1.3)
    (fact,) = products("What do 3 dozen baguettes cost?", numeric)
    assert fact.value == pytest.approx(46.8)
    assert "x 36 =" in fact.text


@pytest.mark.parametrize(
    "question",
    [
        "How many years passed between A being first lit and B?",
        "How many years separate the lighting of A and B?",
        "How far apart in years were A and B first lit?",
    ],
)
def test_years_passed_between_two_results_ask_their_difference(question: str) -> None:
    from langchain_llmorch import parse_plan
    from langchain_llmorch.agent.aggregates import aggregates

    a, b = parse_plan('s1: year_lit(site="A")\ns2: year_lit(site="B")').calls
    (gap,) = aggregates(question, {"s1": (a, 1846), "s2": (b, 1891)})
    assert gap.value == 45

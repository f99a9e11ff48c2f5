"""Means and results per unit of another, computed for the joiner (`agent.aggregates`,
`agent.ratios`), and the call a per-unit question's plan misses (`agent.per_unit`)."""

from __future__ import annotations

import pytest

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.aggregates import aggregates
from langchain_llmorch.agent.per_unit import missing_divisors
from langchain_llmorch.agent.ratios import ratios
from langchain_llmorch.agent.refit import refitted


@inout
def tank_volume(tank: str) -> float:
    """Look up how many litres of water an aquarium tank holds."""
    return 2600.0


@inout
def tank_fish(tank: str) -> int:
    """Look up how many fish live in an aquarium tank."""
    return 60


@inout
def night_rate(hotel: str) -> float:
    """Look up what one night for one guest at a hotel costs."""
    return 90.0


@inout
def hotel_capacity(hotel: str) -> int:
    """Look up how many people a hotel holds."""
    return 120


TOOLS = [tank_volume, tank_fish, night_rate, hotel_capacity]
DESCRIPTIONS = {t.name: t.description for t in TOOLS}
KELP = parse_plan('s1: tank_volume(tank="Kelp")\ns2: tank_fish(tank="Kelp")').calls


def test_a_mean_of_one_tool_s_results_is_computed_when_asked() -> None:
    a, b, c = parse_plan(
        's1: tank_fish(tank="Reef")\ns2: tank_fish(tank="Kelp")\ns3: tank_fish(tank="Lagoon")'
    ).calls
    numeric = {"s1": (a, 85), "s2": (b, 60), "s3": (c, 140)}
    (mean,) = aggregates("What's the average number of fish in the three tanks?", numeric)
    assert mean.value == 95.0
    assert mean.text.startswith("mean: (")
    assert aggregates("How many fish are in the Reef tank?", numeric) == []
    # One result per tool: no mean of anything ("On average, how much per fish?").
    single = {"s1": (KELP[0], 2600.0), "s2": (KELP[1], 60)}
    assert aggregates("On average, how many litres does each fish get?", single) == []


@pytest.mark.parametrize(
    "question",
    [
        "How many litres of water per fish does the Kelp tank have?",
        "How much water does each fish in the Kelp tank get?",
        "For every fish in the Kelp tank, how many litres are there?",
    ],
)
def test_a_result_per_unit_of_another_is_computed(question: str) -> None:
    numeric = {"s1": (KELP[0], 2600.0), "s2": (KELP[1], 60)}
    (fact,) = ratios(question, numeric, DESCRIPTIONS)
    assert fact.value == pytest.approx(43.33)
    assert fact.text.startswith("per fish: tank_volume")


def test_no_ratio_without_a_unit_one_tool_names_or_of_two_subjects() -> None:
    numeric = {"s1": (KELP[0], 2600.0), "s2": (KELP[1], 60)}
    assert ratios("How many litres and fish does the Kelp tank have?", numeric, DESCRIPTIONS) == []
    assert ratios("How many litres per person?", numeric, DESCRIPTIONS) == []
    reef, kelp = parse_plan('s1: tank_volume(tank="Reef")\ns2: tank_fish(tank="Kelp")').calls
    two = {"s1": (reef, 1200.0), "s2": (kelp, 60)}
    assert ratios("How much water per fish?", two, DESCRIPTIONS) == []


def test_a_per_unit_plan_gets_the_call_it_misses_either_way() -> None:
    question = "How many litres of water per fish does the Kelp tank have?"
    volume = parse_plan('s1: tank_volume(tank="Kelp")')
    fixed = refitted(volume, question, TOOLS)
    assert fixed is not None
    assert fixed.render() == 's1: tank_volume(tank="Kelp")\ns2: tank_fish(tank="Kelp")'
    fish = parse_plan('s1: tank_fish(tank="Kelp")')
    ((call, tool),) = missing_divisors(fish, question, TOOLS)
    assert (call.id, tool.name) == ("s1", "tank_volume")


def test_a_rate_for_one_of_something_asks_no_quotient() -> None:
    # The night rate is for one guest already: a capacity is no divisor of it.
    plan = parse_plan('s1: night_rate(hotel="Lark")')
    assert missing_divisors(plan, "What does a night at the Lark cost per person?", TOOLS) == []


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("What's the average number of fish in the Reef and Kelp tanks?", True),
        ("On average, how many fish are in the Reef and Kelp tanks?", True),
        ("Averaged over the Reef and Kelp tanks, how many fish are there?", True),
        ("What's the mean number of fish in the Reef and Kelp tanks?", True),
        ("How many fish swim in the Reef and Kelp tanks on an average day altogether?", False),
        ("What does 'fish' mean for the Reef and Kelp tanks?", False),
    ],
)
def test_a_mean_is_asked_by_average_and_mean_not_by_an_average_day(
    question: str, asked: bool
) -> None:
    reef, kelp = parse_plan('s1: tank_fish(tank="Reef")\ns2: tank_fish(tank="Kelp")').calls
    numeric = {"s1": (reef, 85), "s2": (kelp, 60)}
    means = [f for f in aggregates(question, numeric) if f.text.startswith("mean:")]
    assert [f.value for f in means] == ([72.5] if asked else [])

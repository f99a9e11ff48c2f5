"""The held-out question sets are self-consistent: every expected call exists and answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from langchain_core.tools import BaseTool

from bench import (
    holdout2,
    holdout3,
    holdout4,
    holdout5,
    holdout6,
    holdout7,
    holdout8,
    holdout9,
    holdout10,
    holdout11,
    holdout12,
    holdout13,
)
from bench.local_questions import SETS, _normal, comparison_wrong

HELD_OUT = {
    **holdout2.SETS,
    **holdout3.SETS,
    **holdout4.SETS,
    **holdout5.SETS,
    **holdout6.SETS,
    **holdout7.SETS,
    **holdout8.SETS,
    **holdout9.SETS,
    **holdout10.SETS,
    **holdout11.SETS,
    **holdout12.SETS,
    **holdout13.SETS,
}


def _calls_by_tool(calls: frozenset[tuple[str, str, Any]]) -> dict[str, dict[str, Any]]:
    by_tool: dict[str, dict[str, Any]] = {}
    for tool, arg, value in calls:
        by_tool.setdefault(tool, {})[arg] = value
    return by_tool


@pytest.mark.parametrize("name", sorted(HELD_OUT))
def test_every_expected_call_names_a_tool_and_its_argument(name: str) -> None:
    tools, questions = SETS[name]
    args = {tool.name: set(tool.args) for tool in tools}
    for question in questions:
        for tool, arg, _ in question.calls:
            assert arg in args[tool], (question.text, tool, arg)


_SPANS = {"a week": 7.0, "a fortnight": 14.0}


def _amounts(text: str) -> list[float]:
    """The amounts `text` states: its numbers (a thousands comma read as part of the
    number) and the spans of days it names ("a week")."""
    numbers = [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]
    return numbers + [days for span, days in _SPANS.items() if span in text.lower()]


@pytest.mark.parametrize(
    "name",
    sorted(
        {
            **holdout4.SETS,
            **holdout5.SETS,
            **holdout6.SETS,
            **holdout7.SETS,
            **holdout8.SETS,
            **holdout9.SETS,
            **holdout10.SETS,
            **holdout11.SETS,
            **holdout12.SETS,
            **holdout13.SETS,
        }
    ),
)
def test_a_single_call_question_s_numbers_come_from_its_tool(name: str) -> None:
    """Where one call of a tool answers, the tool's result is one of the stated numbers or,
    for a conversion, that number over an amount the question states (amount x rate), or
    over a hundredth or a thousandth of it (a per-100 figure, or grams of a per-kilogram
    price, scaled to the amount)."""
    tools: list[BaseTool] = SETS[name][0]
    by_name = {tool.name: tool for tool in tools}
    for question in SETS[name][1]:
        by_tool = _calls_by_tool(question.calls)
        if len(by_tool) != 1 or sum(map(len, by_tool.values())) != len(question.calls):
            continue  # two tools, or one tool called twice: not one call
        tool, kwargs = by_tool.popitem()
        if any("<result of" in str(value) for value in kwargs.values()):
            continue
        result = float(by_name[tool].invoke(kwargs))
        amounts = _amounts(question.text)
        assert any(
            n == pytest.approx(result)
            or any(
                n / result in (pytest.approx(a), pytest.approx(a / 100), pytest.approx(a / 1000))
                for a in amounts
            )
            for n in question.numbers
        ), question.text


def test_the_comparisons_name_the_larger_subject_first() -> None:
    tools, questions = holdout4.SETS["kitchen"]
    by_name = {tool.name: tool for tool in tools}
    almonds = by_name["calories_per_100g"].invoke({"ingredient": "almonds"})
    salmon = by_name["calories_per_100g"].invoke({"ingredient": "Salmon"})
    assert questions[0].larger == ("almonds", "salmon")
    assert almonds > salmon
    assert questions[0].numbers == (almonds, salmon)


@pytest.mark.parametrize(
    ("tool", "arg", "said", "meant"),
    [
        ("daily_riders", "line", "the Ring line", "ring"),
        ("calories_per_100g", "ingredient", "Lentil", "lentils"),
        ("vehicle_seats", "vehicle", "double decker buses", "double-decker"),
        ("operator_founded", "operator", "Campus Transit", "campus transit"),
    ],
)
def test_the_scorer_reads_spellings_as_the_tools_do(
    tool: str, arg: str, said: str, meant: str
) -> None:
    assert _normal(said, tool, arg) == meant


def test_a_cheaper_claim_is_a_claim_about_the_smaller_subject() -> None:
    spain, poland = holdout5.PETROL["spain"], holdout5.PETROL["poland"]
    assert spain > poland
    assert comparison_wrong("Petrol is cheaper in Poland than in Spain.", "spain", "poland") is None
    assert comparison_wrong("Petrol is cheaper in Spain than in Poland.", "spain", "poland")
    assert comparison_wrong("Spain is dearer than Poland.", "spain", "poland") is None


@pytest.mark.parametrize(
    ("tool", "arg", "said", "meant"),
    [
        ("film_runtime", "film", "The Quiet Orchard", "quiet orchard"),
        ("hall_seats", "cinema", "the Palace cinema", "palace"),
        ("fuel_use", "model", "the Cresta", "cresta"),
        ("maker_staff", "maker", "Aurelia Motors", "aurelia motors"),
    ],
)
def test_the_fifth_holdout_s_scorer_reads_spellings_as_its_tools_do(
    tool: str, arg: str, said: str, meant: str
) -> None:
    assert _normal(said, tool, arg) == meant


def _results(tools: list[BaseTool], calls: frozenset[tuple[str, str, Any]]) -> list[float]:
    """Run a question's expected calls (one per tool, or one per distinct first argument),
    a chained argument taking its tool's result."""
    by_name = {tool.name: tool for tool in tools}
    grouped: dict[str, list[dict[str, Any]]] = {}
    for tool, arg, value in sorted(calls, key=lambda c: (c[0], c[1], str(c[2]))):
        runs = grouped.setdefault(tool, [])
        if not runs or arg in runs[-1]:
            runs.append({})
        runs[-1][arg] = value
    done: dict[str, Any] = {}
    numbers: list[float] = []
    for tool in sorted(
        grouped, key=lambda t: any("<result of" in str(v) for r in grouped[t] for v in r.values())
    ):
        for kwargs in grouped[tool]:
            filled = {
                k: done[str(v)[len("<result of ") : -1]] if "<result of" in str(v) else v
                for k, v in kwargs.items()
            }
            done[tool] = by_name[tool].invoke(filled)
            if isinstance(done[tool], int | float):
                numbers.append(float(done[tool]))
    return numbers


@pytest.mark.parametrize(
    "name",
    sorted(
        {
            **holdout6.SETS,
            **holdout7.SETS,
            **holdout8.SETS,
            **holdout9.SETS,
            **holdout10.SETS,
            **holdout11.SETS,
            **holdout12.SETS,
            **holdout13.SETS,
        }
    ),
)
def test_the_latest_holdouts_numbers_follow_from_their_calls(name: str) -> None:
    """Each stated number is a result, a sum, difference, mean or quotient of two, or a
    result times an amount the question states (or a thousandth of it: grams of a
    per-kilogram price)."""
    tools, questions = SETS[name]
    for question in questions:
        results = _results(tools, question.calls)
        amounts = _amounts(question.text)
        derived = set(results)
        derived |= {a + b for a in results for b in results if a is not b}
        derived |= {a - b for a in results for b in results}
        derived |= {(a + b) / 2 for a in results for b in results if a is not b}
        derived |= {a / b for a in results for b in results if b}
        derived |= {r * a for r in results for a in amounts}
        derived |= {r * a / 1000 for r in results for a in amounts}
        for n in question.numbers:
            assert any(n == pytest.approx(d) for d in derived), (question.text, n, results)


def test_deeper_and_poorer_are_claims_too() -> None:
    assert comparison_wrong("Orrin Gap digs deeper than Brackenhollow.", "orrin gap", "x") is None
    assert comparison_wrong("Brackenhollow digs deeper.", "orrin gap", "brackenhollow")
    assert comparison_wrong("Wenlow has the poorer ore.", "tessaly", "wenlow") is None
    assert comparison_wrong("Tessaly has the poorer ore.", "tessaly", "wenlow")


def test_amounts_read_thousands_commas_and_a_week() -> None:
    assert _amounts("Quote me the haulage for 1,200 tonnes.") == [1200.0]
    assert _amounts("Keep it up for a week") == [7.0]

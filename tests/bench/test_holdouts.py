"""The held-out question sets are self-consistent: every expected call exists and answers."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.tools import BaseTool

from bench import holdout2, holdout3, holdout4
from bench.local_questions import SETS, _normal

HELD_OUT = {**holdout2.SETS, **holdout3.SETS, **holdout4.SETS}


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


@pytest.mark.parametrize("name", sorted(holdout4.SETS))
def test_a_single_call_question_s_numbers_come_from_its_tool(name: str) -> None:
    """Where one call of a tool answers, the tool's result is one of the stated numbers or,
    for a conversion, divides one of them (amount x rate)."""
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
        assert any(
            n == pytest.approx(result) or (n / result).is_integer() for n in question.numbers
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

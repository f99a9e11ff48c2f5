"""The plan checks doubt no right plan of any question set.

Each question's expected calls, written as a plan (a chained argument as the earlier
call's result), must pass `fit_doubts` untouched: a check that doubts a right plan sends
it back to the model or rewrites it into a wrong one.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from bench.local_questions import SETS
from bench.question_sets import Question
from langchain_llmorch.agent.tool_fit import fit_doubts
from langchain_llmorch.agent.whole_names import whole_names
from langchain_llmorch.plan.language import Plan, parse_plan

_CHAINED = "<result of "


def _chained(value: object) -> str | None:
    """The tool whose result an expected argument is, or None."""
    if isinstance(value, str) and value.startswith(_CHAINED):
        return value[len(_CHAINED) : -1]
    return None


def right_plan(question: Question) -> Plan:
    """`question`'s expected calls as a plan: one call per value of a repeated argument."""
    by_tool: dict[str, dict[str, list[object]]] = defaultdict(lambda: defaultdict(list))
    for tool, argument, value in sorted(question.calls, key=str):
        by_tool[tool][argument].append(value)
    feeds = {t for t, args in by_tool.items() for vs in args.values() for v in vs if _chained(v)}
    lines: list[str] = []
    first: dict[str, str] = {}
    for tool in sorted(by_tool, key=lambda t: t in feeds):
        arguments = by_tool[tool]
        for i in range(max(len(values) for values in arguments.values())):
            given = []
            for argument, values in arguments.items():
                value = values[min(i, len(values) - 1)]
                source = _chained(value)
                given.append(f"{argument}={first[source] if source else json.dumps(value)}")
            first.setdefault(tool, f"s{len(lines) + 1}")
            lines.append(f"s{len(lines) + 1}: {tool}({', '.join(given)})")
    return parse_plan("\n".join(lines))


@pytest.mark.parametrize("name", sorted(SETS))
def test_no_right_plan_is_doubted(name: str) -> None:
    tools, questions = SETS[name]
    doubted = {q.text: d for q in questions if (d := fit_doubts(right_plan(q), q.text, tools))}
    assert doubted == {}


def test_a_right_plan_chains_the_look_up_it_needs() -> None:
    _, questions = SETS["gyms"]
    chain = next(q for q in questions if "person who owns" in q.text)
    assert right_plan(chain).render() == (
        's1: gym_owner(gym="summit club")\ns2: owner_gyms(owner=s1)'
    )


@pytest.mark.parametrize("name", sorted(SETS))
def test_no_right_plan_has_a_name_made_whole(name: str) -> None:
    _, questions = SETS[name]
    changed = {q.text: w.render() for q in questions if (w := whole_names(right_plan(q), q.text))}
    assert changed == {}

"""Every problem `build_frg` reports names its call and line and says how to fix it."""

from __future__ import annotations

import pytest

from langchain_llmorch import build_frg, parse_plan
from langchain_llmorch.errors import PlanValidationError
from langchain_llmorch.plan.expressions import ListExpr
from langchain_llmorch.plan.language import Call, Plan
from langchain_llmorch.plan.limits import MAX_DEPTH
from tests.unit_tests._work import ALL, add, busy


def problems(text: str, tools: object = ALL) -> list[tuple[str | None, int | None, str]]:
    with pytest.raises(PlanValidationError) as err:
        build_frg(parse_plan(text), tools)  # type: ignore[arg-type]
    return [(p.call_id, p.line, p.message) for p in err.value.problems]


def test_an_unknown_id_is_named_with_a_hint_when_it_may_be_text() -> None:
    assert problems("s1: add(a=1)\n\ns2: add(a=foo)") == [
        (
            "s2",
            3,
            (
                "'foo' is not the id of any call; refer only to ids defined above "
                "(if 'foo' is meant as text, put it in quotes)"
            ),
        )
    ]
    # `$5` is a numbered reference: no hint about quotes.
    assert problems("s1: add(a=1)\ns2: add(a=$5)") == [
        ("s2", 2, "'5' is not the id of any call; refer only to ids defined above")
    ]


def test_self_and_later_references_name_their_lines() -> None:
    assert problems("s1: add(a=1)\ns2: add(a=s2)") == [("s2", 2, "s2 refers to itself")]
    assert problems("s1: add(a=s3)\ns2: add(a=1)\ns3: add(a=2)") == [
        ("s1", 1, "'s3' is defined later (line 3); use only results of calls above")
    ]


def test_a_duplicate_id_is_reported_at_its_second_line() -> None:
    assert problems("s1: add(a=1)\ns2: add(a=2)\ns1: add(a=3)") == [
        ("s1", 3, "id 's1' is used twice; give every call its own id")
    ]


def test_an_unknown_tool_lists_the_tools_there_are() -> None:
    assert problems("s1: add(a=1)\ns2: nope(a=1)", [add, busy]) == [
        ("s2", 2, "unknown tool 'nope'; the tools are: add, busy, self")
    ]
    # `self` is always there, even with no tools.
    assert problems("s1: nope(a=1)", []) == [("s1", 1, "unknown tool 'nope'; the tools are: self")]


def test_every_problem_of_a_plan_is_reported_at_once() -> None:
    found = problems("s1: nope()\ns2: add(a=s9)\ns2: add(a=1)")
    assert [(cid, line) for cid, line, _ in found] == [("s2", 3), ("s1", 1), ("s2", 2)]


def test_a_too_deep_structured_argument_names_its_call_and_line() -> None:
    value: object = 1
    for _ in range(MAX_DEPTH):
        value = ListExpr((value,))
    call = Call(id="s4", tool="echo", args=(), kwargs={"value": value}, thought=None, line=7)
    with pytest.raises(PlanValidationError) as err:
        build_frg(Plan(calls=(call,), source=""), ALL)
    (problem,) = err.value.problems
    assert (problem.call_id, problem.line) == ("s4", 7)
    assert "nested deeper than 32 levels" in problem.message


def test_tools_may_be_given_by_name() -> None:
    frg = build_frg(parse_plan("s1: add(a=1)\ns2: busy(seconds=0)"), {"add": add, "busy": busy})
    assert frg.kinds == {"s1": "compute", "s2": "compute"}
    assert frg.bound_args["s1"] == {"a": 1}


def test_problems_after_a_duplicate_id_are_reported_too() -> None:
    found = problems("s1: add(a=1)\ns1: add(a=2)\ns2: nope()")
    assert [(cid, line) for cid, line, _ in found] == [("s1", 2), ("s2", 3)]


def test_join_is_inout_and_self_takes_the_kind_asked_for() -> None:
    frg = build_frg(parse_plan('s1: self(prompt="hi")\ns2: join()'), [], self_kind="compute")
    assert frg.kinds == {"s1": "compute", "s2": "inout"}

"""Every documented limit of plans (docs/plan-language.md, "Limits"), at the limit and one past it.

Each test builds the largest input the limit allows, checks it is accepted, then the
same input one unit larger, and checks it is refused with the documented error.
"""

from __future__ import annotations

from typing import Any

import pytest

from langchain_llmorch import Orchestrator, build_frg, parse_plan
from langchain_llmorch.errors import PlanSyntaxError, PlanValidationError
from langchain_llmorch.plan.expressions import (
    BinOp,
    ExpressionError,
    ListExpr,
    Ref,
    RunBudget,
    evaluate,
    evaluate_args,
    expr_depth,
)
from langchain_llmorch.plan.language import (
    MAX_PLAN_CALLS,
    MAX_PLAN_CHARS,
    MAX_PLAN_ITEMS,
    Call,
    Plan,
)
from langchain_llmorch.plan.limits import (
    MAX_DEPTH,
    MAX_INT_BITS,
    MAX_RUN_VALUE_SIZE,
    MAX_VALUE_SIZE,
    text_size,
)
from tests.unit_tests._work import ALL


def test_the_documented_values() -> None:
    # docs/plan-language.md states these numbers; a change must change the docs too.
    assert (MAX_PLAN_CHARS, MAX_PLAN_CALLS, MAX_PLAN_ITEMS) == (1_000_000, 10_000, 30_000)
    assert (MAX_DEPTH, MAX_INT_BITS) == (32, 1024)
    assert (MAX_VALUE_SIZE, MAX_RUN_VALUE_SIZE) == (4_000_000, 20_000_000)


# -- plan size -------------------------------------------------------------------------


def _plan_of_length(n: int) -> str:
    head, tail = 's1: echo(value="', '")'
    return head + "a" * (n - len(head) - len(tail)) + tail


def test_plan_text_at_the_limit_parses_and_one_character_more_does_not() -> None:
    text = _plan_of_length(MAX_PLAN_CHARS)
    assert len(text) == MAX_PLAN_CHARS
    assert len(parse_plan(text).calls[0].kwargs["value"]) == MAX_PLAN_CHARS - 18
    longer = _plan_of_length(MAX_PLAN_CHARS + 1)
    with pytest.raises(PlanSyntaxError, match="1,000,001 characters long") as err:
        parse_plan(longer)
    assert err.value.line == 1


def test_the_largest_number_of_calls_parses_and_one_more_does_not() -> None:
    lines = [f"s{i}: echo(value=1)" for i in range(1, MAX_PLAN_CALLS + 2)]
    plan = parse_plan("\n".join(lines[:MAX_PLAN_CALLS]))
    assert len(plan.calls) == MAX_PLAN_CALLS
    with pytest.raises(PlanSyntaxError, match="10,001 calls") as err:
        parse_plan("\n".join(lines))
    assert err.value.line == MAX_PLAN_CALLS + 1  # the first call past the limit


def _items_plan(items: int) -> str:
    # In the call after its id: `(`, `[` and a comma between each two entries are items.
    entries = items - 2 + 1
    return "s1: echo(value=[" + ",".join(["0"] * entries) + "])"


def test_the_largest_number_of_items_parses_and_one_more_does_not() -> None:
    text = _items_plan(MAX_PLAN_ITEMS)
    assert sum(text.split(": ", 1)[1].count(c) for c in ",:([{+-*/") == MAX_PLAN_ITEMS
    assert len(parse_plan(text).calls[0].kwargs["value"].items) == MAX_PLAN_ITEMS - 1
    with pytest.raises(PlanSyntaxError, match="over 30,000 items"):
        parse_plan(_items_plan(MAX_PLAN_ITEMS + 1))


def test_items_count_across_calls_and_name_the_call_that_goes_over() -> None:
    first = "s1: echo(value=[" + ",".join(["0"] * (MAX_PLAN_ITEMS - 2)) + "])"
    assert parse_plan(first + "\ns2: echo(value=1)")  # 29,999 + 1 items: the limit
    with pytest.raises(PlanSyntaxError) as err:
        parse_plan(first + "\ns2: echo(value=[1])")  # 29,999 + 2 items
    assert err.value.line == 2


# -- nesting ---------------------------------------------------------------------------


def _nested(levels: int) -> str:
    """An argument `levels` deep: lists around a number (the number is one level)."""
    return "[" * (levels - 1) + "1" + "]" * (levels - 1)


def test_nesting_at_the_limit_parses_and_one_level_more_does_not() -> None:
    call = parse_plan(f"s1: echo(value={_nested(MAX_DEPTH)})").calls[0]
    assert expr_depth(call.kwargs["value"]) == MAX_DEPTH
    with pytest.raises(PlanSyntaxError, match="nested deeper than 32 levels"):
        parse_plan(f"s1: echo(value={_nested(MAX_DEPTH + 1)})")


def test_operators_count_as_nesting_levels() -> None:
    def sums(levels: int) -> str:  # 1 + (1 + (... + 1)): `levels - 1` operators
        text = "1"
        for _ in range(levels - 1):
            text = f"1 + ({text})"
        return text

    call = parse_plan(f"s1: add(a={sums(MAX_DEPTH)})").calls[0]
    assert expr_depth(call.kwargs["a"]) == MAX_DEPTH
    with pytest.raises(PlanSyntaxError, match="nested deeper"):
        parse_plan(f"s1: add(a={sums(MAX_DEPTH + 1)})")


def _deep_list(levels: int) -> Any:
    expr: Any = 1
    for _ in range(levels - 1):
        expr = ListExpr((expr,))
    return expr


def _structured(arg: Any) -> Plan:
    """A plan built without the parser (as structured output builds one)."""
    call = Call(id="s1", tool="echo", args=(), kwargs={"value": arg}, thought=None, line=1)
    return Plan(calls=(call,), source="")


def test_build_frg_checks_nesting_of_plans_built_without_the_parser() -> None:
    assert build_frg(_structured(_deep_list(MAX_DEPTH)), ALL).calls["s1"]
    with pytest.raises(PlanValidationError, match="nested deeper than 32 levels"):
        build_frg(_structured(_deep_list(MAX_DEPTH + 1)), ALL)


def test_evaluation_refuses_an_argument_nested_past_the_limit() -> None:
    assert evaluate(_deep_list(MAX_DEPTH), {}) is not None
    with pytest.raises(ExpressionError, match="nested deeper than 32 levels"):
        evaluate(_deep_list(MAX_DEPTH + 1), {})


def _nested_value(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def test_a_result_put_into_text_may_be_nested_to_the_limit_and_no_deeper() -> None:
    text = parse_plan('s1: echo(value=1)\ns2: echo(value="r: {s1}")').calls[1].kwargs["value"]
    assert evaluate(text, {"s1": _nested_value(MAX_DEPTH)}).count("[") == MAX_DEPTH
    with pytest.raises(ExpressionError, match="nested deeper than 32 levels"):
        evaluate(text, {"s1": _nested_value(MAX_DEPTH + 1)})
    with pytest.raises(ExpressionError):
        text_size(_nested_value(MAX_DEPTH + 1), 10**9)


# -- integers --------------------------------------------------------------------------


def test_an_integer_of_the_largest_size_parses_and_one_bit_more_does_not() -> None:
    largest = 2**MAX_INT_BITS - 1
    assert largest.bit_length() == MAX_INT_BITS
    assert parse_plan(f"s1: add(a={largest})").calls[0].kwargs["a"] == largest
    with pytest.raises(PlanSyntaxError, match="over 1024 bits"):
        parse_plan(f"s1: add(a={largest + 1})")
    # A negative number is the same size.
    assert parse_plan(f"s1: add(a=-{largest})").calls[0].kwargs["a"] == -largest
    with pytest.raises(PlanSyntaxError, match="over 1024 bits"):
        parse_plan(f"s1: add(a=-{largest + 1})")


def _compute(text: str, results: dict[str, Any] | None = None) -> Any:
    plan = parse_plan("s1: add(a=1)\ns2: add(a=1)\ns9: add(a=" + text + ")")
    return evaluate(plan.calls[-1].kwargs["a"], results or {})


def test_multiplying_up_to_the_largest_size_works_and_one_bit_more_does_not() -> None:
    # The check adds the operands' bit lengths, before multiplying.
    assert _compute(f"{2**511} * {2**511}") == 2**1022  # 512 + 512 bits
    with pytest.raises(ExpressionError, match="over 1024 bits"):
        _compute(f"{2**512} * {2**511}")  # 513 + 512 bits


def test_adding_up_to_the_largest_size_works_and_one_bit_more_does_not() -> None:
    # `+` and `-` may carry one bit: the larger operand's bits plus one.
    assert _compute(f"{2**1022} + 1") == 2**1022 + 1  # 1023 + 1 bits
    with pytest.raises(ExpressionError, match="over 1024 bits"):
        _compute(f"{2**1023} + 1")
    with pytest.raises(ExpressionError, match="over 1024 bits"):
        _compute(f"{2**1023} - 1")


def test_results_combine_under_the_same_integer_limit() -> None:
    assert _compute("s1 * s2", {"s1": 2**511, "s2": 2**511}) == 2**1022
    with pytest.raises(ExpressionError, match="over 1024 bits"):
        _compute("s1 * s2", {"s1": 2**512, "s2": 2**511})


# -- value budgets ---------------------------------------------------------------------

JOIN = {"value": BinOp("+", Ref("s1"), Ref("s2"))}


def _halves(total: int) -> dict[str, str]:
    return {"s1": "a" * (total // 2), "s2": "b" * (total - total // 2)}


def test_a_call_may_build_its_whole_budget_and_not_one_character_more() -> None:
    args = evaluate_args(JOIN, _halves(MAX_VALUE_SIZE))
    assert len(args["value"]) == MAX_VALUE_SIZE
    with pytest.raises(ExpressionError, match="size budget of a call's arguments"):
        evaluate_args(JOIN, _halves(MAX_VALUE_SIZE + 1))


def test_a_call_s_arguments_share_one_budget() -> None:
    half = MAX_VALUE_SIZE // 2
    two = {"a": BinOp("+", Ref("s1"), Ref("s2")), "b": BinOp("+", Ref("s1"), Ref("s2"))}
    evaluate_args(two, _halves(half))  # 2 x half = the whole budget
    with pytest.raises(ExpressionError, match="call's arguments"):
        evaluate_args(two, _halves(half + 1))


def test_lists_and_text_count_against_the_budget() -> None:
    # A list of n entries costs n; a result put into a list costs its written-out size.
    entries = ListExpr((Ref("s1"), Ref("s1")))
    room = MAX_VALUE_SIZE - 2  # the list's two entries
    fits = "a" * (room // 2 - 2)  # each costs its text size: length + 2 quotes
    assert text_size(fits, 10**9) == room // 2
    assert evaluate(entries, {"s1": fits}) == [fits, fits]
    with pytest.raises(ExpressionError, match="size budget"):
        evaluate(entries, {"s1": fits + "a"})


def test_the_run_may_build_its_whole_budget_and_not_one_character_more() -> None:
    budget = RunBudget()
    assert budget.remaining == MAX_RUN_VALUE_SIZE
    calls = MAX_RUN_VALUE_SIZE // MAX_VALUE_SIZE
    for _ in range(calls):  # each call builds its whole budget
        evaluate_args(JOIN, _halves(MAX_VALUE_SIZE), run=budget)
    assert budget.remaining == 0
    with pytest.raises(ExpressionError, match="size budget of the whole run"):
        evaluate_args(JOIN, {"s1": "", "s2": "a"}, run=budget)
    # One call short of the run's budget, the last character fits.
    budget = RunBudget(remaining=1)
    assert evaluate_args(JOIN, {"s1": "", "s2": "a"}, run=budget) == {"value": "a"}


def test_each_run_gets_a_fresh_run_budget() -> None:
    from langchain_llmorch.engine._coordinator import PlanRun

    frg = build_frg(parse_plan("s1: fetch(seconds=0)"), ALL)
    orch = Orchestrator(ALL, max_processors=2)
    first = PlanRun(orch, frg, None, {}, {}, None, {}, prefer_sync=True, on_result=None)
    first.budget.remaining -= 5
    second = PlanRun(orch, frg, None, {}, {}, None, {}, prefer_sync=True, on_result=None)
    assert second.budget.remaining == MAX_RUN_VALUE_SIZE


# -- options ---------------------------------------------------------------------------


def test_call_timeout_must_be_positive() -> None:
    assert Orchestrator(ALL, call_timeout=1e-9).call_timeout == 1e-9
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="call_timeout must be positive"):
            Orchestrator(ALL, call_timeout=bad)


def test_max_processors_must_be_at_least_one() -> None:
    assert Orchestrator(ALL, max_processors=1).processors == 1
    with pytest.raises(ValueError, match="at least 1"):
        Orchestrator(ALL, max_processors=0)

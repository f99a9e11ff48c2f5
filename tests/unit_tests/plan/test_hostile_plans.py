"""Hostile or broken plan text: typed errors within the limits, never anything else.

The corpus holds the worst cases found by hand and by fuzzing (the issue's
measurements and `fuzz_campaign.py`); each once raised an untyped error, hung,
or built gigabytes.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from langchain_llmorch import (
    PlanSyntaxError,
    PlanValidationError,
    build_frg,
    compute,
    create_llmorch_agent,
    inout,
    parse_plan,
)
from langchain_llmorch.agent import nodes
from langchain_llmorch.plan.expressions import (
    MAX_DEPTH,
    MAX_INT_BITS,
    MAX_VALUE_SIZE,
    ExpressionError,
    evaluate,
    evaluate_args,
    text_size,
)
from langchain_llmorch.plan.language import MAX_PLAN_CALLS, MAX_PLAN_CHARS, MAX_PLAN_ITEMS


@inout
def echo(x: Any = None) -> Any:
    """Return x."""
    return x


@compute
def work(n: int) -> int:
    """Work."""
    return n


TOOLS = [echo, work]
PLAN_ERRORS = (PlanSyntaxError, PlanValidationError)

CORPUS = [
    # repetition and products that would build gigabytes
    "s1: echo(x=[[[1]*1000]*1000]*1000)",
    's1: echo(x="a" * 600000000)',
    's1: echo(x=["a"] * 10)',
    "s1: echo(x=99999999999999999999 * 99999999999999999999 * "
    + "99999999999999999999 * " * 60
    + "1)",
    # arithmetic that raises in Python
    "s1: echo(x=1/0)",
    "s1: echo(x=1e308 * 10 - 1e308 * 10)",
    "s1: echo(x=" + "9" * 400 + " / 1)",
    's1: echo(x="a" - 1)',
    "s1: echo(x=-[1])",
    # nesting that overflows the parser or the recursion limit
    "s1: echo(x=" + "[" * 100 + "]" * 100 + ")",
    "s1: echo(x=" + "[" * 5000 + "]" * 5000 + ")",
    "s1: echo(x=" + "-" * 100_000 + "1)",
    "s1: echo(x=" + "+1" * 100_000 + ")",
    "s1: echo(x=" + "(" * 300 + "1" + ")" * 300 + ")",
    "s1: echo(x=" + '{"a":' * 40 + "1" + "}" * 40 + ")",
    # text Python's parser refuses in odd ways
    's1: echo(x="\x00")',
    's1: echo(x="\ud800")',
    "s1: echo(x=\x00)",
    "s1: echo(x=" + "9" * 5000 + ")",
    "s1: echo(x=1" + "0" * 400 + ")",
    # size
    's1: echo(x="' + "a" * (MAX_PLAN_CHARS + 1) + '")',
    "s1: echo(x=[" + "1," * (MAX_PLAN_ITEMS + 1) + "])",
    "\n".join(f"s{i}: echo()" for i in range(MAX_PLAN_CALLS + 1)),
    "s1: echo(x=[\n" + "(\n" * 20_000,
    # self takes only a prompt
    's1: self(prompt="hi", extra=1)',
    's1: self("hi", "there")',
    's1: self("hi", prompt="there")',
]


@pytest.mark.parametrize("text", CORPUS, ids=range(len(CORPUS)))
def test_worst_cases_are_typed_plan_errors(text: str) -> None:
    with pytest.raises(PLAN_ERRORS) as info:
        build_frg(parse_plan(text), TOOLS)
    assert len(str(info.value)) < 2_000  # short enough to hand back to the LLM


def test_an_over_budget_value_names_the_call_and_the_limit() -> None:
    with pytest.raises(PlanValidationError) as info:
        build_frg(parse_plan('s1: echo(x=1)\ns2: echo(x="a" * 600000000)'), TOOLS)
    (problem,) = info.value.problems
    assert problem.call_id == "s2"
    assert "repetition" in problem.message


def test_repetition_is_not_in_the_language_but_products_of_numbers_are() -> None:
    frg = build_frg(parse_plan("s1: work(n=6 * 7)\ns2: echo(x=s1 * 2)"), TOOLS)
    assert evaluate(frg.bound_args["s1"]["n"], {}) == 42
    assert evaluate(frg.bound_args["s2"]["x"], {"s1": "21"}) == 42
    with pytest.raises(ExpressionError, match="repetition"):
        evaluate(frg.bound_args["s2"]["x"], {"s1": "ab"})


def test_a_depth_just_under_the_limit_parses() -> None:
    inner = "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1)
    frg = build_frg(parse_plan(f"s1: echo(x={inner})"), TOOLS)
    value = evaluate(frg.bound_args["s1"]["x"], {})
    for _ in range(MAX_DEPTH - 1):
        (value,) = value
    assert value == 1
    with pytest.raises(PlanSyntaxError, match="nested deeper"):
        parse_plan(f"s1: echo(x=[{inner}])")


def test_doubling_results_stop_at_the_value_budget() -> None:
    frg = build_frg(parse_plan('s1: echo(x="ab")\ns2: echo(x=s1 + s1 + "{s1}")'), TOOLS)
    assert evaluate_args(frg.bound_args["s2"], {"s1": "ab"}) == {"x": "ababab"}
    half = "a" * (MAX_VALUE_SIZE // 2 + 1)
    with pytest.raises(ExpressionError, match="size budget"):
        evaluate_args(frg.bound_args["s2"], {"s1": half})


def test_shared_references_count_every_time_they_are_written_out() -> None:
    big = ["x" * 1000] * 1000
    nested: Any = big
    for _ in range(10):  # 2**10 references to the same list: 1e9 characters as text
        nested = [nested, nested]
    frg = build_frg(parse_plan('s1: echo()\ns2: echo(x="{s1}")'), TOOLS)
    with pytest.raises(ExpressionError, match="size budget"):
        evaluate_args(frg.bound_args["s2"], {"s1": nested})


def test_deep_and_circular_results_fail_to_render_with_a_typed_error() -> None:
    deep: Any = 1
    for _ in range(100_000):
        deep = [deep]
    circular: list[Any] = []
    circular.append(circular)
    frg = build_frg(parse_plan('s1: echo()\ns2: echo(x="{s1}")'), TOOLS)
    with pytest.raises(ExpressionError, match="nested deeper"):
        evaluate_args(frg.bound_args["s2"], {"s1": deep})
    with pytest.raises(ExpressionError):
        evaluate_args(frg.bound_args["s2"], {"s1": circular})


def test_numbers_stay_under_the_bit_limit() -> None:
    frg = build_frg(parse_plan("s1: echo()\ns2: echo(x=s1 * s1)"), TOOLS)
    assert evaluate(frg.bound_args["s2"]["x"], {"s1": 2**500}) == 2**1000
    with pytest.raises(ExpressionError, match=f"{MAX_INT_BITS} bits"):
        evaluate(frg.bound_args["s2"]["x"], {"s1": 2**600})


def test_a_call_spanning_ten_thousand_lines_parses() -> None:
    text = "s1: echo(x=[\n" + "\n".join(f"    {i}," for i in range(10_000)) + "\n])"
    frg = build_frg(parse_plan(text), TOOLS)
    assert evaluate(frg.bound_args["s1"]["x"], {}) == list(range(10_000))


def test_r2_is_held_as_rank_groups_and_pairs_are_built_only_when_asked() -> None:
    text = "\n".join(f"s{i}: work(n={i})" for i in range(3000)) + "\ns3000: work(n=s0)"
    frg = build_frg(parse_plan(text), TOOLS)
    assert [len(g) for g in frg.rank_groups.values()] == [3000, 1]
    assert "mutex_pairs" not in vars(frg)  # nothing quadratic was built
    assert frg.mutually_exclusive("s1", "s2")
    assert not frg.mutually_exclusive("s1", "s3000")
    small = build_frg(parse_plan("s1: work(n=1)\ns2: work(n=2)\ns3: work(n=s1)"), TOOLS)
    assert small.mutex_pairs == {frozenset({"s1", "s2"})}


def test_a_structured_plan_nested_too_deep_is_a_validation_error() -> None:
    from dataclasses import replace

    from langchain_llmorch.plan.expressions import ListExpr

    deep: Any = 1
    for _ in range(10_000):  # as a JSON plan could build it, without the parser
        deep = ListExpr((deep,))
    plan = parse_plan("s1: echo(x=1)")
    call = replace(plan.calls[0], kwargs={"x": deep})
    with pytest.raises(PlanValidationError, match="nested deeper"):
        build_frg(replace(plan, calls=(call,)), TOOLS)


# ----------------------------------------------------------------------- the agent


def test_a_plan_error_goes_to_repair_instead_of_crashing_invoke() -> None:
    model = FakeListChatModel(responses=["s1: echo(x=1/0)", "s1: echo(x=1)", "done"])
    graph = create_llmorch_agent(model, [echo])
    out = graph.invoke({"messages": [("user", "go")]})
    assert out["repairs"] == 1
    assert out["results"]["s1"] == 1


def test_an_untyped_compile_failure_goes_to_repair(monkeypatch: pytest.MonkeyPatch) -> None:
    real = nodes.build_frg
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RecursionError  # as an unknown bug in compilation would
        return real(*args, **kwargs)

    monkeypatch.setattr(nodes, "build_frg", flaky)
    model = FakeListChatModel(responses=["s1: echo(x=1)", "s1: echo(x=2)", "done"])
    out = create_llmorch_agent(model, [echo]).invoke({"messages": [("user", "go")]})
    assert out["repairs"] == 1
    assert out["results"]["s1"] == 2


def test_the_self_tool_takes_only_a_prompt_when_invoked_directly() -> None:
    from pydantic import ValidationError

    from langchain_llmorch.self_tool import make_self_tool

    tool = make_self_tool(FakeListChatModel(responses=["42"]))
    with pytest.raises(ValidationError):
        tool.invoke({"prompt": "6 * 7?", "temperature": 2})
    assert tool.invoke({"prompt": "6 * 7?"}) == "42"


def _double_until_refused(value: Any) -> list[int]:
    frg = build_frg(parse_plan("s1: echo()\ns2: echo(x=[s1, s1])"), TOOLS)
    sizes: list[int] = []
    with contextlib.suppress(ExpressionError):
        for _ in range(12):  # twelve doublings would be 4 G characters
            value = evaluate_args(frg.bound_args["s2"], {"s1": value})["x"]
            sizes.append(text_size(value, 10**12))
    return sizes


def test_lists_of_a_shared_result_count_at_their_written_out_size() -> None:
    sizes = _double_until_refused(["x" * 1000] * 1000)  # a million characters written out
    assert 0 < len(sizes) < 12
    assert max(sizes) <= MAX_VALUE_SIZE < 2 * max(sizes) + 10

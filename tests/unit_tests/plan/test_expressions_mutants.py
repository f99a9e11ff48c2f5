"""Evaluating plan expressions (`plan/expressions.py`): budgets, messages, and values.

Written for the mutants of `plan/expressions.py` that the rest of the suite let live. Each
test states one rule: a result put into text is measured before it is rendered and may use
the budget to its last unit; the error says what went over which budget; arithmetic and
rendering give the documented values.
"""

from __future__ import annotations

import pytest

from langchain_llmorch.plan.expressions import (
    MAX_INT_BITS,
    MAX_VALUE_SIZE,
    BinOp,
    DictExpr,
    ExpressionError,
    ListExpr,
    Neg,
    Ref,
    RunBudget,
    Template,
    evaluate,
    evaluate_args,
    render_expr,
    text_size,
)

RESULT = [1, "ab", {"k": None}, [2.5, True]]


def test_a_result_put_into_text_may_fill_the_budget_exactly() -> None:
    measure = text_size(RESULT, MAX_VALUE_SIZE)
    expr = Template(("<", Ref("s1"), ">"))
    assert evaluate(expr, {"s1": RESULT}, budget=measure) == f"<{RESULT!r}>".replace(
        "'", '"'
    ).replace("None", "null").replace("True", "true")
    with pytest.raises(ExpressionError, match=r"^putting a result into text would go over"):
        evaluate(expr, {"s1": RESULT}, budget=measure - 1)


def test_text_of_a_result_is_charged_by_its_rendered_length() -> None:
    text = "x" * 50
    expr = Template((Ref("s1"), Ref("s1")))
    assert evaluate(expr, {"s1": text}, budget=100) == text * 2
    with pytest.raises(ExpressionError, match=r"^putting a result into text would go over"):
        evaluate(expr, {"s1": text}, budget=99)


def test_over_the_run_budget_but_not_the_calls_the_message_names_the_run() -> None:
    # The run may build one unit less than a call: a result measured over what is left
    # of the run, yet within a call's budget, is refused for the run, not for the call.
    big = ["x" * (MAX_VALUE_SIZE - 3)]
    run = RunBudget(remaining=MAX_VALUE_SIZE - 1)
    with pytest.raises(ExpressionError, match="size budget of the whole run"):
        evaluate_args({"a": Template((Ref("s1"),))}, {"s1": big}, run=run)


def test_a_result_copied_into_a_list_names_the_list() -> None:
    big = "x" * (MAX_VALUE_SIZE // 2 + 1)
    expr = ListExpr((Ref("s1"), Ref("s1")))
    with pytest.raises(ExpressionError, match=r"^a list would go over"):
        evaluate(expr, {"s1": [big]})


def test_arithmetic_reads_numbers_written_as_text() -> None:
    results = {"s1": "2", "s2": "1.5", "s3": "1e2", "s4": "2E1"}
    assert evaluate(BinOp("+", Ref("s1"), 2), results) == 4
    assert isinstance(evaluate(BinOp("*", Ref("s1"), 3), results), int)
    assert evaluate(BinOp("*", Ref("s2"), 2), results) == 3.0
    assert evaluate(BinOp("-", Ref("s3"), Ref("s4")), results) == 80.0
    assert evaluate(BinOp("/", 7, 2), {}) == 3.5
    with pytest.raises(ExpressionError, match=r"^`\*` works on numbers only, not on str \(the"):
        evaluate(BinOp("*", "ab", 2), {})
    with pytest.raises(ExpressionError, match=r"^`-` works on numbers only, not on list$"):
        evaluate(BinOp("-", ListExpr((1,)), 2), {})


def test_joining_text_and_lists_with_plus_is_charged() -> None:
    assert evaluate(BinOp("+", "ab", "cd"), {}, budget=4) == "abcd"
    with pytest.raises(ExpressionError, match=r"^joining text with `\+` would go over"):
        evaluate(BinOp("+", "ab", "cd"), {}, budget=3)
    joined = BinOp("+", ListExpr((1,)), ListExpr((2, 3)))
    assert evaluate(joined, {}) == [1, 2, 3]
    with pytest.raises(ExpressionError, match=r"^joining lists with `\+` would go over"):
        evaluate(BinOp("+", Ref("s1"), Ref("s1")), {"s1": ["x" * 10]}, budget=20)


def test_numbers_are_held_to_the_bit_limit_and_to_finite_floats() -> None:
    big = 2 ** (MAX_INT_BITS - 1)
    assert evaluate(BinOp("+", big - 1, big - 1), {}) == 2 * big - 2
    with pytest.raises(ExpressionError, match=rf"^`\*` would make a number over {MAX_INT_BITS}"):
        evaluate(BinOp("*", big, 4), {})
    with pytest.raises(ExpressionError, match=r"^`/` failed: "):
        evaluate(BinOp("/", 1, 0), {})
    with pytest.raises(ExpressionError, match=r"^`\*` made a number too large for a float"):
        evaluate(BinOp("*", 1e300, 1e300), {})
    with pytest.raises(ExpressionError, match=rf"^a number over {MAX_INT_BITS} bits$"):
        evaluate(2**MAX_INT_BITS, {})


def test_expressions_render_back_to_plan_text() -> None:
    expr = DictExpr(
        (
            ("k", ListExpr((Ref("s1"), Ref("2"), Neg(Ref("s1"))))),
            ("t", Template(("a ", Ref("s1"), " b"))),
            ("o", BinOp("*", 1.5, None)),
        )
    )
    assert render_expr(expr) == '{"k": [s1, $2, -s1], "t": "a {s1} b", "o": (1.5 * null)}'

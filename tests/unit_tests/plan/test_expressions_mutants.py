"""Evaluating plan expressions (`plan/expressions.py`): budgets, messages, and values.

Written for the mutants of `plan/expressions.py` that the rest of the suite let live. Each
test states one rule: a result put into text is measured before it is rendered and may use
the budget to its last unit; the error says what went over which budget; arithmetic and
rendering give the documented values.
"""

from __future__ import annotations

import pytest

from langchain_llmorch.plan.expressions import (
    MAX_VALUE_SIZE,
    ExpressionError,
    ListExpr,
    Ref,
    RunBudget,
    Template,
    evaluate,
    evaluate_args,
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

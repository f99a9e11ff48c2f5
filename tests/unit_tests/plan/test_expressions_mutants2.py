"""Evaluating plan expressions (`plan/expressions.py`), second round of its mutants.

Each test states one rule the evaluator keeps for a caller: nesting is counted through
every operator, list and dict to exactly `MAX_DEPTH`; unary minus negates; the bit limit
applies to both operands of `+ -`, to integers only, and not to `/`; lists join only with
lists; an error names what went over and how to avoid it; a result's text is its JSON
(non-ASCII kept, unknown objects as their text) and never raises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from langchain_llmorch.plan.expressions import (
    MAX_DEPTH,
    MAX_INT_BITS,
    BinOp,
    DictExpr,
    Expr,
    ExpressionError,
    ListExpr,
    Neg,
    Ref,
    RunBudget,
    evaluate,
    evaluate_args,
    expr_depth,
    render_expr,
    result_text,
)

# ------------------------------------------------------------------------ nesting


def _plus_left(inner: Expr) -> Expr:
    return BinOp("+", inner, 1)


def _plus_right(inner: Expr) -> Expr:
    return BinOp("+", 1, inner)


def _negate(inner: Expr) -> Expr:
    return Neg(inner)


def _in_dict(inner: Expr) -> Expr:
    return DictExpr((("k", inner),))


WRAPS: dict[str, Callable[[Expr], Expr]] = {
    "left operand": _plus_left,
    "right operand": _plus_right,
    "unary minus": _negate,
    "dict value": _in_dict,
}


def _nested(wrap: Callable[[Expr], Expr], depth: int) -> Expr:
    expr: Expr = 1
    while expr_depth(expr) < depth:
        expr = wrap(expr)
    return expr


@pytest.mark.parametrize("where", sorted(WRAPS))
def test_nesting_is_allowed_to_max_depth_and_refused_one_deeper(where: str) -> None:
    at_limit = _nested(WRAPS[where], MAX_DEPTH)
    assert expr_depth(at_limit) == MAX_DEPTH
    evaluate(at_limit, {})  # allowed: exactly the limit
    over = _nested(WRAPS[where], MAX_DEPTH + 1)
    with pytest.raises(ExpressionError, match=f"nested deeper than {MAX_DEPTH} levels"):
        evaluate(over, {})


def test_nested_operators_compute_their_value() -> None:
    assert evaluate(_nested(_plus_right, 5), {}) == 5  # 1 + (1 + (1 + (1 + 1)))
    assert evaluate(_nested(_negate, 4), {}) == -1  # ---1


# ---------------------------------------------------------------------- unary minus


def test_unary_minus_negates_a_result() -> None:
    assert evaluate(Neg(Ref("s1")), {"s1": 3}) == -3
    assert evaluate(Neg(Ref("s1")), {"s1": "2.5"}) == -2.5  # numeric text is a number


def test_unary_minus_on_text_names_the_operator() -> None:
    with pytest.raises(ExpressionError, match=r"^`-` works on numbers only, not on str$"):
        evaluate(Neg(Ref("s1")), {"s1": "abc"})


def test_a_bad_right_operand_names_the_operator() -> None:
    with pytest.raises(ExpressionError, match=r"^`\*` works on numbers only.*no repetition"):
        evaluate(BinOp("*", 2, Ref("s1")), {"s1": "abc"})


# ------------------------------------------------------------------------ integer bits


def test_the_right_operand_counts_toward_the_bit_limit() -> None:
    below = 2 ** (MAX_INT_BITS - 1) - 1  # one bit short: its sum fits
    assert evaluate(BinOp("+", 1, Ref("s1")), {"s1": below}) == below + 1
    widest = 2**MAX_INT_BITS - 1  # MAX_INT_BITS bits: its sum may not fit
    with pytest.raises(ExpressionError, match=f"over {MAX_INT_BITS} bits"):
        evaluate(BinOp("+", 1, Ref("s1")), {"s1": widest})


def test_a_float_adds_no_bits_to_a_product() -> None:
    big = 2 ** (MAX_INT_BITS - 1)  # exactly MAX_INT_BITS bits
    assert evaluate(BinOp("*", Ref("s1"), 0.5), {"s1": big}) == big / 2


def test_division_is_not_held_to_the_bit_limit() -> None:
    big = 2 ** (MAX_INT_BITS - 1)
    assert evaluate(BinOp("/", Ref("s1"), Ref("s2")), {"s1": big, "s2": big}) == 1.0


# ------------------------------------------------------------------------ joining lists


@pytest.mark.parametrize(
    ("left", "op", "right"),
    [("ab", "+", [1]), (1, "+", [2]), ([1], "-", [2]), (2, "*", [3])],
)
def test_a_list_joins_only_with_a_list_by_plus(left: object, op: str, right: object) -> None:
    with pytest.raises(ExpressionError, match="works on numbers only"):
        evaluate(BinOp(op, Ref("a"), Ref("b")), {"a": left, "b": right})


@pytest.mark.parametrize("side", ["a", "b"])
def test_joining_lists_charges_each_side_at_its_written_size(side: str) -> None:
    results = {"a": [], "b": []} | {side: ["x" * 100]}
    expr = BinOp("+", Ref("a"), Ref("b"))
    assert evaluate(expr, results, budget=200) == ["x" * 100]
    with pytest.raises(ExpressionError, match=r"^joining lists with `\+` would go over"):
        evaluate(expr, results, budget=60)


# ------------------------------------------------------------------------ budget errors


def test_a_list_over_the_budget_says_so_and_how_to_avoid_it() -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(ListExpr((1, 2, 3)), {}, budget=2)
    assert str(caught.value).startswith("a list would go over the size budget of a call")
    assert str(caught.value).endswith(
        "pass results by id instead of copying them into larger values"
    )


def test_a_dict_over_the_budget_says_so() -> None:
    with pytest.raises(ExpressionError, match=r"^a dict would go over the size budget"):
        evaluate(DictExpr((("a", 1), ("b", 2))), {}, budget=1)


def test_a_result_put_in_a_dict_over_the_budget_says_so() -> None:
    expr = DictExpr((("k", Ref("s1")),))
    assert evaluate(expr, {"s1": "x" * 10}, budget=50) == {"k": "x" * 10}
    with pytest.raises(ExpressionError, match=r"^a dict would go over the size budget"):
        evaluate(expr, {"s1": "x" * 100}, budget=50)


def test_the_run_budget_error_says_how_to_avoid_it() -> None:
    run = RunBudget(remaining=5)
    with pytest.raises(ExpressionError) as caught:
        evaluate_args({"x": ListExpr((1, 2, 3, 4, 5, 6))}, {}, run=run)
    assert "size budget of the whole run" in str(caught.value)
    assert str(caught.value).endswith("pass results by id instead of copying them")


# ------------------------------------------------------------------------ text of results


def test_render_an_operation_writes_both_operands() -> None:
    assert render_expr(BinOp("-", Ref("s1"), 2)) == "(s1 - 2)"


def test_result_text_keeps_non_ascii_characters() -> None:
    assert result_text(["café", {"ü": "日本"}]) == '["café", {"ü": "日本"}]'


def test_result_text_writes_json_keys_of_a_dict() -> None:
    assert result_text({True: 1, None: [2], 3: "x"}) == '{"true": 1, "null": [2], "3": "x"}'


def test_result_text_writes_unknown_objects_as_their_text() -> None:
    assert result_text([dt.date(2026, 12, 7)]) == '["2026-12-07"]'


class _NoText:
    """An object whose text cannot be made, only its repr."""

    def __str__(self) -> str:
        msg = "no text"
        raise ValueError(msg)

    def __repr__(self) -> str:
        return "NoText()"


def test_result_text_falls_back_to_the_repr_of_the_containers() -> None:
    assert result_text([_NoText()]) == "[NoText()]"


def test_result_text_of_a_set_of_huge_integers_names_its_type() -> None:
    assert result_text({10**5000}).startswith("<set object at ")


def test_result_text_of_a_self_referencing_result_does_not_raise() -> None:
    looped: list[object] = [1]
    looped.append(looped)
    assert result_text(looped) == "[1, [...]]"


def test_result_text_of_a_too_deeply_nested_result_does_not_raise() -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    assert result_text(deep).startswith("<list object at ")

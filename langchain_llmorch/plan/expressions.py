"""Plan expressions: the values a call's arguments are made of, and their safe evaluation.

An argument is a constant, a reference to an earlier call's result (`Ref`), a string
with references inside (`Template`), a list, a dict, or `+ - * /` between them. The
parser builds these from LLM text through a whitelist; `evaluate` computes an
argument from results without ever handing text to Python.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeAlias

from langchain_llmorch.plan.limits import (
    MAX_DEPTH,
    MAX_INT_BITS,
    MAX_RUN_VALUE_SIZE,
    MAX_VALUE_SIZE,
    ExpressionError,
    RunBudget,
    text_size,
)

# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Ref:
    """A reference to the result of call `id`."""

    id: str


@dataclass(frozen=True)
class Template:
    """A string with `{id}` / `$N` references, interpolated with the results' text."""

    parts: tuple[str | Ref, ...]


@dataclass(frozen=True)
class BinOp:
    """`left op right` with op one of `+ - * /`."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Expr


@dataclass(frozen=True)
class ListExpr:
    """A list (or tuple) literal."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class DictExpr:
    """A dict literal with constant string keys."""

    items: tuple[tuple[str, Expr], ...]


Constant: TypeAlias = str | int | float | bool | None
Expr: TypeAlias = Constant | Ref | Template | BinOp | Neg | ListExpr | DictExpr


def walk(expr: Expr) -> Iterator[Expr | str]:
    """An expression and everything inside it, depth first (a template's text parts too)."""
    yield expr
    children: tuple[Any, ...] = ()
    if isinstance(expr, Template):
        children = expr.parts
    elif isinstance(expr, BinOp):
        children = (expr.left, expr.right)
    elif isinstance(expr, Neg):
        children = (expr.operand,)
    elif isinstance(expr, ListExpr):
        children = expr.items
    elif isinstance(expr, DictExpr):
        children = tuple(value for _, value in expr.items)
    for child in children:
        yield from walk(child)


def iter_refs(expr: Expr) -> Iterator[Ref]:
    """Every `Ref` inside an expression, depth first."""
    return (e for e in walk(expr) if isinstance(e, Ref))


def render_expr(expr: Expr) -> str:
    """Render an expression back to plan text."""
    if isinstance(expr, Ref):
        return expr.id if expr.id[:1].isalpha() else f"${expr.id}"
    if isinstance(expr, Template):
        text = "".join(p if isinstance(p, str) else "{" + p.id + "}" for p in expr.parts)
        return json.dumps(text)
    if isinstance(expr, BinOp):
        return f"({render_expr(expr.left)} {expr.op} {render_expr(expr.right)})"
    if isinstance(expr, Neg):
        return f"-{render_expr(expr.operand)}"
    if isinstance(expr, ListExpr):
        return "[" + ", ".join(render_expr(i) for i in expr.items) + "]"
    if isinstance(expr, DictExpr):
        return "{" + ", ".join(f"{json.dumps(k)}: {render_expr(v)}" for k, v in expr.items) + "}"
    return json.dumps(expr)


__all__ = [
    "MAX_DEPTH",
    "MAX_INT_BITS",
    "MAX_RUN_VALUE_SIZE",
    "MAX_VALUE_SIZE",
    "BinOp",
    "DictExpr",
    "ExpressionError",
    "ListExpr",
    "Neg",
    "Ref",
    "RunBudget",
    "Template",
    "evaluate",
    "evaluate_args",
    "expr_depth",
    "iter_refs",
    "render_expr",
    "result_text",
    "text_size",
    "walk",
]

# ---------------------------------------------------------------------- evaluation


def result_text(value: Any) -> str:
    """The text of a result, as interpolated into strings.

    An integer too long for `str` (Python refuses more than 4,300 digits) is written in
    scientific notation, so a tool that returns one still has a result the LLM can read.
    """
    if isinstance(value, str):
        return value
    for readable in (False, True):
        try:  # a result that refers to itself, or nests too deep, raises RecursionError
            attempt = _readable_ints(value) if readable else value
            if isinstance(attempt, str):
                return attempt
            return json.dumps(attempt, ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError):
            continue
    try:
        return str(value)
    except (ValueError, RecursionError):
        return object.__repr__(value)


def _readable_ints(value: Any) -> Any:
    """`value` with every integer too long for `str` replaced by its scientific notation."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            str(value)
        except ValueError:
            return format(Decimal(value), ".6e")
        return value
    if isinstance(value, list | tuple):
        return [_readable_ints(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _readable_ints(v) for k, v in value.items()}
    return value


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            return value
    return value


def expr_depth(expr: Expr) -> int:
    """Nesting depth of an expression (a constant is 1), without recursion."""
    deepest, stack = 0, [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in _children(node))
    return deepest


def _children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, BinOp):
        return (expr.left, expr.right)
    if isinstance(expr, Neg):
        return (expr.operand,)
    if isinstance(expr, ListExpr):
        return expr.items
    if isinstance(expr, DictExpr):
        return tuple(v for _, v in expr.items)
    return ()


class _Evaluator:
    """Evaluates expressions for one call, charging what they build to its budgets."""

    def __init__(
        self, results: Mapping[str, Any], budget: int, run: RunBudget | None = None
    ) -> None:
        self.results = results
        self.budget = budget
        self.run = run
        self.sizes: dict[int, tuple[Any, int]] = {}  # the budget only shrinks: sizes keep

    def room(self) -> int:
        return min(self.budget, self.run.remaining) if self.run else self.budget

    def charge(self, size: int, what: str) -> None:
        if size > self.room():
            if size > self.budget:
                msg = (
                    f"{what} would go over the size budget of a call's arguments "
                    f"({MAX_VALUE_SIZE:,} characters or items); pass results by id instead "
                    "of copying them into larger values"
                )
            else:
                msg = (
                    f"{what} would go over the size budget of the whole run "
                    f"({MAX_RUN_VALUE_SIZE:,} characters or items built by all its calls); "
                    "pass results by id instead of copying them"
                )
            raise ExpressionError(msg)
        self.budget -= size
        if self.run is not None:
            self.run.remaining -= size

    def text(self, value: Any) -> str:
        if not isinstance(value, str):
            room = self.room()
            if text_size(value, room, self.sizes) > room:  # before rendering it
                self.charge(room + 1, "putting a result into text")
        text = result_text(value)
        self.charge(len(text), "putting a result into text")
        return text

    def expanded(self, value: Any, what: str) -> int:
        """The size `value` has written out, shared references counted each time."""
        room = self.room()
        size = text_size(value, room, self.sizes)
        if size > room:
            self.charge(size, what)  # raises
        return size

    def item(self, expr: Expr, depth: int, what: str) -> Any:
        """An entry of a list or dict.

        A result put in one counts at its written-out size, so `[s1, s1]` chains
        cannot double a value with every call.
        """
        value = self.value_of(expr, depth)
        if isinstance(expr, Ref):
            self.charge(self.expanded(value, what), what)
        return value

    def number(self, value: Any, op: str) -> int | float:
        value = _number(value)
        if isinstance(value, int | float):
            return value
        msg = f"`{op}` works on numbers only, not on {type(value).__name__}"
        if op == "*":
            msg += " (the plan language has no repetition of text or lists)"
        raise ExpressionError(msg)

    def binop(self, op: str, left: Any, right: Any) -> Any:
        if op == "+" and isinstance(left, str) and isinstance(right, str):
            self.charge(len(left) + len(right), "joining text with `+`")
            return left + right
        if op == "+" and isinstance(left, list | tuple) and isinstance(right, list | tuple):
            what = "joining lists with `+`"
            self.charge(self.expanded(left, what) + self.expanded(right, what), what)
            return [*left, *right]
        a, b = self.number(left, op), self.number(right, op)
        bits = _bits(a) + _bits(b) if op == "*" else max(_bits(a), _bits(b)) + 1
        if op != "/" and bits > MAX_INT_BITS:
            msg = f"`{op}` would make a number over {MAX_INT_BITS} bits"
            raise ExpressionError(msg)
        try:
            value = _ARITH[op](a, b)
        except ArithmeticError as err:  # division by zero, float overflow
            msg = f"`{op}` failed: {err}"
            raise ExpressionError(msg) from err
        if isinstance(value, float) and not math.isfinite(value):
            msg = f"`{op}` made a number too large for a float ({value})"
            raise ExpressionError(msg)
        return value

    def value_of(self, expr: Expr, depth: int = 1) -> Any:
        if depth > MAX_DEPTH:
            msg = f"the argument is nested deeper than {MAX_DEPTH} levels"
            raise ExpressionError(msg)
        if isinstance(expr, Ref):
            return self.results[expr.id]
        if isinstance(expr, Template):
            return "".join(
                p if isinstance(p, str) else self.text(self.results[p.id]) for p in expr.parts
            )
        if isinstance(expr, BinOp):
            left = self.value_of(expr.left, depth + 1)
            right = self.value_of(expr.right, depth + 1)
            return self.binop(expr.op, left, right)
        if isinstance(expr, Neg):
            return -self.number(self.value_of(expr.operand, depth + 1), "-")
        if isinstance(expr, ListExpr):
            self.charge(len(expr.items), "a list")
            return [self.item(i, depth + 1, "a list") for i in expr.items]
        if isinstance(expr, DictExpr):
            self.charge(len(expr.items), "a dict")
            return {k: self.item(v, depth + 1, "a dict") for k, v in expr.items}
        if (
            isinstance(expr, int)
            and not isinstance(expr, bool)
            and expr.bit_length() > MAX_INT_BITS
        ):
            msg = f"a number over {MAX_INT_BITS} bits"
            raise ExpressionError(msg)
        return expr


def _bits(value: float) -> int:
    return value.bit_length() if isinstance(value, int) else 0


def evaluate(expr: Expr, results: Mapping[str, Any], *, budget: int = MAX_VALUE_SIZE) -> Any:
    """Compute an argument's value from the results of earlier calls.

    A whole-argument reference keeps the result's structure; references inside
    strings put in the result's text. What the expression builds (text, lists,
    numbers, nesting) is checked against the limits before it is allocated.

    Raises:
        KeyError: when a referenced result is missing.
        ExpressionError: when `+ - * /` meet values they cannot combine, or the
            value would go over `MAX_VALUE_SIZE`, `MAX_INT_BITS` or `MAX_DEPTH`.
    """
    return _Evaluator(results, budget).value_of(expr)


def evaluate_args(
    exprs: Mapping[str, Expr], results: Mapping[str, Any], *, run: RunBudget | None = None
) -> dict[str, Any]:
    """Every argument of one call, sharing one `MAX_VALUE_SIZE` budget (see `evaluate`).

    Args:
        exprs: the call's arguments by name.
        results: the results of earlier calls.
        run: the budget of the whole run, when the call is one of many.
    """
    evaluator = _Evaluator(results, MAX_VALUE_SIZE, run)
    return {name: evaluator.value_of(expr) for name, expr in exprs.items()}

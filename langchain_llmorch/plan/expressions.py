"""Plan expressions: the values a call's arguments are made of, and their safe evaluation.

An argument is a constant, a reference to an earlier call's result (`Ref`), a string
with references inside (`Template`), a list, a dict, or `+ - * /` between them. The
parser builds these from LLM text through a whitelist; `evaluate` computes an
argument from results without ever handing text to Python.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

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


def iter_refs(expr: Expr) -> Iterator[Ref]:
    """Every `Ref` inside an expression, depth first."""
    if isinstance(expr, Ref):
        yield expr
    elif isinstance(expr, Template):
        yield from (p for p in expr.parts if isinstance(p, Ref))
    elif isinstance(expr, BinOp):
        yield from iter_refs(expr.left)
        yield from iter_refs(expr.right)
    elif isinstance(expr, Neg):
        yield from iter_refs(expr.operand)
    elif isinstance(expr, ListExpr):
        for item in expr.items:
            yield from iter_refs(item)
    elif isinstance(expr, DictExpr):
        for _, value in expr.items:
            yield from iter_refs(value)


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


# ---------------------------------------------------------------------- evaluation


def result_text(value: Any) -> str:
    """The text of a result, as interpolated into strings."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


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


def evaluate(expr: Expr, results: Mapping[str, Any]) -> Any:
    """Compute an argument's value from the results of earlier calls.

    A whole-argument reference keeps the result's structure; references inside
    strings put in the result's text.

    Raises:
        KeyError: when a referenced result is missing.
        TypeError: when `+ - * /` meet values they cannot combine.
    """
    if isinstance(expr, Ref):
        return results[expr.id]
    if isinstance(expr, Template):
        return "".join(p if isinstance(p, str) else result_text(results[p.id]) for p in expr.parts)
    if isinstance(expr, BinOp):
        left, right = evaluate(expr.left, results), evaluate(expr.right, results)
        if expr.op != "+" or not (isinstance(left, str) and isinstance(right, str)):
            left, right = _number(left), _number(right)
        return _ARITH[expr.op](left, right)
    if isinstance(expr, Neg):
        return -_number(evaluate(expr.operand, results))
    if isinstance(expr, ListExpr):
        return [evaluate(i, results) for i in expr.items]
    if isinstance(expr, DictExpr):
        return {k: evaluate(v, results) for k, v in expr.items}
    return expr

"""Binding a call's arguments to its tool's parameters, and checking them statically.

Positional arguments are bound in the schema's order; every argument is checked
against the value limits (depth, size, numbers) before anything large is built,
and constant ones against the parameter's type.
"""

from __future__ import annotations

import contextlib
from typing import Any

from langchain_core.tools import BaseTool
from pydantic import RootModel, TypeAdapter, ValidationError

from langchain_llmorch.errors import PlanProblem
from langchain_llmorch.plan.expressions import (
    MAX_DEPTH,
    BinOp,
    DictExpr,
    ExpressionError,
    ListExpr,
    Neg,
    evaluate,
    expr_depth,
    iter_refs,
    render_expr,
)
from langchain_llmorch.plan.language import Call, Expr


class Binder:
    """Binds calls' arguments to their tools' schemas, caching per tool and per type."""

    def __init__(self) -> None:
        self.fields: dict[str, dict[str, tuple[Any, bool]]] = {}
        self.adapters: dict[Any, TypeAdapter[Any]] = {}

    def bind(
        self, call: Call, tool: BaseTool | None, problems: list[PlanProblem]
    ) -> dict[str, Expr]:
        """Bind positional arguments to parameter names and check them against the schema."""
        if tool is None:  # `self`: a prompt and nothing else
            return self._bind_builtin(call, problems)
        if tool.name not in self.fields:
            self.fields[tool.name] = _schema_fields(tool)
        fields = self.fields[tool.name]
        names = list(fields)
        bound: dict[str, Expr] = {}
        if len(call.args) > len(names):
            msg = (
                f"{call.tool} takes {len(names)} argument(s) ({', '.join(names)}), "
                f"got {len(call.args)}"
            )
            problems.append(PlanProblem(call.id, msg, call.line))
        bound.update(zip(names, call.args, strict=False))
        for name, expr in call.kwargs.items():
            if name not in fields:
                known = ", ".join(names) or "none"
                msg = f"{call.tool} has no argument {name!r}; its arguments are {known}"
                problems.append(PlanProblem(call.id, msg, call.line))
            elif name in bound:
                problems.append(PlanProblem(call.id, f"argument {name!r} given twice", call.line))
            bound[name] = expr
        for name, (annotation, required) in fields.items():
            if name not in bound:
                if required:
                    msg = f"{call.tool} needs argument {name!r}"
                    problems.append(PlanProblem(call.id, msg, call.line))
                continue
            self._check_value(call, name, bound[name], annotation, problems)
        return bound

    def _bind_builtin(self, call: Call, problems: list[PlanProblem]) -> dict[str, Expr]:
        bound = dict(zip(["prompt"], call.args, strict=False)) | dict(call.kwargs)
        extra = [k for k in call.kwargs if k != "prompt"]
        if len(call.args) > 1 or extra or (call.args and "prompt" in call.kwargs):
            msg = 'self takes only a prompt: self(prompt="...")'
            problems.append(PlanProblem(call.id, msg, call.line))
        elif "prompt" not in bound:
            problems.append(
                PlanProblem(call.id, 'self needs a prompt: self(prompt="...")', call.line)
            )
        for name, expr in bound.items():
            self._check_value(call, name, expr, None, problems)
        return bound

    def _check_value(
        self,
        call: Call,
        name: str,
        expr: Expr,
        annotation: Any,
        problems: list[PlanProblem],
    ) -> None:
        """Limits first (without building anything large), then the type of a constant."""
        try:
            value = _constant_value(expr)
        except ExpressionError as err:
            msg = f"argument {name!r} of {call.tool}: {err}"
            problems.append(PlanProblem(call.id, msg, call.line))
            return
        if value is _NOT_CONSTANT or annotation is None:
            return
        try:
            adapter = self.adapters.get(annotation)
        except TypeError:  # an unhashable annotation
            adapter = None
        if adapter is None:
            adapter = TypeAdapter(annotation)
            with contextlib.suppress(TypeError):
                self.adapters[annotation] = adapter
        try:
            adapter.validate_python(value)
        except ValidationError as err:
            reason = err.errors()[0].get("msg", str(err))
            shown = render_expr(expr)
            shown = shown if len(shown) <= _SHOWN else shown[: _SHOWN - 3] + "..."
            msg = f"argument {name!r} of {call.tool} is invalid: {reason} (got {shown})"
            problems.append(PlanProblem(call.id, msg, call.line))


_SHOWN = 80
_NOT_CONSTANT = object()
_INJECTED = frozenset({"config", "callbacks", "run_manager"})


def _constant_value(expr: Expr) -> Any:
    """The value of a constant expression, `_NOT_CONSTANT` otherwise.

    Every constant part is built under the limits of `evaluate`, so a small text
    cannot build a huge value.

    Raises:
        ExpressionError: over a limit, or operands that do not combine.
    """
    if expr_depth(expr) > MAX_DEPTH:
        msg = f"the argument is nested deeper than {MAX_DEPTH} levels; split it into calls"
        raise ExpressionError(msg)
    if next(iter_refs(expr), None) is None:
        return evaluate(expr, {})
    if isinstance(expr, BinOp):
        _constant_value(expr.left)
        _constant_value(expr.right)
    elif isinstance(expr, Neg):
        _constant_value(expr.operand)
    elif isinstance(expr, ListExpr):
        for item in expr.items:
            _constant_value(item)
    elif isinstance(expr, DictExpr):
        for _, item in expr.items:
            _constant_value(item)
    return _NOT_CONSTANT


def _schema_fields(tool: BaseTool) -> dict[str, tuple[Any, bool]]:
    """Parameter name -> (annotation or None, required), from the tool's args schema."""
    schema = tool.get_input_schema()
    fields = getattr(schema, "model_fields", {})
    if isinstance(schema, type) and issubclass(schema, RootModel):  # a JSON-schema tool
        fields = {}
    out: dict[str, tuple[Any, bool]] = {}
    for name, info in fields.items():
        if name in _INJECTED:
            continue
        out[info.alias or name] = (info.annotation, info.is_required())
    if not out and not fields:
        for name, prop in tool.args.items():
            out[name] = (None, "default" not in prop)
    return out

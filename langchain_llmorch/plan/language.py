"""The plan language: LLM text -> `Plan`, and safe evaluation of call arguments.

Two grammars are accepted, line by line:

    s1: search(query="openai.com")                # LLMOrch: `id: tool(name=value, ...)`
    Thought: I need both populations.             # kept as the next call's rationale
    2. math("population of {s1}?", ["$1"])        # LLMCompiler: `N. tool(args)`, refs $N / ${N}
    3. join()                                     # LLMCompiler's end marker

Each call's expression is parsed with `ast` and converted through a whitelist of
node types into the small expression tree below; nothing is ever evaluated by
Python. References are bare ids (`s1`), `$1` / `${1}`, and `{s1}` inside strings.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from langchain_llmorch.errors import PlanSyntaxError
from langchain_llmorch.plan.expressions import (
    MAX_DEPTH,
    MAX_INT_BITS,
    BinOp,
    Constant,
    DictExpr,
    Expr,
    ListExpr,
    Neg,
    Ref,
    Template,
    evaluate,
    iter_refs,
    render_expr,
    result_text,
)
from langchain_llmorch.plan.lines import (
    FIX_FORMAT,
    REF_PREFIX,
    RawCall,
    mask_dollar_refs,
    split_calls,
)

__all__ = [
    "BinOp",
    "Call",
    "Constant",
    "DictExpr",
    "Expr",
    "ListExpr",
    "Neg",
    "Plan",
    "Ref",
    "Template",
    "evaluate",
    "iter_refs",
    "parse_plan",
    "render_expr",
    "result_text",
]


@dataclass(frozen=True)
class Call:
    """One function call of a plan."""

    id: str
    """Unique id; its result is referred to by this id."""
    tool: str
    """Name of the tool (or a built-in: `self`, `join`)."""
    args: tuple[Expr, ...] = ()
    """Positional arguments."""
    kwargs: Mapping[str, Expr] = field(default_factory=dict)
    """Keyword arguments, in the order written."""
    thought: str | None = None
    """The `Thought:` written before the call, if any."""
    line: int = 0
    """1-based line of the plan text where the call starts."""
    source: str = ""
    """The call's text as written (without the id)."""

    def references(self) -> list[str]:
        """Ids this call refers to, in order of first appearance, without repeats."""
        seen: dict[str, None] = {}
        for expr in (*self.args, *self.kwargs.values()):
            for ref in iter_refs(expr):
                seen.setdefault(ref.id, None)
        return list(seen)

    def render(self) -> str:
        """The call in the plan language (`s1: tool(a=1, b=s0)`)."""
        return f"{self.id}: {self.expression()}"

    def expression(self) -> str:
        """The call without its id (`tool(a=1, b=s0)`): how answers and checks show it."""
        parts = [render_expr(a) for a in self.args]
        parts += [f"{k}={render_expr(v)}" for k, v in self.kwargs.items()]
        return f"{self.tool}({', '.join(parts)})"


@dataclass(frozen=True)
class Plan:
    """A parsed plan: its calls in plan order."""

    calls: tuple[Call, ...]
    source: str = ""

    def __iter__(self) -> Iterator[Call]:
        """Iterate the calls in plan order."""
        return iter(self.calls)

    def __len__(self) -> int:
        """Number of calls."""
        return len(self.calls)

    def render(self) -> str:
        """The plan in the LLMOrch grammar, one call a line."""
        return "\n".join(c.render() for c in self.calls)


# ------------------------------------------------------------------------- parsing

_DOLLAR = re.compile(r"\$\{(\d+)\}|\$(\d+)")
_BRACE = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_]*|\$?\d+)\s*\}")
MAX_PLAN_CHARS = 1_000_000
"""Longest plan text `parse_plan` accepts (about 1 MB); longer is a `PlanSyntaxError`."""
MAX_PLAN_CALLS = 10_000
"""Most calls in one plan."""
MAX_PLAN_ITEMS = 30_000
"""Most items (counted as `, : ( [ { + - * /` in the calls) a plan may hold: this bounds
the syntax tree Python's parser builds, hence the time and memory of parsing."""
_ITEM_CHARS = ",:([{+-*/"


_BIN_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}


_NODE_NAMES: dict[type[ast.AST], str] = {
    ast.Call: "a call inside an argument",
    ast.Attribute: "attribute access (`x.y`)",
    ast.Subscript: "indexing (`x[0]`)",
    ast.Lambda: "lambda",
    ast.JoinedStr: "an f-string",
}


class _Converter:
    """Turns a whitelisted Python AST into plan expressions."""

    def __init__(self, ids: set[str], raw: RawCall) -> None:
        self.ids = ids
        self.raw = raw

    def error(self, node: ast.AST | None, message: str) -> PlanSyntaxError:
        line_offset = (getattr(node, "lineno", 1) or 1) - 1
        col = getattr(node, "col_offset", 0) or 0
        column = (self.raw.column if line_offset == 0 else 1) + col
        return PlanSyntaxError(
            message, line=self.raw.line + line_offset, column=column, text=self.raw.text
        )

    def string(self, value: str) -> Expr:
        parts: list[str | Ref] = []
        pos = 0
        pattern = re.compile(_BRACE.pattern + "|" + _DOLLAR.pattern)
        for m in pattern.finditer(value):
            name = m[1] if m[1] is not None else (m[2] or m[3])
            name = name.lstrip("$")
            is_dollar = m[1] is None or m[1].startswith("$")
            if not is_dollar and name not in self.ids:
                continue  # `{word}` that names no call is plain text (JSON, templates...)
            parts += [value[pos : m.start()], Ref(name)]
            pos = m.end()
        parts.append(value[pos:])
        parts = [p for p in parts if p != ""]
        if not any(isinstance(p, Ref) for p in parts):
            return value
        if len(parts) == 1 and isinstance(parts[0], Ref) and value.strip().startswith("$"):
            return parts[0]  # "$1" alone is the structured result, as in LLMCompiler
        return Template(tuple(parts))

    def expr(self, node: ast.expr, depth: int = 1) -> Expr:
        if depth > MAX_DEPTH:
            msg = (
                f"the argument is nested deeper than {MAX_DEPTH} levels (brackets and "
                "operators); split it into several calls"
            )
            raise self.error(node, msg)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return self.string(node.value)
            if isinstance(node.value, float) and not math.isfinite(node.value):
                raise self.error(node, "the number is too large for a float")
            if isinstance(node.value, int) and node.value.bit_length() > MAX_INT_BITS:
                msg = f"the number is too large (over {MAX_INT_BITS} bits)"
                raise self.error(node, msg)
            if node.value is None or isinstance(node.value, bool | int | float):
                return node.value
            raise self.error(node, f"unsupported literal {node.value!r}; use numbers or strings")
        if isinstance(node, ast.Name):
            name = node.id.removeprefix(REF_PREFIX)
            return Ref(name)
        if isinstance(node, ast.List | ast.Tuple):
            return ListExpr(tuple(self.expr(e, depth + 1) for e in node.elts))
        if isinstance(node, ast.Dict):
            items: list[tuple[str, Expr]] = []
            for key, value in zip(node.keys, node.values, strict=True):
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                    raise self.error(node, "dict keys must be quoted strings")
                items.append((key.value, self.expr(value, depth + 1)))
            return DictExpr(tuple(items))
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN_OPS:
            left, right = self.expr(node.left, depth + 1), self.expr(node.right, depth + 1)
            return BinOp(_BIN_OPS[type(node.op)], left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.expr(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return operand
            if isinstance(operand, int | float) and not isinstance(operand, bool):
                return -operand
            return Neg(operand)
        what = _NODE_NAMES.get(type(node), type(node).__name__)
        msg = (
            f"{what} is not allowed in a plan; arguments may only be numbers, strings, "
            "lists, dicts, ids of earlier calls and + - * / between them"
        )
        if isinstance(node, ast.Call):
            msg += "; make the inner call its own step and pass its id"
        raise self.error(node, msg)

    def call(self) -> Call:
        source = mask_dollar_refs(self.raw.text)
        try:
            # LLM text must not print to stderr, nor fail under warnings-as-errors: Python
            # 3.11 warns of `"C:\data"` with a DeprecationWarning, 3.12 with a SyntaxWarning.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(source, mode="eval")
        except SyntaxError as err:
            msg = f"invalid call syntax ({err.msg}). {FIX_FORMAT}"
            where = ast.Constant(
                value=None, lineno=err.lineno or 1, col_offset=(err.offset or 1) - 1
            )
            raise self.error(where, msg) from None
        except (MemoryError, RecursionError):  # CPython's parser stack overflowed
            msg = f"the call is nested too deeply to read; keep arguments under {MAX_DEPTH} levels"
            raise self.error(None, msg) from None
        except ValueError as err:  # null bytes, unencodable characters, huge literals
            msg = f"the call cannot be read ({err}); write plain text and numbers"
            raise self.error(None, msg) from None
        node = tree.body
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            raise self.error(node, f"expected `tool(...)` after `{self.raw.id}:`. {FIX_FORMAT}")
        kwargs: dict[str, Expr] = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise self.error(kw.value, "`**` is not allowed; name each argument")
            if kw.arg in kwargs:
                raise self.error(kw.value, f"argument {kw.arg!r} is given twice")
            kwargs[kw.arg] = self.expr(kw.value)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error(arg, "`*` is not allowed; write the arguments out")
        return Call(
            id=self.raw.id,
            tool=node.func.id,
            args=tuple(self.expr(a) for a in node.args),
            kwargs=kwargs,
            thought=self.raw.thought,
            line=self.raw.line,
            source=self.raw.text,
        )


def parse_plan(text: str) -> Plan:
    """Parse plan text written by an LLM into a `Plan`.

    Nothing in the text is executed: each call is parsed with `ast` and walked
    through a whitelist (numbers, strings, lists, dicts, references and
    `+ - * /`).

    Args:
        text: the plan, one call per line, in LLMOrch or LLMCompiler format.

    Returns:
        The calls in plan order.

    Raises:
        PlanSyntaxError: with the line, the column and what to write instead.

    Example:
        ```python
        from langchain_llmorch import parse_plan

        plan = parse_plan('s1: search(query="openai.com")\\ns2: summarize(text=s1)')
        assert [c.id for c in plan.calls] == ["s1", "s2"]
        assert plan.calls[1].references() == ["s1"]
        ```
    """
    if len(text) > MAX_PLAN_CHARS:
        msg = (
            f"the plan is {len(text):,} characters long, over the limit of {MAX_PLAN_CHARS:,}; "
            "write fewer, shorter calls and pass results by id"
        )
        raise PlanSyntaxError(msg, line=1, column=1)
    raw_calls = split_calls(text)
    if not raw_calls:
        msg = f"the plan has no calls. {FIX_FORMAT}"
        raise PlanSyntaxError(msg, line=1, column=1)
    if len(raw_calls) > MAX_PLAN_CALLS:
        msg = f"the plan has {len(raw_calls):,} calls, over the limit of {MAX_PLAN_CALLS:,}"
        raise PlanSyntaxError(msg, line=raw_calls[MAX_PLAN_CALLS].line, column=1)
    items = 0
    for raw in raw_calls:
        items += sum(raw.text.count(c) for c in _ITEM_CHARS)
        if items > MAX_PLAN_ITEMS:
            msg = (
                f"the plan is too large: over {MAX_PLAN_ITEMS:,} items (calls, arguments, "
                "list entries, operators) by this line; write fewer calls and shorter lists"
            )
            raise PlanSyntaxError(msg, line=raw.line, column=1)
    ids = {raw.id for raw in raw_calls}
    calls = tuple(_convert(ids, raw) for raw in raw_calls)
    return Plan(calls=calls, source=text)


def _convert(ids: set[str], raw: RawCall) -> Call:
    converter = _Converter(ids, raw)
    try:
        return converter.call()
    except PlanSyntaxError:
        raise
    except (MemoryError, RecursionError, ValueError, TypeError, ArithmeticError) as err:
        # Defensive: whatever the text does to `ast`, the caller sees a plan error.
        msg = f"the call cannot be read ({type(err).__name__}); write it more simply"
        raise converter.error(None, msg) from None

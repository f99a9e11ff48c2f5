"""A llama.cpp grammar (GBNF) for text plans, made from the agent's tools.

Under it the embedded model cannot write a line the plan language rejects: each line is
`sN: tool(argument=value, ...)` with the ids in order (`s1`, `s2`, ...), only the given
tools, each with its own argument names in order (required ones always, optional ones
when wanted), values of the argument's type, and references only to earlier ids. The
plan ends with `END_OF_PLAN`. A text plan is about half the tokens of the same plan as
JSON (`{"id": "s1", "tool": ..., "args": {...}}`), and the model is not asked to
close it with anything but the marker.

llama.cpp reads the grammar from the request body (`grammar`), so the chat model sends
it as `extra_body` (`grammar_request`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.tools import BaseTool

from langchain_llmorch.errors import OptionValueError
from langchain_llmorch.plan.replies import END_OF_PLAN
from langchain_llmorch.tools import SELF_TOOL

if TYPE_CHECKING:
    from langchain_llmorch.agent.state import AgentContext

MAX_STEPS = 8
"""Calls a plan may have under the grammar."""
MAX_TEXT = 200
"""Characters a string argument may have under the grammar (a small model may ramble)."""

_TERMINALS = f"""\
str ::= "\\"" [^"\\\\\\n]{{0,{MAX_TEXT}}} "\\""
int ::= "-"? [0-9]{{1,15}}
num ::= "-"? [0-9]{{1,15}} ("." [0-9]{{1,12}})?
bool ::= "True" | "False"
item ::= str | num
list ::= "[" (item (", " item){{0,31}})? "]"
"""


def _value(spec: Mapping[str, Any]) -> str:
    """The terminal of one argument's values (besides a reference)."""
    kind = spec.get("type")
    if kind is None and "anyOf" in spec:  # `X | None`: the first concrete type
        kinds = [s for s in spec["anyOf"] if s.get("type") not in {None, "null"}]
        return _value(kinds[0]) if kinds else "str"
    return {"integer": "int", "number": "num", "boolean": "bool", "array": "list"}.get(
        str(kind), "str"
    )


def _literal(text: str) -> str:
    return json.dumps(text)


def _call_rule(tool: BaseTool, refs: str | None) -> str:
    """The right-hand side of one tool's call, with `refs` (a rule) allowed as values."""
    args = tool.args if tool.name != SELF_TOOL else {"prompt": {"type": "string"}}
    required = [(n, s) for n, s in args.items() if "default" not in s]
    optional = [(n, s) for n, s in args.items() if "default" in s]

    def value(spec: Mapping[str, Any]) -> str:
        own = _value(spec)
        return f"({own} | {refs})" if refs else own

    parts = [_literal(f"{tool.name}(")]
    for i, (name, spec) in enumerate(required):
        parts += [_literal(f"{', ' if i else ''}{name}="), value(spec)]
    extra = [f"({_literal(f', {name}=')} {value(spec)})?" for name, spec in optional]
    if optional and not required:  # the first optional one opens the list, without a comma
        name, spec = optional[0]
        extra = [f"({_literal(f'{name}=')} {value(spec)} {' '.join(extra[1:])})?"]
    return " ".join([*parts, *extra, _literal(")")])


def plan_grammar(tools: Sequence[BaseTool], *, max_steps: int = MAX_STEPS) -> str:
    """A GBNF grammar of the text plans that call only `tools` (and `self`, if among them).

    Args:
        tools: the agent's tools; `self` is allowed only when it is one of them.
        max_steps: the most calls a plan may have.

    Returns:
        The grammar's text, for llama.cpp's `grammar` request field.

    Raises:
        OptionValueError: no tool, or `max_steps` below 1 (also a `ValueError`).

    Example:
        ```python
        from langchain_llmorch import inout
        from langchain_llmorch.local.grammar import plan_grammar

        @inout
        def height(mountain: str) -> int:
            \"\"\"The height of a mountain.\"\"\"
            return 8611

        grammar = plan_grammar([height])
        assert '"height(" "mountain=" str' in grammar
        ```
    """
    if max_steps < 1:
        msg = f"max_steps must be at least 1, not {max_steps}"
        raise OptionValueError(msg)
    usable = list(tools)
    if not usable:
        msg = "a plan grammar needs at least one tool"
        raise OptionValueError(msg)
    lines = []
    for step in range(1, max_steps + 1):
        rest = f"(step{step + 1} | end)" if step < max_steps else "end"
        lines.append(f'step{step} ::= "s{step}: " call{step} "\\n" {rest}')
        refs = None
        if step > 1:
            lines.append(f"ref{step} ::= " + " | ".join(f'"s{i}"' for i in range(1, step)))
            refs = f"ref{step}"
        names = [f"t{i}-{step}" for i in range(len(usable))]
        lines.append(f"call{step} ::= " + " | ".join(names))
        lines += [f"{n} ::= {_call_rule(t, refs)}" for n, t in zip(names, usable, strict=True)]
    return "\n".join(["root ::= step1", *lines, f"end ::= {_literal(END_OF_PLAN)}", _TERMINALS])


def grammar_request(tools: Sequence[BaseTool]) -> dict[str, Any]:
    """The keyword arguments that send `plan_grammar(tools)` with a chat model's request.

    Example:
        ```python
        from langchain_llmorch import inout
        from langchain_llmorch.local.grammar import grammar_request

        @inout
        def height(mountain: str) -> int:
            \"\"\"The height of a mountain.\"\"\"
            return 8611

        assert "grammar" in grammar_request([height])["extra_body"]
        ```
    """
    return {"extra_body": {"grammar": plan_grammar(tools)}}


_PLAN_KINDS = frozenset({"plan", "repair"})


def text_plan_constraint(ctx: AgentContext, kind: str) -> dict[str, Any]:
    """What a text request of `kind` sends besides its messages: the grammar, or nothing.

    Plan and repair requests carry `grammar_request(ctx.tools)` when the agent's
    `plan_grammar` option is on (`None`: for the embedded model only).

    Example:
        ```python
        from langchain_llmorch.local.grammar import text_plan_constraint

        model.bind(stop=["<END_OF_PLAN>"], **text_plan_constraint(ctx, "plan"))
        ```
    """
    return grammar_request(ctx.tools) if kind in _PLAN_KINDS and uses_plan_grammar(ctx) else {}


def uses_plan_grammar(ctx: AgentContext) -> bool:
    """Whether the agent's text plans go under the grammar (`plan_grammar`, resolved).

    Example:
        ```python
        from langchain_llmorch.local.grammar import uses_plan_grammar

        assert uses_plan_grammar(ctx) is ctx.options.plan_grammar  # when given
        ```
    """
    return ctx.embedded_default(ctx.options.plan_grammar)


__all__ = [
    "MAX_STEPS",
    "MAX_TEXT",
    "grammar_request",
    "plan_grammar",
    "text_plan_constraint",
    "uses_plan_grammar",
]

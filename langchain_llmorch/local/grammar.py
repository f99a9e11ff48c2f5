"""A llama.cpp grammar (GBNF) for text plans, made from the agent's tools.

Under it the embedded model cannot write a line the plan language rejects: each line is
`sN: tool(argument=value, ...)` with the ids in order (`s1`, `s2`, ...), only the given
tools, each with its own argument names in order (required ones always, optional ones
when wanted), values of the argument's type, and references only to earlier ids. The
plan ends with `END_OF_PLAN`. A text plan is about half the tokens of the same plan as
JSON (`{"id": "s1", "tool": ..., "args": {...}}`), and the model is not asked to
close it with anything but the marker.

A plan request also limits the numbers a call may be given (`given_numbers`): those the
user wrote (in digits, or as a word: "two", "a dozen"), what they are in another unit a
tool names ("90 minutes" is 1.5 for an argument `hours`), the tools' defaults, 0 and 1.
The 0.5B model wrote `hours=2.5` for "2 hours", copying the examples' sample value; sent
back with the doubt, it wrote the same plan again. Numbers inside texts stay free.

llama.cpp reads the grammar from the request body (`grammar`), so the chat model sends
it as `extra_body` (`grammar_request`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.tools import BaseTool

from langchain_llmorch.errors import OptionValueError
from langchain_llmorch.plan.replies import END_OF_PLAN
from langchain_llmorch.tools import SELF_TOOL

if TYPE_CHECKING:
    from langchain_core.messages import AnyMessage

    from langchain_llmorch.agent.state import AgentContext

MAX_STEPS = 8
"""Calls a plan may have under the grammar."""
MAX_TEXT = 200
"""Characters a string argument may have under the grammar (a small model may ramble)."""
MAX_NUMBERS = 200
"""Numbers a plan may be limited to; with more given, numbers are free."""

_TEXTS = f"""\
str ::= "\\"" [^"\\\\\\n]{{0,{MAX_TEXT}}} "\\""
bool ::= "True" | "False"
item ::= str | num
list ::= "[" (item (", " item){{0,31}})? "]"
"""
_ANY_INT = 'int ::= "-"? [0-9]{1,15}'
_ANY_NUM = 'num ::= "-"? [0-9]{1,15} ("." [0-9]{1,12})?'


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


def _call_rule(tool: BaseTool, refs: str | None, text: str = "str") -> str:
    """The right-hand side of one tool's call, with `refs` (a rule) allowed as values.

    A text argument's values are `text` (a rule): the step's own, whose braces hold only
    earlier ids.
    """
    args = tool.args if tool.name != SELF_TOOL else {"prompt": {"type": "string"}}
    required = [(n, s) for n, s in args.items() if "default" not in s]
    optional = [(n, s) for n, s in args.items() if "default" in s]

    def value(spec: Mapping[str, Any]) -> str:
        own = _value(spec)
        own = text if own == "str" else own
        return f"({own} | {refs})" if refs else own

    parts = [_literal(f"{tool.name}(")]
    for i, (name, spec) in enumerate(required):
        parts += [_literal(f"{', ' if i else ''}{name}="), value(spec)]
    extra = [f"({_literal(f', {name}=')} {value(spec)})?" for name, spec in optional]
    if optional and not required:  # the first optional one opens the list, without a comma
        name, spec = optional[0]
        extra = [f"({_literal(f'{name}=')} {value(spec)} {' '.join(extra[1:])})?"]
    return " ".join([*parts, *extra, _literal(")")])


def plan_grammar(
    tools: Sequence[BaseTool],
    *,
    max_steps: int = MAX_STEPS,
    numbers: Collection[float] | None = None,
) -> str:
    """A GBNF grammar of the text plans that call only `tools` (and `self`, if among them).

    Args:
        tools: the agent's tools; `self` is allowed only when it is one of them.
        max_steps: the most calls a plan may have.
        numbers: the only numbers a call may be given (`given_numbers`), each written
            plainly (`2`, `26.2`, an optional `-`); an integer argument takes only the
            whole ones (0 is always allowed). `None`, or more than `MAX_NUMBERS`: any.

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
        lines.append(_text_rule(step, refs))
        names = [f"t{i}-{step}" for i in range(len(usable))]
        lines.append(f"call{step} ::= " + " | ".join(names))
        lines += [
            f"{n} ::= {_call_rule(t, refs, f'txt{step}')}"
            for n, t in zip(names, usable, strict=True)
        ]
    end = f"end ::= {_literal(END_OF_PLAN)}"
    return "\n".join(["root ::= step1", *lines, end, *_number_rules(numbers), _TEXTS])


def _text_rule(step: int, refs: str | None) -> str:
    """Step `step`'s texts: braces only around an earlier id (`{s1}` from step 2 on).

    Under the plain `str` rule the 0.5B model wrote `s1: self(prompt="Average of {s1}
    and {s2}")`, a reference to itself and to a later call, and wrote it again when sent
    back with the error. A text of the embedded model's plan holds no other braces.
    """
    plain = '[^"\\\\\\n{}]'
    char = f'({plain} | "{{" {refs} "}}")' if refs else plain
    return f'txt{step} ::= "\\"" {char}{{0,{MAX_TEXT}}} "\\""'


def _number_rules(numbers: Collection[float] | None) -> list[str]:
    """The `int` and `num` rules: any number, or only `numbers` (written plainly)."""
    finite = sorted({abs(n) for n in numbers or () if math.isfinite(n)} | {0.0})
    if numbers is None or len(finite) > MAX_NUMBERS:
        return [_ANY_INT, _ANY_NUM]
    whole = [_plain(n) for n in finite if n.is_integer()]
    every = [_plain(n) for n in finite]

    def rule(name: str, written: list[str]) -> str:
        return f'{name} ::= "-"? ({" | ".join(_literal(w) for w in written)})'

    return [rule("int", whole), rule("num", every)]


def _plain(number: float) -> str:
    """A number as a plan writes it: `2`, `26.2`, `0.000125` (never an exponent)."""
    if number.is_integer():
        return str(int(number))
    return format(number, "f").rstrip("0") if "e" in repr(number) else repr(number)


# Numbers a user may write as words.
_SMALL = """
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
fifteen sixteen seventeen eighteen nineteen twenty
"""
_WORDS: dict[str, float] = {word: n for n, word in enumerate(_SMALL.split())}
_WORDS |= {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70}
_WORDS |= {"eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000, "million": 10**6}
_WORDS |= {"dozen": 12, "twice": 2, "double": 2, "thrice": 3, "triple": 3, "half": 0.5}
_WORDS |= {"quarter": 0.25}
_DIGITS = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.])\d+(?:\.\d+)?")
# A number glued to letters is one too ("K2", "12kg", "CO2"): a call may need it.
_GLUED_DIGITS = re.compile(r"\d+(?:\.\d+)?")


def numbers_given(text: str) -> set[float]:
    """The numbers `text` writes, in digits (`1,234.5`, the 2 of `K2`) or as words.

    A fraction gives its value too (`3/4`: 0.75), and a percentage its share (`20%`: 0.2).

    Example:
        ```python
        from langchain_llmorch.local.grammar import numbers_given

        assert numbers_given("Two kettles for 1,500.5 hours, a dozen K2s") >= {2, 1500.5, 12}
        assert numbers_given("3/4 cup, 20% off") >= {3, 4, 0.75, 20, 0.2}
        ```
    """
    found = {float(m.group(0).replace(",", "")) for m in _DIGITS.finditer(text)}
    found |= {float(m.group(0)) for m in _GLUED_DIGITS.finditer(text)}
    found |= {float(_WORDS[w]) for w in re.findall(r"[a-z]+", text.lower()) if w in _WORDS}
    for top, bottom in re.findall(r"(?<![\d.])(\d+)\s*/\s*(\d+)(?![\d.])", text):
        if int(bottom):
            found.add(round(int(top) / int(bottom), 6))
    found |= {round(float(p) / 100, 8) for p in re.findall(r"(\d+(?:\.\d+)?)\s*%", text)}
    return found


def given_numbers(messages: Iterable[AnyMessage], tools: Sequence[BaseTool]) -> set[float]:
    """The numbers a plan for `messages` may give a call (`plan_grammar`'s `numbers`).

    What the user's messages write (`numbers_given`; a repair request's own text, which
    quotes the doubted plan, is not the user's), the values those amounts take in another
    unit of their family that a tool's argument names or description names ("90 minutes"
    and an argument `hours`: 1.5; `agent.unit_numbers`), the tools' numeric defaults, and 1.

    Example:
        ```python
        from langchain_core.messages import HumanMessage

        from langchain_llmorch.local.grammar import given_numbers

        assert given_numbers([HumanMessage("Heat for 2 hours")], []) == {1.0, 2.0}
        ```
    """
    from langchain_llmorch.agent.prompts import REPAIR_HEAD  # noqa: PLC0415 - a cycle
    from langchain_llmorch.agent.unit_numbers import (  # noqa: PLC0415 - a cycle
        converted_numbers,
        tool_units,
    )

    found = {1.0}
    units = tool_units(tools)
    for message in messages:
        if message.type == "human" and not message.text.startswith(REPAIR_HEAD):
            found |= numbers_given(message.text)
            found |= converted_numbers(message.text, units)
    for tool in tools:
        for spec in tool.args.values():
            default = spec.get("default")
            if isinstance(default, int | float) and not isinstance(default, bool):
                found.add(float(default))
    return found


def grammar_request(
    tools: Sequence[BaseTool], *, numbers: Collection[float] | None = None
) -> dict[str, Any]:
    """The keyword arguments that send `plan_grammar(tools)` with a chat model's request.

    `numbers`: the only numbers the plan may give a call (`plan_grammar`).

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
    return {"extra_body": {"grammar": plan_grammar(tools, numbers=numbers)}}


_PLAN_KINDS = frozenset({"plan", "repair"})


def text_plan_constraint(
    ctx: AgentContext, kind: str, messages: Sequence[AnyMessage] | None = None
) -> dict[str, Any]:
    """What a text request of `kind` sends besides its messages: the grammar, or nothing.

    Plan and repair requests carry `grammar_request(ctx.tools)` when the agent's
    `plan_grammar` option is on (`None`: for the embedded model only). With the request's
    `messages`, its calls may be given only the numbers they give (`given_numbers`).

    Example:
        ```python
        from langchain_llmorch.local.grammar import text_plan_constraint

        model.bind(stop=["<END_OF_PLAN>"], **text_plan_constraint(ctx, "plan"))
        ```
    """
    if kind not in _PLAN_KINDS or not uses_plan_grammar(ctx):
        return {}
    numbers = None if messages is None else given_numbers(messages, ctx.tools)
    return grammar_request(_callable(ctx.tools, kind, messages), numbers=numbers)


def _callable(
    tools: Sequence[BaseTool], kind: str, messages: Sequence[AnyMessage] | None
) -> Sequence[BaseTool]:
    """The tools a request's plan may call: those that fit, for a repair that must call one.

    A repair of a plan doubted for calling no tool where one fits (`agent.uncalled`)
    may call only the tools the doubt names: sent back with the doubt, the 0.5B model
    wrote its `self` steps again; under a grammar without `self`, it called the first
    tool of the list.
    """
    from langchain_llmorch.agent.uncalled import UNCALLED  # noqa: PLC0415 - a cycle

    last = messages[-1].text if kind == "repair" and messages else ""
    doubt = next((line for line in last.splitlines() if UNCALLED in line), None)
    if doubt is None:
        return tools
    named = [tool for tool in tools if f" {tool.name} (" in doubt]
    return named or [tool for tool in tools if tool.name != SELF_TOOL] or tools


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
    "MAX_NUMBERS",
    "MAX_STEPS",
    "MAX_TEXT",
    "given_numbers",
    "grammar_request",
    "numbers_given",
    "plan_grammar",
    "text_plan_constraint",
    "uses_plan_grammar",
]

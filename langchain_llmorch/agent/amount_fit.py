"""Amounts a plan gives a call where the call cannot use them as written.

Two checks of `agent.tool_fit`'s kind (read from the question and the tools' words, put
right by `agent.refit` without the model):

- **an amount written into a name** (`counted_names`): `from_unit="15 gallons"` for "How
  many litres are 15 gallons?" (the tool knows gallons; the joiner multiplies by 15).
- **an amount in the question's unit, not the argument's** (`wrong_units`): `hours=90`
  for "for 90 minutes", where the argument's name or the tool's description names hours
  (`agent.unit_numbers` converts: `hours=1.5`).

Example:
    ```python
    from langchain_llmorch import parse_plan
    from langchain_llmorch.agent.amount_fit import wrong_units

    plan = parse_plan('s1: oven_cost(oven="stone", hours=45)')
    ((call, argument, value),) = wrong_units(plan, "The stone oven for 45 minutes?", [])
    assert (argument, value) == ("hours", 0.75)
    ```
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.unit_numbers import conversions, named_units
from langchain_llmorch.plan.language import Call, Plan
from langchain_llmorch.tools import BUILTIN_TOOLS


def _tool_calls(plan: Plan) -> list[Call]:
    return [c for c in plan.calls if c.tool not in BUILTIN_TOOLS]


def _literal_texts(call: Call) -> Iterator[tuple[str, str]]:
    """(argument name, text) for each argument given as a plain text."""
    for name, expr in call.kwargs.items():
        if isinstance(expr, str) and expr.strip():
            yield name, expr.strip()


_COUNTED = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s+([a-z][\w -]*)")


def counted_names(plan: Plan, question: str) -> list[tuple[Call, str, str]]:
    """(call, argument, name) for each text that counts a name: `"15 gallons"`, `"gallons"`.

    The question writes the text, and the name after the number starts in lower case (a
    title such as "12 Angry Men" is left alone); the joiner multiplies the amount.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.tool_fit import counted_names

        plan = parse_plan('s1: factor(from_unit="15 gallons", to_unit="litres")')
        ((call, argument, name),) = counted_names(plan, "How many litres are 15 gallons?")
        assert (call.id, argument, name) == ("s1", "from_unit", "gallons")
        ```
    """
    found = []
    for call in _tool_calls(plan):
        for argument, value in _literal_texts(call):
            counted = _COUNTED.fullmatch(value)
            if counted and value.lower() in question.lower():
                found.append((call, argument, counted.group(2).strip()))
    return found


def wrong_units(
    plan: Plan, question: str, tools: Sequence[BaseTool]
) -> list[tuple[Call, str, float]]:
    """(call, argument, value) for each amount given in the question's unit, not the argument's.

    "for 90 minutes" planned as `hours=90`: the argument's name (`hours`, `weight_kg`)
    or, when it names no unit, the tool's description ("for a number of hours") names
    the unit of the amount's family the tool wants; `value` is the amount in it (1.5).

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.tool_fit import wrong_units

        plan = parse_plan('s1: guide_fee(trail="Ridge", hours=90)')
        ((call, argument, value),) = wrong_units(plan, "A guide for 90 minutes?", [])
        assert (argument, value) == ("hours", 1.5)
        ```
    """
    by_name = {t.name: t for t in tools}
    found = []
    for call in _tool_calls(plan):
        tool = by_name.get(call.tool)
        described = (tool.description or "") if tool is not None else ""
        for name, expr in call.kwargs.items():
            if isinstance(expr, bool) or not isinstance(expr, int | float):
                continue
            wanted = named_units("", names=[name]) or named_units(described)
            converted = conversions(question, wanted).get(float(expr), set())
            if len(converted) == 1:
                found.append((call, name, converted.pop()))
    return found


__all__ = ["counted_names", "wrong_units"]

"""Amounts a plan gives a call where the call cannot use them as written.

Two checks of `agent.tool_fit`'s kind (read from the question and the tools' words, put
right by `agent.refit` without the model):

- **an amount written into a name** (`counted_names`): `from_unit="15 gallons"` for "How
  many litres are 15 gallons?" (the tool knows gallons; the joiner multiplies by 15).
- **a name that is only a unit** (`unit_names`): `fuel_use(model="km")` beside
  `fuel_use(model="Pixa")` for "the Pixa on a 250 km drive": the question uses "km" as an
  amount's unit, not as a name; the call is dropped.
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

import math
import re
from collections.abc import Sequence

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.edits import with_arguments
from langchain_llmorch.agent.facts import spanned_days
from langchain_llmorch.agent.tool_kinds import literal_texts, tool_calls
from langchain_llmorch.agent.unit_numbers import conversions, group_size, named_units, unit_of
from langchain_llmorch.agent.words import content_words, shared_words, tool_words
from langchain_llmorch.plan.language import Call, Plan

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
    for call in tool_calls(plan):
        for argument, value in literal_texts(call):
            counted = _COUNTED.fullmatch(value)
            if counted and value.lower() in question.lower():
                found.append((call, argument, counted.group(2).strip()))
    return found


# An amount as a question writes it: "250 km", "90-minute", "3 dozen".
_AMOUNT = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s*-?\s*([a-z]+)", re.IGNORECASE)


def _same_unit(word: str, other: str) -> bool:
    """Whether two spellings name one unit ("km" and "kilometres"; "dozen" and "dozens")."""
    word, other = word.lower(), other.lower()
    unit = unit_of(word)
    if unit is not None:
        return unit == unit_of(other)
    return group_size(word) > 1 and group_size(word) == group_size(other)


def _amount_units(question: str) -> list[tuple[float, str]]:
    """(number, unit word) for each amount `question` writes with a unit ("250 km")."""
    return [
        (float(m.group(1).replace(",", "")), m.group(2))
        for m in _AMOUNT.finditer(question)
        if unit_of(m.group(2)) is not None or group_size(m.group(2)) > 1
    ]


def unit_names(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[tuple[Call, str]]:
    """(call, argument) for each call given only a unit as a name, which no call uses.

    The text is nothing but a unit word, or an amount with its unit ("km", "250 km"),
    and the question writes that unit after a number (an amount, "a 250 km drive"). An
    argument that takes units (its name or description says "unit") is left alone, and
    so is a plan's only call.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.amount_fit import unit_names

        plan = parse_plan('s1: bake_time(loaf="rye")\\ns2: bake_time(loaf="minutes")')
        question = "Can the rye loaf bake in 50 minutes?"
        assert [(c.id, a) for c, a in unit_names(plan, question, [])] == [("s2", "loaf")]
        ```
    """
    calls = tool_calls(plan)
    if len(calls) < 2:  # noqa: PLR2004 - a plan's only call stays
        return []
    by_name = {t.name: t for t in tools}
    used = {ref for call in plan.calls for ref in call.references()}
    amounts = _amount_units(question)
    found = []
    for call in calls:
        if call.id in used:
            continue
        tool = by_name.get(call.tool)
        for argument, value in literal_texts(call):
            spec = tool.args.get(argument, {}) if tool is not None else {}
            if "unit" in f"{argument} {spec.get('description', '')}".lower():
                continue
            written = _AMOUNT.fullmatch(value)
            number, word = (
                (float(written.group(1).replace(",", "")), written.group(2))
                if written
                else (None, value)
            )
            if any(_same_unit(word, unit) and number in {None, amount} for amount, unit in amounts):
                found.append((call, argument))
                break
    if len(found) >= len(calls):  # never every call
        return []
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
    for call in tool_calls(plan):
        tool = by_name.get(call.tool)
        described = (tool.description or "") if tool is not None else ""
        for name, expr in call.kwargs.items():
            if isinstance(expr, bool) or not isinstance(expr, int | float):
                continue
            wanted = named_units("", names=[name]) or named_units(described)
            number = _finite(expr)
            if number is None:
                continue
            converted = conversions(question, wanted).get(number, set())
            if len(converted) == 1:
                found.append((call, name, converted.pop()))
    return found


def _finite(value: float) -> float | None:
    """`value` as a float, or None when it is too large for one (an untrusted plan's)."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


# What a number counts: the words after it up to a preposition or a clause's end ("4
# adults on the Coldfell": adults; "3 large bags": large bags).
_COUNTS = re.compile(
    r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s+((?:[a-z]+\s+){0,2}?[a-z]+)"
    r"(?=\s*(?:[,;:?!.]|$|\b(?:on|at|in|of|for|to|from|with|and|by|per|a|an|the|than)\b))",
    re.IGNORECASE,
)


def miscounted(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[tuple[Call, str, str]]:
    """(call, argument, counted) for each amount given to an argument that counts else.

    "What do tickets for 4 adults on the Coldfell cost?" planned as `train_fare(...)` and
    `luggage_fee(train=..., bags=4)`: the question's 4 counts adults, which the fare
    tool's words name ("one adult's ticket": the joiner multiplies its result by 4) and
    neither the bags argument nor its tool do. Such a call, whose result no call uses, is
    left out; an argument that names a unit is `wrong_units`'s, and a plan's only call
    stays.

    Example:
        ```python
        from langchain_llmorch import inout, parse_plan
        from langchain_llmorch.agent.amount_fit import miscounted

        @inout
        def fare(train: str) -> float:
            \"\"\"What one adult's ticket for a train costs.\"\"\"
            return 71.0

        @inout
        def bag_fee(train: str, bags: int) -> float:
            \"\"\"The price of taking a number of bags on a train.\"\"\"
            return 8.0

        plan = parse_plan('s1: fare(train="Coldfell")\\ns2: bag_fee(train="Coldfell", bags=4)')
        question = "What do tickets for 4 adults on the Coldfell cost?"
        ((call, argument, counted),) = miscounted(plan, question, [fare, bag_fee])
        assert (call.id, argument, counted) == ("s2", "bags", "adults")
        ```
    """
    calls = tool_calls(plan)
    if len(calls) < 2:  # noqa: PLR2004 - a plan's only call stays
        return []
    by_name = {t.name: t for t in tools}
    used = {ref for call in plan.calls for ref in call.references()}
    counts: dict[float, list[set[str]]] = {}
    for match in _COUNTS.finditer(question):
        counted = {w for w in content_words(match.group(2)) if not unit_of(w)}
        counts.setdefault(float(match.group(1).replace(",", "")), []).append(counted)
    found = []
    for call in calls:
        tool = by_name.get(call.tool)
        if call.id in used or tool is None:
            continue
        for argument, expr in call.kwargs.items():
            if isinstance(expr, bool) or not isinstance(expr, int | float):
                continue
            number = _finite(expr)
            written = counts.get(number, []) if number is not None else []
            if len(written) != 1:  # "2 people ... 2 nights": which one it counts is unknown
                continue
            counted = written[0]
            if (
                not counted
                or named_units("", names=[argument])
                or shared_words(counted, tool_words(tool))
            ):
                continue
            others = [by_name[c.tool] for c in calls if c is not call and c.tool in by_name]
            elsewhere = {w for other in others for w in shared_words(counted, tool_words(other))}
            if elsewhere:  # another call's tool counts it
                found.append((call, argument, min(elsewhere)))
                break
    return found


# Arguments that count days (or nights), which "a week" or "a fortnight" gives.
_DAY_ARGUMENTS = frozenset({"days", "day", "nights", "night", "num_days", "number_of_days"})


def unspanned_days(plan: Plan, question: str) -> list[tuple[Call, str, float]]:
    """(call, argument, days) where a days argument is not given the span the question says.

    "What would feeding Dunmore Leys' herd cost for a fortnight?" planned as
    `feed_bill(farm="Dunmore Leys", days=1)`: the question's span is 14 days. Only where
    the question writes no number of days in digits, and the argument's name counts days
    or nights.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.amount_fit import unspanned_days

        plan = parse_plan('s1: feed_bill(farm="Leys", days=1)')
        ((call, argument, days),) = unspanned_days(plan, "Feed for a fortnight: the cost?")
        assert (call.id, argument, days) == ("s1", "days", 14.0)
        assert unspanned_days(plan, "Feed for a fortnight, 3 days of it hay: the cost?") == []
        ```
    """
    span = spanned_days(question)
    if span is None or re.search(r"\d\s*(?:days?|nights?)\b", question, re.IGNORECASE):
        return []
    days = span[1]
    return [
        (call, argument, days)
        for call in tool_calls(plan)
        for argument, value in call.kwargs.items()
        if argument.lower() in _DAY_ARGUMENTS
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and value != days
    ]


def with_spanned_days(plan: Plan, question: str) -> Plan | None:
    """`plan` with each days argument given the span the question says, or None."""
    found = unspanned_days(plan, question)
    if not found:
        return None
    return with_arguments(plan, [(call.id, argument, int(days)) for call, argument, days in found])


__all__ = [
    "counted_names",
    "miscounted",
    "unit_names",
    "unspanned_days",
    "with_spanned_days",
    "wrong_units",
]

"""A question that asks a result per unit of what another tool counts: `missing_divisors`.

"How many litres of water per fish does the Kelp tank have?" was planned by the 0.5B
model as `tank_volume(tank="Kelp")` alone, and answered "2600 litres of water per fish".
The quotient (`agent.ratios`) needs the count of fish too. When the question asks "per
X", "each X" or "every X", no called tool's words name X, and exactly one other tool
counts X ("Look up how many fish live in an aquarium tank"), returns a number and takes
the text arguments a call was given, that tool is called with the call's names. A called
tool whose result is already for one of something ("what one night for one guest
costs") is a rate: its question asks no quotient; a result per day, week or other time
is no such rate ("litres a day per cow"). The other way round, a plan whose one call
counts X ("For every kilometre of the Pine Trail, how many metres do you climb?" planned
as the trail's length alone) gets the call of the one tool whose words share the
question's others ("metres", "climb").

Example:
    ```python
    from langchain_llmorch import inout, parse_plan
    from langchain_llmorch.agent.per_unit import with_divisors

    @inout
    def tank_volume(tank: str) -> float:
        \"\"\"Look up how many litres of water an aquarium tank holds.\"\"\"
        return 2600.0

    @inout
    def tank_fish(tank: str) -> int:
        \"\"\"Look up how many fish live in an aquarium tank.\"\"\"
        return 60

    plan = parse_plan('s1: tank_volume(tank="Kelp")')
    question = "How many litres of water per fish does the Kelp tank have?"
    assert with_divisors(plan, question, [tank_volume, tank_fish]).render() == (
        's1: tank_volume(tank="Kelp")\\ns2: tank_fish(tank="Kelp")'
    )
    ```
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.tool_kinds import (
    literal_texts,
    required_arguments,
    result_kind,
    tool_calls,
)
from langchain_llmorch.agent.words import (
    content_words,
    described_words,
    shared_words,
    singular,
    units_asked_per,
)
from langchain_llmorch.plan.language import Call, Plan, parse_plan

# "one guest", "per person": a result already for one of something; not a time.
_ONE_OF = re.compile(r"\b(?:one|per|each|a\s+single)\s+([a-z]+)", re.IGNORECASE)
_TIMES = frozenset(
    ["second", "minute", "hour", "day", "night", "week", "fortnight", "month", "year", "trip"]
)
# "Look up how many fish live in ...": what a tool counts (up to three words).
_COUNTED = re.compile(r"\bhow\s+many\s+((?:[a-z]+\s+){0,2}[a-z]+)", re.IGNORECASE)


def _counts(tool: BaseTool, unit: str) -> bool:
    """Whether `tool`'s description says it counts `unit`s ("how many fish live in")."""
    counted = _COUNTED.search(tool.description or "")
    words = {singular(w) for w in content_words(counted.group(1))} if counted else set()
    return bool(shared_words({unit}, words))


def _per_one(tool: BaseTool) -> bool:
    """Whether `tool`'s result is for one of something other than a time ("one guest")."""
    return any(
        singular(m.group(1).lower()) not in _TIMES for m in _ONE_OF.finditer(tool.description or "")
    )


def missing_divisors(
    plan: Plan, question: str, tools: Sequence[BaseTool]
) -> list[tuple[Call, BaseTool]]:
    """(call, tool) where the question asks per unit of what `tool`, uncalled, counts."""
    units = units_asked_per(question)
    calls = tool_calls(plan)
    by_name = {tool.name: tool for tool in tools}
    called = [by_name[c.tool] for c in calls if c.tool in by_name]
    if not units or len(calls) != 1 or len(called) != 1:
        return []
    ((call, own),) = zip(calls, called, strict=True)
    if result_kind(own) != "number" or _per_one(own):
        return []
    given = dict(literal_texts(call))
    fitting = [
        tool
        for tool in tools
        if tool is not own
        and result_kind(tool) == "number"
        and required_arguments(tool)
        and set(required_arguments(tool)) <= set(given)
    ]
    if shared_words(units, _said(own)):  # the call is the divisor: what is divided?
        asked = content_words(question) - _said(own) - units
        asked -= {w for value in given.values() for w in content_words(value)}
        found = [tool for tool in fitting if shared_words(asked, _said(tool))]
    else:  # the call is what is divided: by the count of what?
        found = [tool for tool in fitting if any(_counts(tool, unit) for unit in units)]
    return [(call, found[0])] if len(found) == 1 else []


def _said(tool: BaseTool) -> set[str]:
    """The words of `tool`'s name and description, in the singular."""
    return described_words(tool.name, tool.description)


def with_divisors(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` with the call of the tool that counts the unit asked per added, or None."""
    found = missing_divisors(plan, question, tools)
    if not found:
        return None
    ((call, tool),) = found
    given = dict(literal_texts(call))
    ids = {c.id for c in plan.calls}
    number = len(plan.calls) + 1
    while f"s{number}" in ids:
        number += 1
    added = Call(f"s{number}", tool.name, kwargs={a: given[a] for a in required_arguments(tool)})
    return parse_plan("\n".join([*(c.render() for c in plan.calls), added.render()]))


def divisor_doubts(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[str]:
    """One doubt per unit asked per that no call counts, for the repair request."""
    return [
        f"the question asks per unit of what {tool.name} counts, but no call of it gives "
        f"that: call {tool.name} for what {call.id} is given"
        for call, tool in missing_divisors(plan, question, tools)
    ]


__all__ = ["divisor_doubts", "missing_divisors", "with_divisors"]

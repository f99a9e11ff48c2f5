"""A question that asks who, planned with a tool that gives a number: `who_misfits`.

"Who's in charge at Linsey Cove?" was planned by the 0.5B model as
`mooring_fee(marina="Linsey Cove")`, and the answer made the fee the one in charge. A
question that asks only "who" (no comparison: "who has more berths" asks of numbers)
asks for a person's name. A plan of one call whose tool returns a number is doubted,
and put right, when exactly one tool returns a text, says "who" in its description
("Look up who the harbour master of a marina is") and takes a text argument the call's
tool takes too: that tool is called with the call's name.

Example:
    ```python
    from langchain_llmorch import inout, parse_plan
    from langchain_llmorch.agent.who_asked import who_misfits, who_refitted

    @inout
    def mooring_fee(marina: str) -> float:
        \"\"\"Look up what mooring one boat at a marina costs per night, in pounds.\"\"\"
        return 26.0

    @inout
    def harbour_master(marina: str) -> str:
        \"\"\"Look up who the harbour master of a marina is; returns the master's name.\"\"\"
        return "Ada Quill"

    tools = [mooring_fee, harbour_master]
    plan = parse_plan('s1: mooring_fee(marina="Linsey Cove")')
    question = "Who's in charge at Linsey Cove?"
    assert [(c.id, t.name) for c, t in who_misfits(plan, question, tools)] == [
        ("s1", "harbour_master")
    ]
    assert who_refitted(plan, question, tools).render() == (
        's1: harbour_master(marina="Linsey Cove")'
    )
    assert who_misfits(plan, "Who charges more, Linsey Cove or Port Ashby?", tools) == []
    ```
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.comparisons import asked_comparative
from langchain_llmorch.agent.tool_kinds import (
    literal_texts,
    result_kind,
    text_arguments,
    tool_calls,
)
from langchain_llmorch.agent.unasked import asking_words
from langchain_llmorch.plan.language import Call, Plan, parse_plan

_WHO = re.compile(r"\bwho\b", re.IGNORECASE)


def who_misfits(
    plan: Plan, question: str, tools: Sequence[BaseTool]
) -> list[tuple[Call, BaseTool]]:
    """(call, tool) when a "who" question's only call gives a number and `tool` a person."""
    if asking_words(question) != ["who"] or asked_comparative(question) is not None:
        return []
    calls = tool_calls(plan)
    by_name = {tool.name: tool for tool in tools}
    if len(calls) != 1 or len(plan.calls) != 1 or calls[0].tool not in by_name:
        return []
    (call,) = calls
    if result_kind(by_name[call.tool]) != "number":
        return []
    given = {argument for argument, _ in literal_texts(call)}
    people = [
        tool
        for tool in tools
        if result_kind(tool) == "text"
        and _WHO.search(tool.description or "")
        and given & set(text_arguments(tool))
    ]
    return [(call, people[0])] if len(people) == 1 else []


def who_refitted(plan: Plan, question: str, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` with its one call given to the tool that names a person, or None."""
    found = who_misfits(plan, question, tools)
    if not found:
        return None
    ((call, tool),) = found
    kwargs = {a: v for a, v in literal_texts(call) if a in text_arguments(tool)}
    return parse_plan(Call(call.id, tool.name, kwargs=dict(kwargs)).render())


def who_doubts(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[str]:
    """One doubt per "who" question's call that gives a number, for the repair request."""
    return [
        f"{call.id} calls {call.tool}, which gives a number, but the question asks who: "
        f"{tool.name} gives that"
        for call, tool in who_misfits(plan, question, tools)
    ]


__all__ = ["who_doubts", "who_misfits", "who_refitted"]

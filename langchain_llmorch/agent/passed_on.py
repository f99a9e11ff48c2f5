"""A look-up's result passed on where the name it looked up belongs: `passed_on`.

"Who directs The Copper Bell, and how many minutes does it run?" was planned by the 0.5B
model as `s1: play_director(play="The Copper Bell")` and `s2: play_minutes(play="{s1}")`:
the second part asks the running time of the play ("it"), but the call was given the
director's name, which no play is called, and failed. A call given, for an argument, the
result of an earlier call that was itself given a name for an argument of the same name,
where the earlier tool returns something else (its name and its "returns the X's name"
share no word with the argument's), is given that name instead (`agent.refit`).

Example:
    ```python
    from langchain_llmorch import inout, parse_plan
    from langchain_llmorch.agent.passed_on import passed_on, with_names_kept

    @inout
    def play_director(play: str) -> str:
        \"\"\"Look up who directs a play; returns the director's name.\"\"\"
        return "Tobin Achter"

    @inout
    def play_minutes(play: str) -> int:
        \"\"\"Look up how many minutes a play runs.\"\"\"
        return 110

    tools = [play_director, play_minutes]
    plan = parse_plan('s1: play_director(play="The Copper Bell")\\ns2: play_minutes(play=s1)')
    ((call, argument, ref, name),) = passed_on(plan, tools)
    assert (call.id, argument, ref, name) == ("s2", "play", "s1", "The Copper Bell")
    assert with_names_kept(plan, tools).render() == (
        's1: play_director(play="The Copper Bell")\\ns2: play_minutes(play="The Copper Bell")'
    )
    ```
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.edits import with_arguments
from langchain_llmorch.agent.tool_kinds import literal_texts, result_kind, returned_words
from langchain_llmorch.agent.words import content_words, shared_words
from langchain_llmorch.plan.expressions import Expr, Ref, Template
from langchain_llmorch.plan.language import Call, Plan


def passed_on(plan: Plan, tools: Sequence[BaseTool]) -> list[tuple[Call, str, str, str]]:
    """(call, argument, id, name) for each result passed on where a name belongs.

    The call gets, for `argument`, only the result of call `id` (of another tool, which
    returns a text), which was given `name` for an argument of the same name, and whose
    tool's returned words (`returned_words`: known, and not empty) share none with the
    argument's.
    """
    by_name = {tool.name: tool for tool in tools}
    calls = {call.id: call for call in plan.calls}
    found = []
    for call in plan.calls:
        for argument, expr in call.kwargs.items():
            ref = _only_ref(expr)
            earlier = calls.get(ref) if ref is not None else None
            if earlier is None or earlier.tool == call.tool or earlier.tool not in by_name:
                continue
            tool = by_name[earlier.tool]
            name = dict(literal_texts(earlier)).get(argument)
            kind, returned = content_words(argument.replace("_", " ")), returned_words(tool)
            if name is None or result_kind(tool) != "text" or not kind or not returned:
                continue
            if not shared_words(kind, returned):
                found.append((call, argument, earlier.id, name))
    return found


def _only_ref(expr: Expr) -> str | None:
    """The id `expr` is a reference to, alone (`s1`, `"{s1}"`), or None."""
    if isinstance(expr, Ref):
        return expr.id
    if isinstance(expr, Template) and len(expr.parts) == 1 and isinstance(expr.parts[0], Ref):
        return expr.parts[0].id
    return None


def with_names_kept(plan: Plan, tools: Sequence[BaseTool]) -> Plan | None:
    """`plan` with each result passed on where a name belongs given that name, or None."""
    found = passed_on(plan, tools)
    if not found:
        return None
    return with_arguments(plan, [(call.id, argument, name) for call, argument, _, name in found])


def passed_on_doubts(plan: Plan, tools: Sequence[BaseTool]) -> list[str]:
    """One doubt per result passed on where a name belongs, for the repair request."""
    return [
        f"{call.id} gives {argument} the result of {ref}, which is no {argument}: "
        f'give {argument}="{name}" as {ref} does'
        for call, argument, ref, name in passed_on(plan, tools)
    ]


__all__ = ["passed_on", "passed_on_doubts", "with_names_kept"]

"""A plan that calls no tool when the question asks what a tool gives: `uncalled_doubts`.

"Which takes longer to cook, dal for 6 servings or risotto for 2 servings?" with a
`cooking_minutes(dish, servings)` tool: the 0.5B model planned two `self` steps that
restated the question, and the answer had no result to give ("- (none)"). Its names are
lower case and its numbers are amounts, so the check for what a question gives that no
call uses (`agent.checks`) had nothing to ask for. This one reads what the question
asks: a plan of `self` steps only is doubted when a word of the question shares its stem
with a word of a tool's name ("cook" and `cooking_minutes`), and the doubt names the
tools that fit, so the repair can call them; the embedded model's repair is then asked
under a grammar without `self` (`local.grammar.text_plan_constraint`): sent back with
the doubt alone, it wrote its `self` steps again. A question no tool's name speaks of
("Who wrote Hamlet?" beside a share-price tool) is not doubted.

Example:
    ```python
    from langchain_llmorch import inout, parse_plan
    from langchain_llmorch.agent.uncalled import uncalled_doubts

    @inout
    def cooking_minutes(dish: str, servings: int) -> int:
        \"\"\"How many minutes it takes to cook a dish for a number of servings.\"\"\"
        return 40

    question = "Which takes longer to cook, dal for 6 servings or rice for 2?"
    plan = parse_plan('s1: self(prompt="Average of 6 servings and 2 servings")')
    assert uncalled_doubts(plan, question, [cooking_minutes]) == [
        "the plan calls no tool, but the question asks what cooking_minutes (cook) gives"
    ]
    assert uncalled_doubts(plan, "Who wrote Hamlet?", [cooking_minutes]) == []
    assert uncalled_doubts(plan, "A name for my cooking blog?", [cooking_minutes]) == []
    ```
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.tool_kinds import tool_calls
from langchain_llmorch.agent.words import content_words, shared_words, tool_words
from langchain_llmorch.plan.language import Plan


def fitting_tools(question: str, tools: Sequence[BaseTool]) -> dict[str, set[str]]:
    """Each tool `question` speaks of, with the question's words its name shares.

    A tool is spoken of when a word of the question shares its stem with a word of the
    tool's name, and another with a word of its name, arguments or description ("cook"
    and "servings" for `cooking_minutes(dish, servings)`): one shared word alone ("a
    name for a cooking blog") is too little to call a tool for.
    """
    asked = content_words(question)
    fitting: dict[str, set[str]] = {}
    for tool in tools:
        named = shared_words(asked, content_words(tool.name))
        if named and len(shared_words(asked, tool_words(tool))) >= _ENOUGH:
            fitting[tool.name] = named
    return fitting


# Words a question must share with a tool to speak of it.
_ENOUGH = 2


UNCALLED = "the plan calls no tool, but the question asks what"
"""How the doubt starts: a repair request that holds it must call a tool."""


def uncalled_doubts(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[str]:
    """The doubt about a plan of `self` steps only whose question a tool's name fits."""
    if tool_calls(plan) or not plan.calls:
        return []
    fitting = fitting_tools(question, tools)
    if not fitting:
        return []
    said = " or ".join(
        f"{name} ({', '.join(sorted(words))})" for name, words in sorted(fitting.items())
    )
    return [f"{UNCALLED} {said} gives"]


__all__ = ["UNCALLED", "fitting_tools", "uncalled_doubts"]

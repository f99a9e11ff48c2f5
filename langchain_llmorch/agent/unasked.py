"""Calls a one-part question asks nothing of: `unasked_calls`.

"What does it cost to take 3 large bags on the Aldora?" planned as `luggage_fee(...)` and
`train_operator(train="Aldora")`: the question's words (besides the names and what the
tools are given: "train", "bags") are the luggage tool's ("cost", "large", "bags") and
none of the operator tool's. The 1.5B model added such a call to 5 of 48 held-out
questions; its result then reached the answer as if asked ("The brewing cost for 4 cups
is $12.4" to a question about caffeine). `agent.refit` drops it; `agent.tool_fit` gathers
the doubt.

Example:
    ```python
    from langchain_llmorch import inout, parse_plan
    from langchain_llmorch.agent.unasked import unasked_calls

    @inout
    def bike_range(model: str) -> float:
        \"\"\"How many kilometres a bike model rides on one charge.\"\"\"
        return 95.0

    @inout
    def bike_price(model: str) -> float:
        \"\"\"What a bike model costs, in euros.\"\"\"
        return 1899.0

    plan = parse_plan('s1: bike_price(model="Trask")\\ns2: bike_range(model="Trask")')
    question = "How many kilometres does the Trask ride on 2 charges?"
    assert [c.id for c in unasked_calls(plan, question, [bike_range, bike_price])] == ["s1"]
    ```
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.facts import question_amounts
from langchain_llmorch.agent.tool_kinds import literal_texts, result_kind, tool_calls
from langchain_llmorch.agent.words import (
    argument_words,
    content_words,
    shared_words,
    tool_words,
    word_forms,
)
from langchain_llmorch.plan.language import Call, Plan

# The words a question asks with; more than one asks more than one thing ("How many
# seats..., and what does it cost?"), or a relative clause may hide a second tool's part.
_ASKING = re.compile(r"\b(?:what|which|who|whom|whose|where|when|how|why)\b", re.IGNORECASE)
# Words that join a second thing to the first ("3 nights, parking included", "the total
# with breakfast"): the question may ask of a tool it never names.
_JOINING = re.compile(
    r"\b(?:and|plus|with|including|included|inclusive|total|together|also|both|as well)\b",
    re.IGNORECASE,
)


# Words before "who", "which", "whose" that keep it a question ("tell me which", "and
# who"); after another word it starts a relative clause ("the person who directed").
_ASKING_AFTER = frozenset(
    {"and", "or", "but", "me", "us", "know", "tell", "wonder", "ask", "asking", "see", "say"}
)
_RELATIVE = frozenset({"who", "whom", "whose", "which"})


def asking_words(question: str) -> list[str]:
    """The question words `question` asks with, lower case; a relative pronoun is none.

    Example:
        ```python
        from langchain_llmorch.agent.unasked import asking_words

        assert asking_words("How many plays has the person who directed X made?") == ["how"]
        assert asking_words("Tell me which is longer, and who directs it.") == ["which", "who"]
        ```
    """
    found = []
    for match in _ASKING.finditer(question):
        word = match.group(0).lower()
        before = re.findall(r"[A-Za-z']+|[^\sA-Za-z']", question[: match.start()])
        after_word = bool(before) and before[-1].isalpha()
        if word in _RELATIVE and after_word and before[-1].lower() not in _ASKING_AFTER:
            continue  # "the person who directed": a relative clause
        found.append(word)
    return found


def unasked_calls(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[Call]:
    """The calls of `plan` whose tool gives nothing `question` asks, which no call uses.

    Only for a question that asks one thing (one question word, and no word that joins a
    second thing to it: "and", "plus", "with", "included", "total"): its words, without the
    names the plan gives and the tools' argument names, are held against each called
    tool's name and description, without the words every called tool shares. A call whose
    tool shares none of them is unasked when another call's tool shares some, or is given
    an amount the question states ("5 hours on the Caldwick telescope": `hours=5`); never
    every call. A question that asks only "who" asks for a name: a call whose tool gives a
    number, beside one that gives a text, is unasked ("Who's in charge at Linsey Cove?"
    with the harbour master's years of service looked up after the name).
    """
    asking = asking_words(question)
    if len(asking) != 1 or _JOINING.search(question):
        return []
    by_name = {t.name: t for t in tools}
    calls = [c for c in tool_calls(plan) if c.tool in by_name]
    used = {ref for call in plan.calls for ref in call.references()}
    if asking[0] == "who":  # a name is asked, not a number
        named = [c for c in calls if result_kind(by_name[c.tool]) == "text"]
        counts = [c for c in calls if result_kind(by_name[c.tool]) == "number" and c.id not in used]
        if named and counts:
            return counts
    given = {w for call in calls for _, text in literal_texts(call) for w in content_words(text)}
    arguments = argument_words(tools)
    asked = {w: f for w, f in word_forms(question).items() if w not in given | arguments}
    if not asked:
        return []

    def covered(call: Call) -> set[str]:
        gives = tool_words(by_name[call.tool], arguments=False) - arguments
        return {word for word, forms in asked.items() if shared_words(forms, gives)}

    words = {call.id: covered(call) for call in calls}
    # A word every called tool shares ("bus" of two bus-line tools) tells none apart.
    common = set.intersection(*words.values()) if words else set()
    kinds = {argument for call in calls for argument, _ in literal_texts(call)}  # "the two mines"
    stated = {abs(value) for _, _, value in question_amounts(question, kinds)}
    asked_of = [call for call in calls if words[call.id] - common or _given_amount(call, stated)]
    if not asked_of:
        return []
    # The end of a chain (a call given another's result) is what the chain was made for.
    return [
        call
        for call in calls
        if call not in asked_of and call.id not in used and not call.references()
    ]


def _given_amount(call: Call, stated: set[float]) -> bool:
    """Whether `call` is given an amount the question states ("5 hours on X", "Two tickets")."""
    return any(
        isinstance(e, int | float) and not isinstance(e, bool) and abs(e) in stated
        for e in call.kwargs.values()
    )


def unasked_doubts(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[str]:
    """The unasked calls of `plan`, one doubt each, for the repair request."""
    return [
        f"{call.id} calls {call.tool}, but the question asks nothing it gives: leave it out"
        for call in unasked_calls(plan, question, tools)
    ]


__all__ = ["asking_words", "unasked_calls", "unasked_doubts"]

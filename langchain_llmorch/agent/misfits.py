"""A name given to a tool the question's words about it are not for: `misfits`.

"What does a chair weigh?" planned as `shipping_rate(carrier="Chair")`: the words around
the name in the question (its clause) share no word with the tool that got it, or fewer
than with exactly one other tool that takes a text, which shares all of those and more
("weigh" and `item_weight`'s "weighs"; "passengers ... carry" and a vehicle's seats over
"passengers" and a line's daily riders). And a "how many" question planned with a tool
that returns a name, where one tool counts what the question calls that name ("the Reef
and the Kelp tanks"), or a "who" clause planned with a tool that returns a number where one
tool returns a name ("Who runs Frostmere"). `agent.refit` moves such calls;
`agent.tool_fit` gathers the doubts.

Example:
    ```python
    from langchain_llmorch import inout, parse_plan
    from langchain_llmorch.agent.misfits import misfit_tools

    @inout
    def item_weight(item: str) -> float:
        \"\"\"Look up what an item weighs, in kilograms.\"\"\"
        return 7.5

    @inout
    def shipping_rate(carrier: str) -> float:
        \"\"\"What a carrier charges to ship one kilogram.\"\"\"
        return 2.0

    plan = parse_plan('s1: shipping_rate(carrier="chair")')
    (doubt,) = misfit_tools(plan, "What does a chair weigh?", [item_weight, shipping_rate])
    assert doubt.endswith("item_weight fits that")
    ```
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.rate_units import spellings
from langchain_llmorch.agent.tool_kinds import (
    asked_of,
    given_texts,
    literal_texts,
    required_arguments,
    result_kind,
    text_arguments,
    tool_calls,
)
from langchain_llmorch.agent.words import (
    argument_words,
    compared_measures,
    content_words,
    shared_words,
    tool_words,
    word_forms,
)
from langchain_llmorch.plan.language import Call, Plan
from langchain_llmorch.tools import BUILTIN_TOOLS

# A question's clauses: the parts between commas, semicolons, sentence ends and "and".
_CLAUSES = re.compile(r"[,;:?!]|\.(?!\d)|\band\b", re.IGNORECASE)


@dataclass(frozen=True)
class Misfit:
    """A name given to `call` where the question's words about it are `tool`'s."""

    call: Call
    value: str
    clause: str
    said: str
    tool: BaseTool
    argument: str = ""
    """The argument of `call` that was given the name."""

    def doubt(self) -> str:
        """The doubt in words, for the repair request."""
        return (
            f'{self.call.id} asks {self.call.tool} about "{self.value}", but the question '
            f'asks "{self.clause}" ({self.said}): {self.tool.name} fits that'
        )


def misfits(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[Misfit]:
    """The names `plan` gives a tool where the question's words about them are another's.

    The question's clause about the name (without the name) is held against each tool's
    words; where that clause is names alone ("..., rye or spelt?"), the whole question
    without the plan's names is. The call is doubted when exactly one other tool that
    takes a text shares the most of the clause's words, and the called tool shares none
    of them, or only some of those the other shares ("how many passengers can 6 buses
    carry": a tool of how many passengers "ride a line on an average day" shares
    "passengers", one of how many passengers a vehicle "can carry" shares "passengers"
    and "carry"), unless the plan calls that other tool too; never where the other tool is
    given the call's result (a look-up and the call it feeds: "the revenue of the firm that
    makes the Zephyr"). A word and its noun
    ("cost", "price") count as one.

    Example:
        ```python
        from langchain_llmorch.agent.misfits import misfits

        plan = parse_plan('s1: shipping_rate(carrier="chair")')
        (found,) = misfits(plan, "What does a chair weigh?", [item_weight, shipping_rate])
        assert found.tool.name == "item_weight"
        ```
    """
    by_name = {t.name: t for t in tools}
    called = {c.tool for c in plan.calls}
    names = {w for _, text in _plan_texts(plan) for w in content_words(text)}
    fed: dict[str, set[str]] = {}  # a call's id: the tools given its result
    for later in plan.calls:
        for ref in later.references():
            fed.setdefault(ref, set()).add(later.tool)
    found = []
    for call, tool, argument, value in given_texts(plan, by_name):
        clause = _clause_of(question, value)
        if clause is None:
            continue
        named = content_words(value) | names
        asked = {w: f for w, f in word_forms(clause).items() if w not in named}
        asked, elsewhere = _not_others(asked, plan, call, tool, value, by_name)
        if not asked and len(called) == 1:  # "Which bread bakes longer, rye or spelt?":
            # the names' clause says nothing of them; the question does, besides the
            # names. Not where the plan calls two tools: the question's other words may
            # be another part's ("how many litres are 15 gallons, and how high is K2").
            asked = {w: f for w, f in word_forms(question).items() if w not in named}
        # A unit asked in short is the one a tool spells out ("km", "kilometres").
        asked = {w: forms | set(spellings(w)) for w, forms in asked.items()}
        own = _covered(asked, tool)
        counter = _counting_tool(question, value, tool, named, tools, called)
        if counter is not None:  # "how many" asked of a tool that returns a name
            found.append(Misfit(call, value, clause.strip(), counter[1], counter[0], argument))
            continue
        namer = _naming_tool(clause, call, argument, tool, tools, called, question, named)
        if namer is not None:  # "who" asked of a tool that returns a number
            found.append(Misfit(call, value, clause.strip(), "who", namer, argument))
            continue
        measurer = _measuring_tool(question, call, tool, tools, called)
        if measurer is not None:  # "pricier" asked of a tool that gives no price
            found.append(Misfit(call, value, clause.strip(), measurer[1], measurer[0], argument))
            continue
        if elsewhere and _ELSEWHERE.search(question):  # "how many people work there"
            continue
        if not asked or own == set(asked):
            continue
        fits = {
            other.name: _covered(asked, other)
            for other in tools
            if other is not tool and other.name not in BUILTIN_TOOLS and text_arguments(other)
        }
        best = max((len(s) for s in fits.values()), default=0)
        winners = [name for name, shared in fits.items() if len(shared) == best]
        if len(winners) > 1:  # a tie: only a tool the call's arguments can fill
            winners = [w for w in winners if _fillable(by_name[w], call, argument)]
        if best == 0 or len(winners) != 1 or winners[0] in fed.get(call.id, ()):
            continue  # (a look-up whose result the fitting tool is given: a chain)
        # Where the called tool shares words too, the other must fit clearly better
        # (every word the called one shares, and more), and not be in the plan already:
        # a clause may ask for both ("the artist of X" and that artist's followers).
        if own and (not fits[winners[0]] > own or winners[0] in called):
            continue
        forms = {form for word in fits[winners[0]] for form in asked[word]}
        said = ", ".join(sorted(shared_words(forms, tool_words(by_name[winners[0]]))))
        misfit = Misfit(call, value, clause.strip(), said, by_name[winners[0]], argument)
        found.append(misfit)
    return found


def _not_others(
    asked: dict[str, set[str]],
    plan: Plan,
    call: Call,
    tool: BaseTool,
    value: str,
    by_name: Mapping[str, BaseTool],
) -> tuple[dict[str, set[str]], bool]:
    """The clause's words without those another call on the same name answers.

    What another call on the same name answers is not this call's to answer ("Who
    directs X, and how many minutes does it run?": the director's words). Also whether
    the clause is all another call's, so this call's words are elsewhere ("how deep is
    Wenlow's shaft and how many people work there": the workforce call's clause is the
    second).
    """
    elsewhere = False
    for other in tool_calls(plan):
        same = any(v.lower() == value.lower() for _, v in literal_texts(other))
        if (
            other is not call
            and same
            and other.tool != call.tool
            and other.tool in by_name
            and (taken := _covered(asked, by_name[other.tool]))
        ):
            left = {w: f for w, f in asked.items() if w not in taken}
            elsewhere = elsewhere or (not left and _covered(asked, tool) != set(asked))
            asked = left or asked
    return asked, elsewhere


def _measuring_tool(
    question: str, call: Call, tool: BaseTool, tools: Sequence[BaseTool], called: set[str]
) -> tuple[BaseTool, str] | None:
    """The one tool that gives the measure a comparison asks, when the called one does not.

    "Is a seat at Night Harbour pricier than one at Saltmarsh?" planned with a seats
    tool ("seat" is its word): "pricier" compares by price, which a ticket-price tool
    gives. Only where the question compares by one measure, the called tool's words do
    not name it, exactly one other tool's do, the call's arguments fit it, and the plan
    does not call it already.
    """
    measures = compared_measures(question)
    argument = next(iter(call.kwargs), None)
    if len(measures) != 1 or argument is None:
        return None
    if shared_words(measures, tool_words(tool, arguments=False)):
        return None
    givers = [
        other
        for other in tools
        if other is not tool
        and other.name not in BUILTIN_TOOLS
        and text_arguments(other)
        and shared_words(measures, tool_words(other, arguments=False))
        and _fillable(other, call, argument)
    ]
    if len(givers) != 1 or givers[0].name in called:
        return None
    return givers[0], next(iter(measures))


# A question that asks for a number: "how many fish", "how much", "what is the total".
_ASKS_NUMBER = re.compile(r"\bhow\s+(?:many|much)\b|\b(?:total|sum|number\s+of)\b", re.IGNORECASE)


def _counting_tool(
    question: str,
    value: str,
    tool: BaseTool,
    named: set[str],
    tools: Sequence[BaseTool],
    called: set[str],
) -> tuple[BaseTool, str] | None:
    """The one tool that returns a number for the question's words, where `tool` gives a name.

    "How many fish live in the Reef and the Kelp tanks?" planned with a tool that looks up
    which tank a species lives in (a name): a tool of how many fish live in a tank shares
    every question word the called one does and gives what is asked. None when the
    question asks no number, `tool` is not annotated to return a text, the name is asked
    about through a look-up ("the tank that the clownfish lives in": the look-up is
    right), the plan calls such a tool already (a chain), or no single tool fits.
    Returns the tool and the words it shares with the question.
    """
    if not _ASKS_NUMBER.search(question) or result_kind(tool) != "text":
        return None
    if asked_of(question, value) is not None:
        return None
    asked = {w: f for w, f in word_forms(question).items() if w not in named}
    own = _covered(asked, tool)
    counters = [
        other
        for other in tools
        if other is not tool
        and result_kind(other) == "number"
        and text_arguments(other)
        and own <= _covered(asked, other)
    ]
    if not own or len(counters) != 1 or counters[0].name in called:
        return None
    # The question calls the name what the counter takes ("the Reef and the Kelp tanks").
    if not any(_designated(question, value, a) for a in text_arguments(counters[0])):
        return None
    forms = {form for word in own for form in asked[word]}
    return counters[0], ", ".join(sorted(shared_words(forms, tool_words(counters[0]))))


# A clause that asks for a person or a body by name: "Who runs Frostmere", not "Who has
# more lifts" (a comparison of numbers answered with a name).
_ASKS_WHO = re.compile(
    r"^\s*who\b(?!.*\b(?:than|more|most|less|least|fewer|fewest)\b)", re.IGNORECASE
)


def _naming_tool(
    clause: str,
    call: Call,
    argument: str,
    tool: BaseTool,
    tools: Sequence[BaseTool],
    called: set[str],
    question: str,
    named: set[str],
) -> BaseTool | None:
    """The one tool that returns a name for a "who" clause, where `tool` gives a number.

    "Who runs Frostmere, and how deep is the snow there?" planned with a lifts count and a
    snow depth: the clause asks who, a count is no one, and the question has no word of
    the count's besides what the tools take ("resort"; the depth's "deep" is the other
    part's). The tool that returns a text and
    takes what the call was given (`_fillable`; of several, those that take it under the
    same name), when exactly one does and the plan does not call it already.
    """
    first = clause.split(",", 1)[0]  # the name's own clause, not those carried on by "it"
    if not _ASKS_WHO.search(first) or result_kind(tool) != "number":
        return None
    kinds = argument_words(tools)
    asked = {w: f for w, f in word_forms(question).items() if w not in named | kinds}
    if _covered(asked, tool):  # the question asks something of the called tool too
        return None
    namers = [
        other
        for other in tools
        if other is not tool
        and other.name not in BUILTIN_TOOLS
        and result_kind(other) == "text"
        and _fillable(other, call, argument)
    ]
    if len(namers) > 1:  # those that take the name as the call does ("resort")
        namers = [other for other in namers if argument in other.args]
    if len(namers) != 1 or namers[0].name in called:
        return None
    return namers[0]


# A pronoun that carries a clause's name on to the next: "..., and how long does it run?"
_PRONOUN = re.compile(r"\b(?:it|its|they|their|them|this|that one)\b", re.IGNORECASE)
# A word that asks of a subject named before: "... and how many people work there".
_ELSEWHERE = re.compile(r"\b(?:it|its|they|their|them|there|this one|that one)\b", re.IGNORECASE)


def _clause_of(question: str, value: str) -> str | None:
    """The clause of `question` that names `value`, with the clauses after it that say it.

    "Who directs The Copper Bell, and how many minutes does it run?": both parts are
    about The Copper Bell.
    """
    clauses = [c for c in _CLAUSES.split(question) if c.strip()]
    at = next((i for i, c in enumerate(clauses) if value.lower() in c.lower()), None)
    if at is None:
        return None
    said = [clauses[at].strip()]
    for later in clauses[at + 1 :]:
        if not _PRONOUN.search(later):
            break
        said.append(later.strip())
    return ", ".join(said)


def _fillable(tool: BaseTool, call: Call, argument: str) -> bool:
    """Whether `call`'s arguments give every argument `tool` needs, the name its text one.

    A tool that needs more than the call has (`group_booking(play, tickets)` for a call
    given a play alone) cannot take the call's place.
    """
    texts = text_arguments(tool)
    given = set(call.kwargs) - {argument}
    missing = [n for n in required_arguments(tool) if n not in given]
    return len(missing) <= 1 and all(n in texts for n in missing)


def _designated(question: str, value: str, argument: str) -> bool:
    """Whether `question` calls `value` an `argument` ("the Kelp tank", "tank Kelp").

    The kind word may follow a few words later, after a second name ("the Reef and the
    Kelp tanks").
    """
    name, kind = re.escape(value), rf"{re.escape(argument.replace('_', ' '))}(?:s|es)?"
    after = rf"\b{name}\b(?:\W+\w+){{0,3}}?\W+{kind}\b"
    before = rf"\b{kind}\s+(?:called\s+|named\s+)?{name}\b"
    return bool(re.search(f"{after}|{before}", question, re.IGNORECASE))


def _plan_texts(plan: Plan) -> Iterator[tuple[str, str]]:
    """(argument name, text) for each argument any tool call of `plan` gives as a text."""
    for call in tool_calls(plan):
        yield from literal_texts(call)


def _covered(asked: dict[str, set[str]], tool: BaseTool) -> set[str]:
    """The words of `asked` that `tool`'s words match, by any of their forms."""
    vocabulary = tool_words(tool)
    return {word for word, forms in asked.items() if shared_words(forms, vocabulary)}


def misfit_tools(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[str]:
    """Names given to a tool whose words the question's clause about them does not use."""
    return [found.doubt() for found in misfits(plan, question, tools)]


__all__ = ["Misfit", "misfit_tools", "misfits"]

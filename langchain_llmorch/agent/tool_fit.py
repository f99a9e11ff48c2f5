"""Doubts about which tool a plan gives a name to: checks that read the tools' own words.

`agent.checks` doubts numbers and names a plan invents or leaves out. These checks doubt
a name that is used, but with the wrong tool, read from the tools' names, argument names
and descriptions (any tools, any domain):

- **a tool fed its own result** (`self_chains`): `s2: runway_length(code=s1)` where `s1`
  is a `runway_length` call too. The 0.5B model copied the prompt's chain example onto
  one tool; a call of the same tool rarely takes its own result as an argument.
- **a look-up skipped** (`skipped_lookups`): the question asks for "the country that
  Seville is in", a tool returns a country's name (`city_country`), and the plan gives
  `electricity_price(country="Seville")`. Doubted when the question names something as
  "the W of/that ... V" (or "the W that makes V": "the company that makes the Marlin"),
  `V` is given to an argument `A`, and another tool that returns a text has both `W` and
  `A` among its words (it looks up the `A` of something).
- **a name asked about with another tool's words** (`misfit_tools`, in `agent.misfits`):
  "what does a chair weigh?" planned as `shipping_rate(carrier="Chair")`, or "how many
  fish live in the Reef tank?" planned with the tool that says which tank a species lives
  in.

`fit_doubts` adds the doubts of `agent.amount_fit` (an amount written into a name, or
in another unit than its argument's), of `agent.joined_names` (two names given as one) and
of `agent.unasked` (a call a one-part question asks nothing of). `agent.refit` puts what
these checks find right, where it can, without the model.

Words are read and matched by `agent.words` (stems, and adjectives for their nouns).

Example:
    ```python
    from langchain_llmorch import inout, parse_plan
    from langchain_llmorch.agent.tool_fit import fit_doubts

    @inout
    def city_country(city: str) -> str:
        \"\"\"Look up which country a city is in; returns the country's name.\"\"\"
        return "Spain"

    @inout
    def power_price(country: str) -> float:
        \"\"\"The price of one kilowatt-hour in a country.\"\"\"
        return 0.28

    plan = parse_plan('s1: power_price(country="Seville")')
    question = "What does power cost in the country that Seville is in?"
    print(fit_doubts(plan, question, [city_country, power_price]))
    # ['s1 gives country="Seville", but the question asks for the country of "Seville",
    #   not for "Seville" itself: city_country looks that up; call it first and pass its
    #   result as country']
    ```
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.amount_fit import (
    counted_names,
    miscounted,
    unit_names,
    unspanned_days,
    wrong_units,
)
from langchain_llmorch.agent.joined_names import joined_doubts
from langchain_llmorch.agent.misfits import Misfit, misfit_tools, misfits
from langchain_llmorch.agent.passed_on import passed_on_doubts
from langchain_llmorch.agent.per_unit import divisor_doubts
from langchain_llmorch.agent.tool_kinds import (
    asked_of,
    asked_verb,
    literal_texts,
    possessed,
    result_kind,
    returned_words,
    returns_text,
    text_arguments,
    tool_calls,
)
from langchain_llmorch.agent.unasked import unasked_doubts
from langchain_llmorch.agent.uncalled import uncalled_doubts
from langchain_llmorch.agent.words import argument_words, shared_words, tool_words
from langchain_llmorch.plan.expressions import iter_refs
from langchain_llmorch.plan.language import Call, Plan
from langchain_llmorch.tools import BUILTIN_TOOLS


def self_fed(plan: Plan) -> list[tuple[Call, str]]:
    """(call, id) for each call given the result of an earlier call of its own tool.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.tool_fit import self_fed

        plan = parse_plan('s1: runway(code="Denver")\\ns2: runway(code=s1)')
        ((call, ref),) = self_fed(plan)
        assert (call.id, ref) == ("s2", "s1")
        ```
    """
    tools = {c.id: c.tool for c in plan.calls}
    found = []
    for call in tool_calls(plan):
        own = [
            ref.id
            for expr in (*call.args, *call.kwargs.values())
            for ref in iter_refs(expr)
            if tools.get(ref.id) == call.tool
        ]
        found += [(call, ref) for ref in dict.fromkeys(own)]
    return found


def self_chains(plan: Plan) -> list[str]:
    """Calls given the result of an earlier call of their own tool, one line each.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.tool_fit import self_chains

        plan = parse_plan('s1: runway(code="Denver")\\ns2: runway(code=s1)')
        assert self_chains(plan) == [
            "s2 gives runway the result of s1, a runway call too: "
            "another tool must find what runway is given"
        ]
        ```
    """
    return [
        f"{call.id} gives {call.tool} the result of {ref}, a {call.tool} call too: "
        f"another tool must find what {call.tool} is given"
        for call, ref in self_fed(plan)
    ]


@dataclass(frozen=True)
class Lookup:
    """A name given to `call`'s `argument` that the question asks `tool` to look up first."""

    call: Call
    argument: str
    value: str
    what: str
    tool: BaseTool
    done: str | None = None
    """The id of a call in the plan that looks it up already (its result is not passed)."""
    given: str = ""
    """What the call was given when not `value` itself ("Gullhaven's harbour master")."""

    def doubt(self) -> str:
        """The doubt in words, for the repair request."""
        asked = (  # "whoever directs X" (`_whoever`), else "the W of X"
            f'{self.what} "{self.value}"'
            if self.what.startswith("whoever ")
            else f'the {self.what} of "{self.value}"'
        )
        head = (
            f'{self.call.id} gives {self.argument}="{self.given or self.value}", but the '
            f'question asks for {asked}, not for "{self.value}" itself: '
        )
        if self.done is not None:
            return head + f"{self.done} looks that up; pass its result as {self.argument}"
        return head + (
            f"{self.tool.name} looks that up; call it first and pass its result as {self.argument}"
        )


def lookups(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[Lookup]:
    """The names `plan` gives a call where the question asks for a look-up of them first.

    Example:
        ```python
        from langchain_llmorch.agent.tool_fit import lookups

        plan = parse_plan('s1: power_price(country="Seville")')
        question = "What does power cost in the country that Seville is in?"
        (found,) = lookups(plan, question, [city_country, power_price])
        assert (found.value, found.what, found.tool.name) == ("Seville", "country", "city_country")
        ```
    """
    found = []
    calls = tool_calls(plan)
    by_name = {tool.name: tool for tool in tools}
    for call in calls:
        for argument, given in literal_texts(call):
            value, what = _possessed(given, question) or (given, asked_of(question, given))
            if what is None:
                found += _whoever(calls, call, argument, given, question, tools)
                continue
            asked = {what} | ({verb} if (verb := asked_verb(question, value)) else set())
            finders = _finders(argument, call.tool, tools)
            fitting = [t for t in finders if shared_words(asked, tool_words(t, arguments=False))]
            # A W no finder's words name, asked at a place ("the person in charge at V")
            # with a call that does not give it either: the one tool that finds the argument.
            own = tool_words(by_name[call.tool]) if call.tool in by_name else set()
            placed = re.search(rf"\b(?:at|in)\s+(?:the\s+)?{re.escape(value)}\b", question, _I)
            if not fitting and len(finders) == 1 and placed and not shared_words(asked, own):
                fitting = finders
            for other in fitting:
                done = _looked_up(calls, call, other, value)
                if done is None and any(c.tool == other.name for c in calls):
                    continue  # a look-up of something else: not this mistake
                found.append(
                    Lookup(
                        call, argument, value, what, other, done, "" if value == given else given
                    )
                )
                break
    return found


# "whoever directs Ferrow Ridge", "who runs Vallorin": the look-up said by its verb alone.
_WHOEVER = r"\bwho(?:ever|m)?\s+(?:(?:has|have|had|did|does|will)\s+)?([a-z]+)\s+(?:the\s+)?"


def _whoever(
    calls: Sequence[Call],
    call: Call,
    argument: str,
    value: str,
    question: str,
    tools: Sequence[BaseTool],
) -> list[Lookup]:
    """The look-up of "whoever VERBs `value`" skipped by `call`, or nothing.

    "How many papers has whoever directs Ferrow Ridge published?" planned as
    `published_papers(astronomer="Ferrow Ridge")`: no noun names the astronomer, the verb
    does, and one tool's words have it ("Look up who directs an observatory"). Only where
    exactly one other tool that takes and returns a text has the verb, the plan does not
    call it already, and `call`'s own words (but its arguments' names: "Who keeps the
    Ostreby light?" with `keeper_service(keeper="Ostreby")`) do not have it.
    """
    said = re.search(_WHOEVER + re.escape(value) + r"\b", question, _I)
    if said is None or call.tool not in {t.name for t in tools}:
        return []
    verb = {said.group(1).lower()}
    own = next(t for t in tools if t.name == call.tool)
    # The call's argument ("keeper") is who it is given, not what it does ("keeps").
    if shared_words(verb, tool_words(own, arguments=False) - argument_words([own])):
        return []
    doers = _text_tools(call.tool, tools, verb, lambda t: tool_words(t, arguments=False))
    if len(doers) != 1 or any(c.tool == doers[0].name for c in calls):
        return []
    return [Lookup(call, argument, value, f"whoever {said.group(1).lower()}", doers[0])]


def _finders(argument: str, tool: str, tools: Sequence[BaseTool]) -> list[BaseTool]:
    """The other tools that take a text and return one named like `argument`."""
    return _text_tools(tool, tools, {argument}, returned_words)


def _text_tools(
    tool: str,
    tools: Sequence[BaseTool],
    words: set[str],
    vocabulary: Callable[[BaseTool], set[str]],
) -> list[BaseTool]:
    """The tools but `tool` that take and return a text, `vocabulary` sharing `words`."""
    return [
        other
        for other in tools
        if other.name != tool
        and other.name not in BUILTIN_TOOLS
        and returns_text(other)
        and text_arguments(other)
        and shared_words(words, vocabulary(other))
    ]


_I = re.IGNORECASE


def _possessed(given: str, question: str) -> tuple[str, str] | None:
    """(name, what) for a text given as the question's "V's W", W's head noun; or None.

    `"Gullhaven's harbour master"`, written so in the question, is the master of Gullhaven.
    """
    owned = possessed(given, question)
    return (owned[0], owned[1].split()[-1]) if owned else None


def _looked_up(calls: Sequence[Call], call: Call, tool: BaseTool, value: str) -> str | None:
    """The id of a call before `call` that gives `tool` the name `value`, or None."""
    for earlier in calls[: calls.index(call)]:
        given = [v.lower() for _, v in literal_texts(earlier)]
        if earlier.tool == tool.name and value.lower() in given:
            return earlier.id
    return None


def skipped_lookups(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[str]:
    """Names given to a call where the question asks for a look-up of them first."""
    return [found.doubt() for found in lookups(plan, question, tools)]


def fit_doubts(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[str]:
    """Every doubt of this module about `plan` for `question`, one line each."""
    counted = [
        f'{call.id} gives {argument}="{call.kwargs[argument]}": the number is an amount '
        f'(the answer multiplies it), the name is "{name}"'
        for call, argument, name in counted_names(plan, question)
    ]
    units = [
        f"{call.id} gives {argument}={call.kwargs[argument]}, but the question writes it in "
        f"another unit: {argument}={value}"
        for call, argument, value in wrong_units(plan, question, tools)
    ]
    unit_only = [
        f'{call.id} gives {argument}="{call.kwargs[argument]}": the question uses it as the '
        "unit of an amount, not as a name; leave that call out"
        for call, argument in unit_names(plan, question, tools)
    ]
    spans = [
        f"{call.id} gives {argument}={call.kwargs[argument]}, but the question's span is "
        f"{days:g} days: {argument}={days:g}"
        for call, argument, days in unspanned_days(plan, question)
    ]
    counts_else = [
        f"{call.id} gives {argument}={call.kwargs[argument]}, but the question's "
        f"{call.kwargs[argument]} counts {counted}, not {argument}: leave that call out"
        for call, argument, counted in miscounted(plan, question, tools)
    ]
    return [
        *joined_doubts(plan, question, tools),
        *self_chains(plan),
        *passed_on_doubts(plan, tools),
        *skipped_lookups(plan, question, tools),
        *misfit_tools(plan, question, tools),
        *counted,
        *units,
        *unit_only,
        *counts_else,
        *spans,
        *unasked_doubts(plan, question, tools),
        *divisor_doubts(plan, question, tools),
        *uncalled_doubts(plan, question, tools),
    ]


__all__ = [
    "Lookup",
    "Misfit",
    "fit_doubts",
    "lookups",
    "misfit_tools",
    "misfits",
    "result_kind",
    "returns_text",
    "self_chains",
    "self_fed",
    "skipped_lookups",
    "text_arguments",
]

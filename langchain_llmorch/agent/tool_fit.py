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
- **a name asked about with another tool's words** (`misfit_tools`): "what does a chair
  weigh?" planned as `shipping_rate(carrier="Chair")`. The words around the name in the
  question (its clause) share no word with the tool that got it, or fewer than with
  exactly one other tool that takes a text, which shares all of those and more ("weigh"
  and `item_weight`'s "weighs"; "passengers ... carry" and a vehicle's seats over
  "passengers" and a line's daily riders).

`fit_doubts` adds the doubts of `agent.amount_fit` (an amount written into a name, or
in another unit than its argument's). `agent.refit` puts what these checks find right,
where it can, without the model.

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

import inspect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.amount_fit import counted_names, unit_names, wrong_units
from langchain_llmorch.agent.words import content_words, shared_words, tool_words, word_forms
from langchain_llmorch.plan.expressions import iter_refs
from langchain_llmorch.plan.language import Call, Plan
from langchain_llmorch.tools import BUILTIN_TOOLS

_RELATIVE = r"(?:of|that|which|where|whose|in\s+which)"
# "the country that Seville", "the supplier of the umbrella", "the artist of the album X":
# an article and one word (what the name is) may come between.
_ARTICLE = r"(?:(?:the|a|an)\s+)?(?:[a-z]+\s+)?"
# "the company that makes the Marlin": the W is the subject of a verb whose object is the
# name (one word, maybe with "has"/"had"/"did" before it: "the team that has won X").
_SUBJECT_RELATIVE = r"(?:that|which|who)"
_VERB = r"(?:(?:has|have|had|did|does|will)\s+)?[a-z]+\s+"


def result_kind(tool: BaseTool) -> str | None:
    """What `tool`'s function is annotated to return: "text", "number", or None (unknown).

    Example:
        ```python
        from langchain_llmorch import inout
        from langchain_llmorch.agent.tool_fit import result_kind

        @inout
        def code(city: str) -> str:
            \"\"\"An airport's code.\"\"\"
            return "DEN"

        assert result_kind(code) == "text"
        ```
    """
    func = getattr(tool, "func", None)
    if func is None:
        return None
    try:
        annotation = inspect.signature(func).return_annotation
    except (TypeError, ValueError):
        return None
    if annotation in {str, "str"}:
        return "text"
    return "number" if annotation in {int, float, "int", "float"} else None


def returns_text(tool: BaseTool) -> bool:
    """Whether `tool`'s function is annotated to return a text (`-> str`).

    Example:
        ```python
        from langchain_llmorch import inout
        from langchain_llmorch.agent.tool_fit import returns_text

        @inout
        def code(city: str) -> str:
            \"\"\"An airport's code.\"\"\"
            return "DEN"

        assert returns_text(code)
        ```
    """
    return result_kind(tool) == "text"


def text_arguments(tool: BaseTool) -> list[str]:
    """The names of `tool`'s arguments that take a text.

    Example:
        ```python
        from langchain_llmorch import inout
        from langchain_llmorch.agent.tool_fit import text_arguments

        @inout
        def stock(item: str, days: int) -> int:
            \"\"\"Units of an item in stock.\"\"\"
            return 3

        assert text_arguments(stock) == ["item"]
        ```
    """
    return [n for n, s in tool.args.items() if s.get("type", "string") == "string"]


def _literal_texts(call: Call) -> Iterator[tuple[str, str]]:
    """(argument name, text) for each argument given as a plain text."""
    for name, expr in call.kwargs.items():
        if isinstance(expr, str) and expr.strip():
            yield name, expr.strip()


def _tool_calls(plan: Plan) -> list[Call]:
    return [c for c in plan.calls if c.tool not in BUILTIN_TOOLS]


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
    for call in _tool_calls(plan):
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

    def doubt(self) -> str:
        """The doubt in words, for the repair request."""
        head = (
            f'{self.call.id} gives {self.argument}="{self.value}", but the question asks '
            f'for the {self.what} of "{self.value}", not for "{self.value}" itself: '
        )
        if self.done is not None:
            return head + f"{self.done} looks that up; pass its result as {self.argument}"
        return head + (
            f"{self.tool.name} looks that up; call it first and pass its result as {self.argument}"
        )


def _asked_of(question: str, value: str) -> str | None:
    """W when the question asks for "the W of/that ... `value`" or "`value`'s W", else None.

    The W may do something to the name too: "the company that makes the Marlin", "the
    author who wrote Dune", "the team which won the Cup".

    A name ending in s may take the apostrophe alone ("Iron Lanterns' author").
    """
    name = re.escape(value)
    asked = (
        re.search(rf"\b([a-z][a-z-]*)\s+{_RELATIVE}\s+{_ARTICLE}{name}\b", question, re.IGNORECASE)
        or re.search(
            rf"\b([a-z][a-z-]*)\s+{_SUBJECT_RELATIVE}\s+{_VERB}(?:(?:the|a|an)\s+)?{name}\b",
            question,
            re.IGNORECASE,
        )
    ) or re.search(
        rf"\b{name}(?:['\u2019]s|(?<=s)['\u2019])\s+([a-z][a-z-]*)", question, re.IGNORECASE
    )
    return asked.group(1).lower() if asked else None


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
    calls = _tool_calls(plan)
    for call in calls:
        for argument, value in _literal_texts(call):
            what = _asked_of(question, value)
            if what is None:
                continue
            for other in tools:
                if other.name == call.tool or other.name in BUILTIN_TOOLS:
                    continue
                if not returns_text(other) or not text_arguments(other):
                    continue
                vocabulary = tool_words(other, arguments=False)  # what it gives
                if not (shared_words({what}, vocabulary) and shared_words({argument}, vocabulary)):
                    continue
                done = _looked_up(calls, call, other, value)
                if done is None and any(c.tool == other.name for c in calls):
                    continue  # a look-up of something else: not this mistake
                found.append(Lookup(call, argument, value, what, other, done))
                break
    return found


def _looked_up(calls: Sequence[Call], call: Call, tool: BaseTool, value: str) -> str | None:
    """The id of a call before `call` that gives `tool` the name `value`, or None."""
    for earlier in calls[: calls.index(call)]:
        given = [v.lower() for _, v in _literal_texts(earlier)]
        if earlier.tool == tool.name and value.lower() in given:
            return earlier.id
    return None


def skipped_lookups(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[str]:
    """Names given to a call where the question asks for a look-up of them first."""
    return [found.doubt() for found in lookups(plan, question, tools)]


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
    and "carry"), unless the plan calls that other tool too. A word and its noun
    ("cost", "price") count as one.

    Example:
        ```python
        from langchain_llmorch.agent.tool_fit import misfits

        plan = parse_plan('s1: shipping_rate(carrier="chair")')
        (found,) = misfits(plan, "What does a chair weigh?", [item_weight, shipping_rate])
        assert found.tool.name == "item_weight"
        ```
    """
    by_name = {t.name: t for t in tools}
    called = {c.tool for c in plan.calls}
    names = {w for _, text in _plan_texts(plan) for w in content_words(text)}
    found = []
    for call in _tool_calls(plan):
        tool = by_name.get(call.tool)
        if tool is None:
            continue
        for argument, value in _literal_texts(call):
            clause = next((c for c in _CLAUSES.split(question) if value.lower() in c.lower()), None)
            if clause is None:
                continue
            named = content_words(value) | names
            asked = {w: f for w, f in word_forms(clause).items() if w not in named}
            if not asked:  # "Which bread bakes longer, rye or spelt?": the names' clause
                # says nothing of them; the question does, besides the names it gives.
                asked = {w: f for w, f in word_forms(question).items() if w not in named}
            own = _covered(asked, tool)
            if not asked or own == set(asked):
                continue
            fits = {
                other.name: _covered(asked, other)
                for other in tools
                if other is not tool and other.name not in BUILTIN_TOOLS and text_arguments(other)
            }
            best = max((len(s) for s in fits.values()), default=0)
            winners = [name for name, shared in fits.items() if len(shared) == best]
            if best == 0 or len(winners) != 1:
                continue
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


def _plan_texts(plan: Plan) -> Iterator[tuple[str, str]]:
    """(argument name, text) for each argument any tool call of `plan` gives as a text."""
    for call in _tool_calls(plan):
        yield from _literal_texts(call)


def _covered(asked: dict[str, set[str]], tool: BaseTool) -> set[str]:
    """The words of `asked` that `tool`'s words match, by any of their forms."""
    vocabulary = tool_words(tool)
    return {word for word, forms in asked.items() if shared_words(forms, vocabulary)}


def misfit_tools(plan: Plan, question: str, tools: Sequence[BaseTool]) -> list[str]:
    """Names given to a tool whose words the question's clause about them does not use."""
    return [found.doubt() for found in misfits(plan, question, tools)]


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
    return [
        *self_chains(plan),
        *skipped_lookups(plan, question, tools),
        *misfit_tools(plan, question, tools),
        *counted,
        *units,
        *unit_only,
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

"""Doubts about a valid plan: the mistakes small models make that validation cannot see.

A plan can parse, name real tools and fit every schema, and still not answer the
question. Small local models make three such mistakes again and again, all checkable
without understanding the question:

- **a number the conversation never gave**: `fibonacci(n=100000)` for a question about
  word counts, `collatz_steps(n=12)` with `12` copied from a few-shot example;
- **the same call twice**: `population(city="Oslo")` as `s1` and as `s2`, where the
  question named two cities;
- **something the question gives that no call uses**: one `distance_km` call for
  "Paris from Berlin, and Rome from Madrid" (a number, a quoted text or a name that is
  not a word of the tools' own descriptions).

The last check asks only for what some tool can take (`tool_inputs`): a number when a
tool has a numeric argument, a quoted text or an all-caps name (`INITECH`) when one has
a text argument, a capitalised name (`Hamlet`) when one has a text argument that is not
an identifier (a `ticker`, a `code`). "Who wrote Hamlet?" with only a share-price tool
is not doubted: no tool takes `Hamlet`. A plan without tool calls (only a `self` step)
is not doubted for numbers alone. A number that is part of a name (`SHA-256`,
`COVID-19`, `ISO 8601`, `H2O`, `Windows 11`) is a name, not a number a call must use.
The repair request allows a plan without calls when no tool fits.

`plan_doubts` lists them; the planner sends a doubted plan back for one repair, and keeps
whatever comes back (a plan that was right stays as it is: the model rewrites it unchanged).
When the agent plans through structured output, that repair is a fresh plan in the plan
language instead: the 0.5B model, shown its doubted plan, copied it unchanged (as JSON
every time, as text often), while a fresh text plan followed the question.
The check is on for the embedded model and off for others (`check_plans`), since a strong
model rarely makes these mistakes and a repair costs a request.

Example:
    ```python
    from langchain_llmorch import parse_plan
    from langchain_llmorch.agent.checks import plan_doubts

    plan = parse_plan("s1: f(n=12)\\ns2: f(n=12)")
    print(plan_doubts(plan, "What is f of 7?", {}))
    # ['s1 uses 12, a number the question does not give',
    #  's2 uses 12, a number the question does not give', 's2 repeats s1 exactly']
    ```
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from langchain_core.messages import AnyMessage, HumanMessage
from langchain_core.tools import BaseTool

from langchain_llmorch.agent.answer import numbers_in
from langchain_llmorch.agent.facts import amount_of, per_unit_of
from langchain_llmorch.agent.prompts import last_question
from langchain_llmorch.agent.rate_units import in_unit, reference_of, unit_after
from langchain_llmorch.agent.refit import refitted
from langchain_llmorch.agent.state import AgentContext, LLMOrchState
from langchain_llmorch.agent.tool_fit import fit_doubts
from langchain_llmorch.agent.tool_inputs import (
    ToolInputs,
    tool_defaults,
    tool_inputs,
    tool_vocabulary,
)
from langchain_llmorch.agent.unit_numbers import conversions, converted_numbers, tool_units
from langchain_llmorch.agent.whole_names import names_put_right
from langchain_llmorch.errors import PlanSyntaxError
from langchain_llmorch.plan.expressions import Expr, walk
from langchain_llmorch.plan.language import Plan, parse_plan
from langchain_llmorch.tools import BUILTIN_TOOLS

# Numbers a plan may use without the question giving them (a first item, one result).
_ALWAYS_GROUNDED = frozenset({0.0, 1.0})


DOUBTS_HEAD = "The plan may not answer the question:"
"""How `doubts_message` starts: the planner tells a doubted plan from a faulty one by it."""


def conversation_text(messages: Sequence[AnyMessage]) -> str:
    """What the user said: every human message's text, joined."""
    return "\n".join(m.text for m in messages if isinstance(m, HumanMessage))


def plan_doubts(
    plan: Plan,
    conversation: str,
    defaults: Mapping[str, Mapping[str, Any]],
    *,
    question: str = "",
    vocabulary: str = "",
    inputs: ToolInputs | None = None,
    tools: Sequence[BaseTool] = (),
) -> list[str]:
    """Reasons to doubt a valid plan, one line each; empty when there are none.

    Args:
        plan: the parsed plan.
        conversation: the text the numbers must come from (`conversation_text`).
        defaults: each tool's argument defaults (`tool_defaults`): a default is given.
        question: the user's last message; the numbers, quoted texts and names it gives
            must each reach some tool call that can take them (else the plan likely
            misses a call).
        vocabulary: the tools' names and descriptions: names found there (`Collatz`)
            describe a tool rather than ask about something.
        inputs: what the tools' arguments can take (`tool_inputs`); only what some tool
            can take is asked for. `None`: any tool takes anything.
        tools: the tools themselves: with them, a name given to the wrong tool is doubted
            too (`agent.tool_fit`: a tool fed its own result, a look-up skipped, a name
            asked about with another tool's words).

    Example:
        ```python
        from langchain_core.tools import tool

        from langchain_llmorch.agent.tool_inputs import tool_inputs

        @tool
        def price(ticker: str) -> float:
            \"\"\"The share price of a stock.\"\"\"
            return 1.0

        question = "Who wrote Hamlet, and what does INITECH cost?"
        plan = parse_plan('s1: self(prompt="Who wrote Hamlet?")')
        doubts = plan_doubts(plan, question, {}, question=question, inputs=tool_inputs([price]))
        assert doubts == ["the question gives INITECH, but no call uses it"]
        ```
    """
    given = {abs(n) for n in numbers_in(conversation)} | _ALWAYS_GROUNDED
    units = tool_units(tools)
    given |= converted_numbers(conversation, units)  # "90 minutes" as hours=1.5
    doubts: list[str] = []
    called = {c.tool for c in plan.calls}
    priced = [t.description or "" for t in tools if t.name in called]
    converted = conversions(question, units)
    unused = _unused(plan, question, vocabulary, inputs or ToolInputs(), priced, converted)
    if unused:
        doubts.append(f"the question gives {', '.join(unused)}, but no call uses it")
    seen: dict[str, str] = {}
    for call in plan.calls:
        if call.tool in BUILTIN_TOOLS:
            continue
        own = defaults.get(call.tool, {})
        named = [(None, e) for e in call.args] + list(call.kwargs.items())
        invented = {
            n
            for name, expr in named
            for n in _literals(expr)
            if abs(n) not in given and (name is None or own.get(name) != n)
        }
        if invented:
            listed = ", ".join(_written(n) for n in sorted(invented))
            noun = "a number" if len(invented) == 1 else "numbers"
            doubts.append(f"{call.id} uses {listed}, {noun} the question does not give")
        body = call.expression()
        if body in seen:
            doubts.append(f"{call.id} repeats {seen[body]} exactly")
        else:
            seen[body] = call.id
    if tools:
        doubts += fit_doubts(plan, question, tools)
    return doubts


def doubted(
    compiled: Mapping[str, Any], state: LLMOrchState, ctx: AgentContext, *, checked: bool
) -> dict[str, Any]:
    """The state update that sends a question's first valid plan back, if it is doubted.

    Only one plan per question is checked (the first that compiles, which may come from a
    repair), so the plan that comes back from its repair runs.

    Args:
        compiled: the planner's update: `plan`, and `compile_error` when it is faulty.
        state: the agent's state (the conversation).
        ctx: the agent's context (`check_plans`, the tools).
        checked: whether this question's plan was checked already.

    Returns:
        `doubts` and `checked`; `in_doubt=True` (the route to one repair) when doubted. A
        plan whose only fault is an exact repeat of a call gets no repair: the repeat is
        dropped (`without_repeats`, the new `plan`). A name the plan cuts short ("Ashby"
        for the question's "Port Ashby") is given whole first (`agent.whole_names`).
    """
    if not ctx.check_plans or checked or compiled.get("compile_error"):
        return {}
    plan = parse_plan(compiled["plan"])
    question = last_question(state["messages"])
    whole = names_put_right(plan, question, ctx.tools)
    named = {"plan": whole.render()} if whole is not plan else {}
    plan = whole

    def doubts_of(plan: Plan) -> list[str]:
        return plan_doubts(
            plan,
            conversation_text(state["messages"]),
            tool_defaults(ctx.tools),
            question=last_question(state["messages"]),
            vocabulary=tool_vocabulary(ctx.tools),
            inputs=tool_inputs(ctx.tools),
            tools=ctx.tools,
        )

    doubts = doubts_of(plan)
    if not doubts:
        return {"doubts": [], "checked": True, **named}
    kept = without_repeats(plan)
    if kept is not None and not doubts_of(kept):  # only a repeat: dropped, no request
        return {"plan": kept.render(), "doubts": [], "checked": True}
    fixed = refitted(kept or plan, last_question(state["messages"]), ctx.tools)
    if fixed is not None:  # a tool put right: the model only wrote its plan again
        fixed = without_repeats(fixed) or fixed  # a call moved onto one the plan has
        left = doubts_of(fixed)
        update = {"plan": fixed.render(), "doubts": left, "checked": True}
        return update | ({"in_doubt": True} if left else {})
    return {"doubts": doubts, "checked": True, "in_doubt": True, **named}


def refit_repaired(
    compiled: Mapping[str, Any], state: LLMOrchState, ctx: AgentContext
) -> dict[str, Any]:
    """The state update that puts a repaired plan right without another request, if it can.

    The plan that comes back from its one repair is not doubted again; what the plan
    checks put right without the model still is: a name cut short, an exact repeat, and
    what `agent.refit` rewrites (the 0.5B model's repair of "How much more does a kilo
    of A cost than B's?" looked up both orchards' trees).
    """
    if not ctx.check_plans or compiled.get("compile_error") or not compiled.get("plan"):
        return {}
    question = last_question(state["messages"])
    try:
        plan = parse_plan(compiled["plan"])
    except PlanSyntaxError:  # compiled, so never; but a check must not fail the run
        return {}
    fixed = names_put_right(plan, question, ctx.tools)
    fixed = without_repeats(fixed) or fixed
    fixed = refitted(fixed, question, ctx.tools) or fixed
    return {"plan": fixed.render()} if fixed is not plan else {}


def without_repeats(plan: Plan) -> Plan | None:
    """`plan` without the calls that repeat an earlier one exactly, or None if none does.

    A repeat that a later call refers to is kept. Sent back for a repair instead, the
    0.5B model wrote the same plan again (2 of 2 times, a request of 25-35 s each).

    Example:
        ```python
        from langchain_llmorch.agent.checks import without_repeats

        plan = parse_plan('s1: price(item="lamp")\\ns2: price(item="lamp")')
        assert without_repeats(plan).render() == 's1: price(item="lamp")'
        assert without_repeats(parse_plan('s1: price(item="lamp")')) is None
        ```
    """
    referred = {ref for call in plan.calls for ref in call.references()}
    seen: set[str] = set()
    kept = []
    for call in plan.calls:
        body = call.expression()
        if call.tool not in BUILTIN_TOOLS and body in seen and call.id not in referred:
            continue
        seen.add(body)
        kept.append(call)
    if len(kept) == len(plan.calls):
        return None
    return Plan(tuple(kept), source="\n".join(call.render() for call in kept))


def _unused(
    plan: Plan,
    question: str,
    vocabulary: str,
    inputs: ToolInputs,
    priced: Sequence[str] = (),
    converted: Mapping[float, set[float]] | None = None,
) -> list[str]:
    """What the question gives (numbers, quoted texts, names) that no call uses.

    Only what some tool can take (`inputs`) is listed; a plan without tool calls is not
    asked for numbers alone (a year, an amount does not say that a tool is needed). An
    amount in a unit one of the called tools' descriptions (`priced`) gives its result
    for is the joiner's to multiply; one a call uses in another unit (`converted`: "90
    minutes" as `hours=1.5`) is used.
    """
    calls = [c for c in plan.calls if c.tool not in BUILTIN_TOOLS]
    used = " ".join(c.expression().split("(", 1)[-1] for c in calls).lower()
    used_numbers = {abs(n) for n in numbers_in(used)}
    known = vocabulary.lower()
    wanted: list[str] = []
    if inputs.text:
        for quoted in _QUOTED.findall(question):
            text = next(part for part in quoted if part)
            if text.lower() not in used:
                wanted.append(repr(text))
    unquoted = _QUOTED.sub(" ", question)
    names, rest = _designations(unquoted, known)
    if inputs.numbers and calls:
        amounts = _amounts(rest, used, priced)  # "250 grams of oats": the joiner multiplies
        wanted += [
            _written(n)
            for n in dict.fromkeys(abs(n) for n in numbers_in(rest))
            if n not in used_numbers
            and n not in amounts
            and not (converted or {}).get(n, set()) & used_numbers
        ]
    names += [(word, word) for word in _NAME.findall(rest)]
    wanted += [
        name
        for name, head in dict.fromkeys(names)
        if inputs.takes(name)
        and not _named_in(name, head, known)
        and not _named_in(name, head, used, used_numbers)
    ]
    return wanted


def _named_in(name: str, head: str, text: str, numbers: set[float] | None = None) -> bool:
    """Whether `text` (lower case) names `name`, as written or in part.

    A name with a number counts when `text` has its whole (`sha256`), its word
    (`windows`) or, when `numbers` are given, its number.
    """
    if head == name:  # a plain name
        return name.lower() in text
    if _compact(name) in _compact(text):
        return True
    if len(head) > 1 and head.lower() in re.findall(r"[a-z0-9]+", text):
        return True
    own = {abs(n) for n in numbers_in(name.replace("-", " "))}
    return bool(numbers and own & numbers)


def _amounts(question: str, used: str, priced: Sequence[str] = ()) -> set[float]:
    """Numbers the question gives as an amount of something a call looks up.

    "250 grams of oats" with `calories_per_gram(food="oats")`, or "12 kg" with a tool
    described as the charge "to ship one kilogram" (`priced`): the joiner multiplies the
    amount by the result (`agent.facts`), no call needs it; so does an amount in the unit
    family of what a called tool gives its result for ("a 250 km drive" with litres "per
    100 kilometres"). The base of a rate ("per 100 km") is no amount at all.
    """
    texts = [t.lower() for t in re.findall(r'"([^"]+)"', used)]
    # What a called tool gives its result for, when not one ("per 100 kilometres").
    references = [per[1] for description in priced if (per := reference_of(description))]
    return {
        abs(float(match.group(0).replace(",", "")))
        for match in re.finditer(r"(?<![\w.])\d[\d,]*(?:\.\d+)?", question)
        if amount_of(question, match.end(), texts, whole=True)
        or any(per_unit_of(question, match.end(), description) for description in priced)
        # "per 100 km": the base of a rate, which no call is given.
        or re.search(r"\bper\s+$", question[: match.start()], re.IGNORECASE)
        # "a 250 km drive" with a tool's result per 100 km: the joiner scales it.
        or any(in_unit(1.0, unit_after(question, match.end()), unit) for unit in references)
    }


# A quoted text in a question: 'like this' or "like this" (not an apostrophe in a word).
_QUOTED = re.compile(r"(?<!\w)'([^']+)'(?!\w)|\"([^\"]+)\"")
# A name: a capitalised word that does not start a sentence.
_NAME = re.compile(r"(?<=[^.?!\s]\s)[A-Z][A-Za-z]+|(?<=[,;:(]\s)[A-Z][A-Za-z]+")
# A number that is part of a name: glued to a capitalised word by a hyphen (`SHA-256`,
# `COVID-19`, `GPT-4o`) or without one (`H2O`, `MP3`, `B12`).
_GLUED = re.compile(
    r"(?<![\w-])([A-Z][A-Za-z]*)(?:-\d+(?:\.\d+)*[A-Za-z0-9]*|\d[A-Za-z0-9]*)(?![\w-])"
)
# ... or following a name: an all-caps word anywhere (`ISO 8601`), a capitalised one
# that does not start a sentence (`Windows 11`, `Python 3.12`).
_NUMBERED = re.compile(
    r"(?<![\w-])([A-Z]{2,}|(?<=[^.?!\s]\s)[A-Z][a-z][A-Za-z]*) \d+(?:\.\d+)*(?![\w-]|[.,]\d)"
)


def _designations(text: str, known: str) -> tuple[list[tuple[str, str]], str]:
    """The names with numbers in `text` (`SHA-256`, `ISO 8601`), and the text without them.

    Each name comes with its word part (`SHA`, `ISO`). A word of the tools' own
    descriptions followed by a number (`Collatz 27`) is a tool and its argument, not a
    name: its number stays a number.
    """
    found: list[tuple[int, str, str]] = []
    words = set(re.findall(r"[a-z0-9]+", known))
    rest = text
    for pattern in (_GLUED, _NUMBERED):
        for match in pattern.finditer(rest):
            head = match.group(1)
            if pattern is _NUMBERED and head.lower() in words:
                continue
            found.append((match.start(), match.group(0), head))
            # Blank it out, keeping the places of everything else.
            span = match.end() - match.start()
            rest = rest[: match.start()] + "_" * span + rest[match.end() :]
    return [(name, head) for _, name, head in sorted(found)], rest


def _compact(text: str) -> str:
    """Letters and digits only, lower case: `SHA-256` and `sha256` are the same name."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def doubts_message(doubts: Sequence[str]) -> str:
    """The repair request's error text for a doubted plan."""
    listed = "\n".join(f"- {d}" for d in doubts)
    return (
        f"{DOUBTS_HEAD}\n"
        f"{listed}\n"
        "Use only the numbers and names the question gives, one call for each thing it "
        "asks about, with the tool that fits it. Make no call for what no tool fits: the "
        "answer covers it, and a plan with only a self step is right when no tool fits "
        "the question. If the plan is right as it is, write it again unchanged."
    )


def _literals(expr: Expr) -> Iterator[float]:
    """The numeric constants written in an argument (not inside strings)."""
    for part in walk(expr):
        if isinstance(part, int | float) and not isinstance(part, bool):
            yield float(part)


def _written(number: float) -> str:
    return str(int(number)) if number.is_integer() else repr(number)


__all__ = [
    "DOUBTS_HEAD",
    "conversation_text",
    "doubted",
    "doubts_message",
    "plan_doubts",
    "without_repeats",
]

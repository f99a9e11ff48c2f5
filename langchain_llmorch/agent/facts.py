"""Arithmetic the joiner is handed instead of asked to do: amounts times looked-up rates.

Small models do arithmetic badly: asked how many kilometres 26.2 miles are, with the
factor 1.609344 looked up, the 0.5B model answered with the factor, or with 26.2. The
joiner is told the products it may need, computed here, and copies them:

- a number the question gives that no call used as an argument, as an amount of what a
  call looked up ("250 grams of oats": `amount_of`) times that call's numeric result
  (`calories_per_gram(food="oats") = 3.89`): `250 x 3.89 = 972.5`;
- a number whose unit is the one the call's tool gives a rate for ("a parcel of 12 kg"
  and a tool described as what a carrier charges "to ship one kilogram": `per_unit_of`),
  when the tools are given;
- a folded `self` step that asks for one arithmetic step on numbers (`"24.79 * 70"`,
  after its references were filled in): its value.

Nothing is evaluated by Python: the numbers are read with a regular expression and one
operation is applied to them.

Example:
    ```python
    from langchain_llmorch import parse_plan
    from langchain_llmorch.agent.facts import products

    (call,) = parse_plan('s1: calories_per_gram(food="oats")').calls
    (fact,) = products("Kilocalories in 250 grams of oats?", {"s1": (call, 3.89)})
    assert fact.value == 972.5
    assert fact.text == 'calories_per_gram(food="oats") x 250 = 3.89 x 250 = 972.5'
    ```
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from langchain_llmorch.agent.answer import numbers_in, numbers_of
from langchain_llmorch.agent.rate_units import (
    in_priced_unit,
    in_unit,
    per_unit_of,
    reference_of,
    unit_after,
    word_after,
)
from langchain_llmorch.agent.unit_numbers import group_size
from langchain_llmorch.agent.words import singular
from langchain_llmorch.plan.expressions import walk
from langchain_llmorch.plan.language import Call

# At most this many products: each one costs the joiner's prompt tokens.
MAX_PRODUCTS = 4

_OPERATIONS: dict[str, tuple[str, Callable[[float, float], float]]] = {
    "*": ("x", operator.mul),
    "x": ("x", operator.mul),
    "×": ("x", operator.mul),  # noqa: RUF001 - the multiplication sign people write
    "/": ("/", operator.truediv),
    "+": ("+", operator.add),
    "-": ("-", operator.sub),
}
_NUM = r"-?\d[\d,]*(?:\.\d+)?"
# A number standing alone in a question: not part of a name ("K2") nor an ordinal ("30th").
_AMOUNT = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\d,.]*[A-Za-z\d])")
_STEP = re.compile(rf"^\s*({_NUM})\s*([*x×/+-])\s*({_NUM})\s*=?\s*$")  # noqa: RUF001


@dataclass(frozen=True)
class Fact:
    """A computed value the joiner is told, and the number an answer should state."""

    text: str
    """As the joiner reads it: `calories_per_gram(food="oats") x 250 = 3.89 x 250 = 972.5`."""
    value: float
    """The computed number."""
    tool: str = ""
    """The tool whose results it was computed from, when one: the value is in its unit."""
    rate: float | None = None
    """The result an amount was multiplied by, for a product (`amount x rate`)."""


def shown(value: float) -> str:
    """A computed number as the joiner is shown it: two decimals at most, or 4 digits.

    Example:
        ```python
        from langchain_llmorch.agent.facts import shown

        assert shown(42.1648128) == "42.16"
        assert shown(1735.3) == "1735.3"
        assert shown(0.020134) == "0.02013"
        ```
    """
    if value == 0 or not math.isfinite(value):
        return str(value)
    digits = 2 if abs(value) >= 1 else 3 - math.floor(math.log10(abs(value)))
    text = f"{round(value, digits):.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


def _exact(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _literal_numbers(calls: Iterable[Call]) -> set[float]:
    """Every number written in the calls' arguments (numbers and numbers inside texts)."""
    found: set[float] = set()
    for call in calls:
        for expr in (*call.args, *call.kwargs.values()):
            for part in walk(expr):
                if isinstance(part, bool):
                    continue
                if isinstance(part, int | float):
                    found.add(float(part))
                elif isinstance(part, str):
                    found.update(numbers_in(part))
    return found


def _names(call: Call) -> list[str]:
    """The literal texts a call was asked about, lowercased (`"oats"`, `"gallon"`)."""
    exprs = (*call.args, *call.kwargs.values())
    return [e.strip().lower() for e in exprs if isinstance(e, str) and e.strip()]


def amount_of(question: str, end: int, names: Iterable[str], *, whole: bool = False) -> bool:
    """Whether the number ending at `end` of `question` is an amount of one of `names`.

    The name (or its stem: "gallon" in "gallons") follows within a few words, before any
    comma, semicolon or "and": "250 grams of oats", "26.2 miles", "70 kg. What does it
    weigh on Jupiter". In "5000, and the population of Graz", 5000 is no amount of Graz.
    `whole`: a name that holds such a word itself counts ("3 copies of Salt and Cedar").

    Example:
        ```python
        from langchain_llmorch.agent.facts import amount_of

        question = "How many pages do 3 copies of Salt and Cedar have?"
        assert not amount_of(question, 19, ["salt and cedar"])
        assert amount_of(question, 19, ["salt and cedar"], whole=True)
        ```
    """
    window = question[end : end + 40].lower()
    after = re.split(r",|;|\band\b", window)[0]
    for name in names:
        stem = name[:-1] if len(name) > 3 and name.endswith("s") else name  # noqa: PLR2004
        if not stem:
            continue
        if re.search(rf"\b{re.escape(stem)}", after):
            return True
        found = re.search(rf"\b{re.escape(stem)}", window) if whole else None
        if found and not re.search(r",|;|\band\b", window[: found.start()]):
            return True
    return False


def _nearest(
    question: str,
    end: int,
    calls: Mapping[str, tuple[Call, float]],
    descriptions: Mapping[str, str] | None,
    references: Mapping[str, tuple[float, tuple[str, ...]]] | None = None,
) -> str | None:
    """The first call the number ending at `end` is an amount of, or None.

    An amount of what it looked up (`amount_of`), else of the unit its tool prices
    (`per_unit_of`, when `descriptions` has the tool's), else in the unit family of the
    quantity its tool gives its result for ("250 km" and "per 100 kilometres":
    `references`).
    """
    whole = descriptions is not None  # the answer checks' amounts: names with "and" too
    for cid, (call, _) in calls.items():
        if amount_of(question, end, _names(call), whole=whole):
            return cid
    for cid, (call, _) in calls.items():
        if per_unit_of(question, end, (descriptions or {}).get(call.tool, "")):
            return cid
    unit = unit_after(question, end)
    for cid, (call, _) in calls.items():
        per = (references or {}).get(call.tool)
        if per is not None and in_unit(1.0, unit, per[1]) is not None:
            return cid
    return None


def products(
    question: str,
    numeric: Mapping[str, tuple[Call, float]],
    steps: Sequence[str] = (),
    *,
    described: Callable[[Call], str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    references: Mapping[str, tuple[float, tuple[str, ...]]] | None = None,
) -> list[Fact]:
    """The products (and one-step results) an answer to `question` may need.

    Args:
        question: the user's question.
        numeric: the finished calls with a numeric result, by id: (call, value).
        steps: the plan's folded `self` prompts, with the results filled in.
        described: how a call is written in the fact (default: `tool(arg=value)`).
        descriptions: each tool's description, by name (given with the answer checks
            on): an amount in the unit a tool prices ("12 kg", "one kilogram") is
            multiplied by its result too, and so is an amount of a name holding "and"
            ("3 copies of Salt and Cedar").
        references: the quantity each tool gives its result for when not one unit
            (`reference_of`), by name: an amount in that unit is divided by it ("250 g"
            with a result for 100 g: x 250 / 100), one in another unit of its family
            first converted ("2 kg": x 2000 / 100; `agent.unit_numbers`); an amount in
            no unit or another family is not multiplied (the product would be wrong).

    Returns:
        At most `MAX_PRODUCTS` facts, amounts first.
    """
    show = described or Call.expression
    used = _literal_numbers(call for call, _ in numeric.values())
    facts: list[Fact] = []
    seen: set[float] = set()
    counted = {name for call, _ in numeric.values() for name in call.kwargs}
    for text, end, given in question_amounts(question, counted):
        amount = given
        if amount in used or amount in seen or amount in {0.0, 1.0}:
            continue
        cid = _nearest(question, end, numeric, descriptions, references)
        if cid is None:
            continue
        call, rate = numeric[cid]
        written = amount
        amount *= group_size(word_after(question, end))  # "3 dozen": 36
        per = (references or {}).get(call.tool)
        if per is not None:
            # "100 g" of a result for 100 g is the result; "2 kg" of it, 20 times; "3 cups"
            # of it, unknown.
            converted = in_unit(amount, unit_after(question, end), per[1])
            if converted is None:
                continue
            amount = converted
        else:  # "500 grams" of what one kilogram costs is 0.5 of it, not 500
            amount = in_priced_unit(amount, question, end, call.tool, descriptions)
        seen.add(written)
        scale = amount / per[0] if per is not None else amount
        value = rate * scale
        times = f"{shown(amount)} / {shown(per[0])}" if per is not None else shown(amount)
        said = f" ({text} {word_after(question, end)})"
        converted = per is None and amount != written * group_size(word_after(question, end))
        first = f"{times}{said}" if converted else times
        facts.append(
            Fact(
                f"{show(call)} x {first} = {_exact(rate)} x {times} = {shown(value)}",
                value,
                call.tool,
                rate=rate,
            )
        )
    facts += _spans(question, numeric, show, descriptions or {}, seen)
    for step in steps:
        fact = one_step(step)
        if fact is not None:
            facts.append(fact)
    return facts[:MAX_PRODUCTS]


# Amounts written in words: "three days", "a couple of nights", "a dozen eggs".
_SPELLED = "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
_WORD_AMOUNTS = {word: float(n) for n, word in enumerate(_SPELLED.split(), 2)} | {
    "twenty": 20.0,
    "thirty": 30.0,
    "forty": 40.0,
    "fifty": 50.0,
    "a couple of": 2.0,
    "a pair of": 2.0,
    "a dozen": 12.0,
    "half a dozen": 6.0,
}
_WORD_AMOUNT = re.compile(
    r"\b("
    + "|".join(sorted(map(re.escape, _WORD_AMOUNTS), key=len, reverse=True))
    + r")\s+(?=[a-z])",
    re.IGNORECASE,
)


# A span of days said as a word: "for a week", "over a fortnight", "a week's worth".
_SPAN_DAYS = {"week": 7.0, "fortnight": 14.0}
_SPAN = re.compile(
    r"\b(?:for|over|in|during|across)\s+(?:a|one|the\s+next|the\s+whole|a\s+whole)\s+"
    r"(week|fortnight)\b|\ba\s+(week|fortnight)['\u2019]s\b",
    re.IGNORECASE,
)
# A result given for one day: "per day", "a day", "each day", "daily".
_DAILY = re.compile(r"\b(?:per|a|each|every|one)\s+day\b|\bdaily\b", re.IGNORECASE)


def _spans(
    question: str,
    numeric: Mapping[str, tuple[Call, float]],
    show: Callable[[Call], str],
    descriptions: Mapping[str, str],
    seen: set[float],
) -> list[Fact]:
    """A daily result kept up for a span the question names in words ("for a week": x 7).

    Only a result its tool gives for one day (its name or description says "daily", "per
    day"), and only where the question writes no amount of days in digits.
    """
    span = spanned_days(question)
    if span is None or 7.0 in seen or 14.0 in seen:  # noqa: PLR2004 - days said already
        return []
    word, days = span
    facts = []
    for call, rate in numeric.values():
        said = f"{call.tool.replace('_', ' ')} {descriptions.get(call.tool, '')}"
        if not _DAILY.search(said):
            continue
        value = rate * days
        text = f"{show(call)} x {shown(days)} (days in a {word}) = {_exact(rate)} x {shown(days)}"
        facts.append(Fact(f"{text} = {shown(value)}", value, call.tool, rate=rate))
    return facts


def spanned_days(question: str) -> tuple[str, float] | None:
    """The span of days `question` names in words, and its days: ("fortnight", 14.0).

    Example:
        ```python
        from langchain_llmorch.agent.facts import spanned_days

        assert spanned_days("What does feeding the herd cost for a fortnight?") == (
            "fortnight", 14.0
        )
        assert spanned_days("What does a week's stay cost?") == ("week", 7.0)
        assert spanned_days("How many weeks are there?") is None
        ```
    """
    found = _SPAN.search(question)
    if found is None:
        return None
    word = (found.group(1) or found.group(2)).lower()
    return word, _SPAN_DAYS[word]


def question_amounts(question: str, counted: Iterable[str] = ()) -> list[tuple[str, int, float]]:
    """The amounts `question` writes, as (text, end, value), in digits or in words.

    An amount in words counts only where the word after it is no name a call is given
    (`counted`, its arguments' names): "three days" is an amount, "the two marinas" a
    count of what the calls look up.

    Example:
        ```python
        from langchain_llmorch.agent.facts import question_amounts

        said = "What do three days at Vallorin and 2 lessons for the two resorts cost?"
        assert [a[2] for a in question_amounts(said, ["resort"])] == [3.0, 2.0]
        ```
    """
    found = [
        (m.group(0), m.end(), float(m.group(0).replace(",", "")))
        for m in _AMOUNT.finditer(question)
    ]
    kinds = {singular(name.lower()) for name in counted}
    for match in _WORD_AMOUNT.finditer(question):
        text = match.group(1)
        end = match.start(1) + len(text)
        if singular(word_after(question, end)) in kinds:
            continue
        found.append((text, end, _WORD_AMOUNTS[text.lower()]))
    return sorted(found, key=lambda amount: amount[1])


def one_step(text: str) -> Fact | None:
    """The value of `text` when it is one arithmetic step on two numbers (`"24.79 * 70"`).

    Example:
        ```python
        from langchain_llmorch.agent.facts import one_step

        assert one_step("24.79 * 70").value == 1735.3
        assert one_step("Answer the question") is None
        ```
    """
    match = _STEP.match(text)
    if match is None:
        return None
    left, op, right = match.groups()
    a, b = (float(x.replace(",", "")) for x in (left, right))
    sign, apply = _OPERATIONS[op]
    if sign == "/" and b == 0:
        return None
    value = apply(a, b)
    return Fact(f"{shown(a)} {sign} {shown(b)} = {shown(value)}", value)


def numeric_results(
    calls: Mapping[str, Call], results: Mapping[str, object]
) -> dict[str, tuple[Call, float]]:
    """The calls whose result is one number, with it (booleans and texts left out)."""
    out: dict[str, tuple[Call, float]] = {}
    for cid, call in calls.items():
        value = results.get(cid)
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric and numbers_of(value):  # a finite number
            out[cid] = (call, value)  # type: ignore[assignment]
    return out


__all__ = [
    "MAX_PRODUCTS",
    "Fact",
    "numeric_results",
    "one_step",
    "per_unit_of",
    "products",
    "reference_of",
    "shown",
    "spanned_days",
]

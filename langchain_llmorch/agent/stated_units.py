"""The units an answer gives its numbers in, held to the units the tools give them in.

A small model copies a result's number right and names its unit wrong: 24 kilograms as
"24 pounds", a price in euros as "$145". The number is supported, so only the unit tells
the claim is false. `result_units` reads the unit a tool's result is in from its
description ("..., in euros", "how many grams ...", "the number of minutes ...") or, when
the description names none, from the end of its name (`distance_km`); `misnamed_units`
finds the numbers of an answer that equal a result (or a value computed from one tool's
results, `agent.facts`) and are written with another unit; `correct_units` puts them
right. A unit spelling that could mean two things in prose ("m": metres or millions,
"g") is never read as a claim, and a number two tools of different units both give is
left alone.

Example:
    ```python
    from langchain_llmorch import parse_plan
    from langchain_llmorch.agent.stated_units import (
        correct_units, misnamed_units, unit_in,
    )

    (call,) = parse_plan('s1: hotel_rate(hotel="Marlow")').calls
    units = {"hotel_rate": unit_in("What one night at a hotel costs, in euros.")}
    said = "A night at the Marlow costs $145."
    wrong = misnamed_units(said, {"s1": (call, 145.0)}, units)
    assert [w.truth for w in wrong] == ['hotel_rate(hotel="Marlow") = 145 is in euros, not dollars']
    assert correct_units(said, wrong) == "A night at the Marlow costs 145 euros."
    ```
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from langchain_core.tools import BaseTool

from langchain_llmorch.agent.answer import mentions
from langchain_llmorch.agent.facts import Fact, shown
from langchain_llmorch.agent.unit_numbers import unit_of
from langchain_llmorch.plan.language import Call

# Spellings that stand for one unit whatever the family: currencies, and units outside the
# metric table `unit_numbers` converts. A spelling maps to the unit's name.
_NAMED: dict[str, tuple[str, ...]] = {
    "euro": ("euro", "euros", "eur", "€"),
    "dollar": ("dollar", "dollars", "usd", "$", "us$"),
    "pound": ("pound", "pounds", "lb", "lbs", "£", "gbp"),  # of mass or sterling: either
    "cent": ("cent", "cents"),
    "yen": ("yen", "jpy", "¥"),
    "franc": ("franc", "francs", "chf"),
    "krona": ("krona", "kronor", "krone", "kroner", "sek", "nok", "dkk"),
    "rupee": ("rupee", "rupees", "inr", "₹"),
    "yuan": ("yuan", "cny", "rmb", "renminbi"),
    "peso": ("peso", "pesos"),
    "zloty": ("zloty", "zlotys", "pln"),
    "ounce": ("ounce", "ounces", "oz"),
    "mile": ("mile", "miles"),
    "foot": ("foot", "feet", "ft"),
    "inch": ("inch", "inches"),
    "yard": ("yard", "yards"),
    "gallon": ("gallon", "gallons"),
    "pint": ("pint", "pints"),
    "acre": ("acre", "acres"),
    "hectare": ("hectare", "hectares"),
    "ton": ("ton", "tons", "tonne", "tonnes"),  # the kinds of ton are not told apart
    "year": ("year", "years"),
    "month": ("month", "months"),
    "celsius": ("celsius", "°c"),
    "fahrenheit": ("fahrenheit", "°f"),
    "kelvin": ("kelvin",),
    "percent": ("percent", "%"),
    "kcal": ("calorie", "calories", "kcal", "kilocalorie", "kilocalories"),
    "kilojoule": ("kilojoule", "kilojoules", "kj"),
}
_NAME = {spelling: name for name, spellings in _NAMED.items() for spelling in spellings}
# Metric spellings this short are read only where they cannot mean something else: never
# in an answer's prose ("3 m" may be millions), always in a tool's name (`length_m`).
_AMBIGUOUS = 1
_SYMBOLS = "$€£¥₹"
# What a description says its result is in: "in euros", "how many grams", "number of days".
_DESCRIBED = re.compile(
    r"\b(?:in|how\s+many|number\s+of|amount\s+of)\s+([a-z°%$€£¥₹]+)", re.IGNORECASE
)
_UNIT_WORD = re.compile(r"[a-z°%$€£¥₹]+", re.IGNORECASE)
# Words before a unit that make it the quantity of a rate: "per 100 km", "one kilogram".
_RATE_OF = re.compile(r"\b(?:per|one|a|an|each|every)(?:\s+\d[\d,.]*)?\s+$", re.IGNORECASE)
_SYMBOL_WORD = {"$": "dollars", "€": "euros", "£": "pounds", "¥": "yen", "₹": "rupees"}
# A number in an answer, with a currency symbol or code before it or a unit word after it.
_STATED = re.compile(
    r"(?:(?P<before>[$€£¥₹]|\b(?:usd|eur|gbp|chf|jpy|us\$)\b)\s?)?"
    r"(?P<number>(?<![\w.])-?\d[\d,]*(?:\.\d+)?)"
    r"(?:\s?-?\s?(?P<after>%|°[cf]\b|[a-z]+\b))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Unit:
    """The unit a tool's result is in."""

    name: str
    """What it is, whatever the spelling: `"euro"`, `"mass 1000.0"` (a kilogram)."""
    word: str
    """As the tool's description writes it: `"euros"`, `"kilograms"`."""


@dataclass(frozen=True)
class Misnamed:
    """A number an answer writes with another unit than its result is in."""

    start: int
    """Where the number and its unit start in the answer."""
    end: int
    """Where they end."""
    written: str
    """The number as the answer writes it."""
    unit: Unit
    """The unit the result is in."""
    truth: str
    """What the results say, for the send-back request."""


def unit_name(spelling: str, *, prose: bool = True) -> str | None:
    """The name of the unit `spelling` stands for, or None (not a unit, or unclear in prose).

    Example:
        ```python
        from langchain_llmorch.agent.stated_units import unit_name

        assert unit_name("Euros") == unit_name("€") == "euro"
        assert unit_name("kilograms") == unit_name("kg") == "mass 1000.0"
        assert unit_name("m") is None and unit_name("m", prose=False) == "length 1.0"
        ```
    """
    word = spelling.lower()
    if word in _NAME:
        return _NAME[word]
    if prose and len(word) <= _AMBIGUOUS:
        return None
    metric = unit_of(word)
    return None if metric is None else f"{metric[0]} {float(metric[1])}"


def unit_in(description: str, name: str = "") -> Unit | None:
    """The unit a tool's result is in, from its description or else its name, or None.

    The description must say it ("in euros", "how many grams") and name no other unit
    but as the quantity of a rate ("per 100 km", "one kilogram", "a day"): "convert an
    amount in dollars to euros" gives no unit, nor does a name that ends in another unit.

    Example:
        ```python
        from langchain_llmorch.agent.stated_units import unit_in

        assert unit_in("How many minutes a crossing takes.").word == "minutes"
        assert unit_in("What one kilogram costs, in dollars.").word == "dollars"
        assert unit_in("The weight of a parcel.", "parcel_weight_kg").word == "kg"
        assert unit_in("What one kilogram costs.", "price_per_kg") is None
        assert unit_in("Convert an amount in dollars to euros.") is None
        ```
    """
    said = {
        named: m.group(1).lower()
        for m in _DESCRIBED.finditer(description)
        if (named := unit_name(m.group(1))) is not None
    }
    named_anywhere = {
        named
        for m in _UNIT_WORD.finditer(description)
        if not _RATE_OF.search(description[: m.start()])
        and (named := unit_name(m.group(0))) is not None
    }
    words = name.lower().split("_")
    last = words[-1] if len(words) > 1 and words[-2] != "per" else ""
    in_name = unit_name(last, prose=False) if last else None
    if said:
        if len(said) > 1 or set(said) != named_anywhere or in_name not in {None, *said}:
            return None
        ((named, word),) = said.items()
        return Unit(named, word)
    if named_anywhere or in_name is None:
        return None  # a unit named, but not as the result's; or none
    return Unit(in_name, last)


def result_units(tools: Iterable[BaseTool]) -> dict[str, Unit]:
    """The unit each tool's result is in (`unit_in`), by tool name; tools of none left out."""
    return {
        tool.name: unit
        for tool in tools
        if (unit := unit_in(tool.description or "", tool.name)) is not None
    }


def misnamed_units(
    answer: str,
    numeric: Mapping[str, tuple[Call, float]],
    units: Mapping[str, Unit],
    computed: Sequence[Fact] = (),
    *,
    question: str = "",
) -> list[Misnamed]:
    """The numbers of `answer` that equal a result and are written with another unit.

    Args:
        answer: the model's answer.
        numeric: the finished calls with a numeric result, by id: (call, value).
        units: the unit each tool's result is in, by tool name (`result_units`).
        computed: values computed from one tool's results (`Fact.tool`): in its unit.
        question: the user's question; an amount it writes with its unit is no claim.
    """
    values: list[tuple[float, str, Unit | None]] = [
        (value, f"{call.render().split(': ', 1)[1]} = {shown(value)}", units.get(call.tool))
        for call, value in numeric.values()
    ]
    values += [(f.value, f.text, units.get(f.tool)) for f in computed if f.tool]
    asked = {_key(m) for m in _STATED.finditer(question)}
    found: list[Misnamed] = []
    for match in _STATED.finditer(answer):
        spelling = match.group("before") or match.group("after") or ""
        stated = unit_name(spelling)
        if stated is None or _key(match) in asked:
            continue
        number = match.group("number")
        meant = [(source, unit) for value, source, unit in values if mentions(number, value)]
        kinds = {unit for _, unit in meant}
        if len(kinds) != 1 or None in kinds:
            continue  # no result, or results in two units (or one of none): no telling
        source, unit = meant[0]
        if unit is None or unit.name == stated:
            continue
        wrong = _SYMBOL_WORD.get(spelling, spelling.lower())
        truth = f"{source} is in {unit.word}, not {wrong}"
        end = match.end("number") if match.group("before") else match.end()
        found.append(Misnamed(match.start(), end, number, unit, truth))
    return found


def correct_units(answer: str, misnamed: Sequence[Misnamed]) -> str:
    """`answer` with each misnamed unit replaced by the one its result is in.

    The last resort, when the model named a unit wrong twice: "$145" becomes "145 euros".
    """
    out = answer
    for wrong in sorted(misnamed, key=lambda m: -m.start):
        out = f"{out[: wrong.start]}{wrong.written} {wrong.unit.word}{out[wrong.end :]}"
    return out


def _key(match: re.Match[str]) -> tuple[str, str]:
    spelling = match.group("before") or match.group("after") or ""
    return (shown(float(match.group("number").replace(",", ""))), spelling.lower())


__all__ = ["Misnamed", "Unit", "correct_units", "misnamed_units", "result_units", "unit_in"]

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
from langchain_llmorch.agent.echoes import sentences
from langchain_llmorch.agent.edits import spliced
from langchain_llmorch.agent.facts import Fact, shown
from langchain_llmorch.agent.unit_numbers import unit_of
from langchain_llmorch.agent.words import singular
from langchain_llmorch.plan.language import Call

# Units outside the metric table `unit_numbers` converts, with their kinds and spellings.
# Only units of one kind are told apart: "$6" for a result in hours is some other number.
_NAMED: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "euro": (frozenset({"currency"}), ("euro", "euros", "eur", "€")),
    "dollar": (frozenset({"currency"}), ("dollar", "dollars", "usd", "$", "us$")),
    # Of mass or sterling: a pound is never kilograms nor euros.
    "pound": (frozenset({"currency", "mass"}), ("pound", "pounds", "lb", "lbs", "£", "gbp")),
    "cent": (frozenset({"currency"}), ("cent", "cents")),
    "yen": (frozenset({"currency"}), ("yen", "jpy", "¥")),
    "franc": (frozenset({"currency"}), ("franc", "francs", "chf")),
    "krona": (frozenset({"currency"}), ("krona", "kronor", "krone", "kroner", "sek", "nok")),
    "rupee": (frozenset({"currency"}), ("rupee", "rupees", "inr", "₹")),
    "yuan": (frozenset({"currency"}), ("yuan", "cny", "rmb", "renminbi")),
    "peso": (frozenset({"currency"}), ("peso", "pesos")),
    "zloty": (frozenset({"currency"}), ("zloty", "zlotys", "pln")),
    "ounce": (frozenset({"mass"}), ("ounce", "ounces", "oz")),
    "mile": (frozenset({"length"}), ("mile", "miles")),
    "foot": (frozenset({"length"}), ("foot", "feet", "ft")),
    "inch": (frozenset({"length"}), ("inch", "inches")),
    "yard": (frozenset({"length"}), ("yard", "yards")),
    "gallon": (frozenset({"volume"}), ("gallon", "gallons")),
    "pint": (frozenset({"volume"}), ("pint", "pints")),
    "acre": (frozenset({"area"}), ("acre", "acres")),
    "hectare": (frozenset({"area"}), ("hectare", "hectares")),
    "year": (frozenset({"time"}), ("year", "years")),
    "month": (frozenset({"time"}), ("month", "months")),
    "celsius": (frozenset({"temperature"}), ("celsius", "°c", "ºc", "℃")),
    "fahrenheit": (frozenset({"temperature"}), ("fahrenheit", "°f", "ºf", "℉")),
    "kelvin": (frozenset({"temperature"}), ("kelvin",)),
    "kcal": (frozenset({"energy"}), ("calorie", "calories", "kcal", "kilocalorie", "kilocalories")),
    "kilojoule": (frozenset({"energy"}), ("kilojoule", "kilojoules", "kj")),
    "kwh": (frozenset({"energy"}), ("kwh", "kilowatt-hour", "kilowatt-hours")),
}
_NAME = {spelling: name for name, (_, spellings) in _NAMED.items() for spelling in spellings}
_NAME |= {"ton": "tonne", "tons": "tonne"}  # the kinds of ton are not told apart
# How a unit named by a code or symbol is written back: "145 euros", not "145 eur".
_WRITTEN = {
    **dict.fromkeys(("$", "usd", "us$"), "dollars"),
    **dict.fromkeys(("€", "eur"), "euros"),
    **dict.fromkeys(("£", "gbp"), "pounds"),
    "jpy": "yen",
    "¥": "yen",
    "chf": "francs",
    "inr": "rupees",
    "₹": "rupees",
    "cny": "yuan",
    "pln": "zloty",
    "celsius": "°C",
    "fahrenheit": "°F",
    "°c": "°C",
    "ºc": "°C",
    "°f": "°F",
    "ºf": "°F",
    "t": "tonnes",
}
# Kinds of measure a number of one is never a number of another: a mass is no volume.
_PHYSICAL = frozenset({"mass", "length", "volume", "area", "energy", "temperature"})
# Metric spellings this short are read only where they cannot mean something else: never
# in an answer's prose ("3 m" may be millions), always in a tool's name (`length_m`).
_AMBIGUOUS = 1
# A tool name's last word that is no unit there: `price_min` is a minimum, `sales_year` a period.
_NOT_IN_NAMES = frozenset({"min", "day", "month", "year", "week", "h", "s", "hour", "second"})
_UNIT = (
    r"(?:(?:us|u\.s\.|swiss|japanese|british|canadian|australian)\s+)?"
    r"(?:degrees?\s+)?([a-z°º%$€£¥₹℃℉]+(?:-[a-z]+)?)"
)
# What a description says its result is in: "in euros", "how many grams".
_DESCRIBED = re.compile(rf"\b(?:in|how\s+many)\s+{_UNIT}", re.IGNORECASE)
_UNIT_WORD = re.compile(r"[a-z°º%$€£¥₹℃℉]+(?:-[a-z]+)?", re.IGNORECASE)
# Words before a unit that make it the quantity of a rate, or an input: "per 100 km", "one
# kilogram", "for a number of hours", "a distance in miles".
_RATE_OF = re.compile(
    r"(?:\b(?:per|one|a|an|each|every|of)(?:\s+\d[\d,.]*)?|\bfor(?:\s+\w+){0,4}?|"
    r"\b(?:distance|weight|duration|time|amount|length|mass|volume)\s+in)\s+$",
    re.IGNORECASE,
)
# The thing a result is given for one of: "one cup", "a night", "per day".
_BASE = re.compile(r"\b(?:one|per|a|an|each|every)\s+([a-z]+)", re.IGNORECASE)
# The arguments' own descriptions ("Args: weight: in kilograms") say nothing of the result.
_ARGUMENTS = re.compile(r"\n\s*(?:args|arguments|parameters|params)\s*:", re.IGNORECASE)
# "5 million", "1.2k": the number is not the value written, whatever its unit.
_MAGNITUDES = frozenset({"thousand", "million", "billion", "trillion", "bn", "k", "m", "mn"})
# A number in an answer, with a currency symbol or code before it or a unit after it.
_STATED = re.compile(
    r"(?:(?P<before>[$€£¥₹]|\b(?:usd|eur|gbp|chf|jpy|inr|us\$))\s?)?"
    r"(?P<number>(?<![\w.])-?\d[\d,]*(?:\.\d+)?)"
    r"(?:(?P<gap>\s?-?\s?)(?:degrees?\s+)?(?P<after>%|[°º][cf]\b|[€$£¥₹℃℉]|[a-z]+(?:-[a-z]+)?\b))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Unit:
    """The unit a tool's result is in."""

    name: str
    """What it is, whatever the spelling: `"euro"`, `"mass 1000.0"` (a kilogram)."""
    word: str
    """As the tool's description writes it: `"euros"`, `"kilograms"`."""
    per: frozenset[str] = frozenset()
    """What the result is given for one of ("one cup", "a night"): never its unit."""


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
    hyphen: bool = False
    """Whether the unit is joined to the number by a hyphen ("a 24-pound dog")."""


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
        word = _NAME[word]
        if word in _NAMED:
            return word
    if prose and len(word) <= _AMBIGUOUS:
        return None
    metric = unit_of(word)
    return None if metric is None else f"{metric[0]} {float(metric[1])}"


def kinds(name: str) -> frozenset[str]:
    """What a unit (by `unit_name`) measures: `{"currency"}`, `{"mass"}`; a pound, both."""
    return _NAMED[name][0] if name in _NAMED else frozenset({name.split(maxsplit=1)[0]})


def unit_in(description: str, name: str = "") -> Unit | None:
    """The unit a tool's result is in, from its description or else its name, or None.

    The description must say it ("in euros", "how many grams") and name no other unit
    but as the quantity of a rate or an input ("per 100 km", "one kilogram", "for a number
    of hours", "a distance in miles"): "convert an amount in dollars to euros" gives no
    unit, nor does a name that ends in another unit. What the description says of the
    arguments (after "Args:") is not read.

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
    description = _ARGUMENTS.split(description, maxsplit=1)[0]
    said = {
        named: _WRITTEN.get(m.group(1).lower(), m.group(1))
        for m in _DESCRIBED.finditer(description)
        if not _RATE_OF.search(description[: m.start()] + " ")
        and (named := unit_name(m.group(1))) is not None
    }
    named_anywhere = {
        named
        for m in _UNIT_WORD.finditer(description)
        if not _RATE_OF.search(description[: m.start()])
        and (named := unit_name(m.group(0))) is not None
    }
    words = name.lower().split("_")
    last = words[-1] if len(words) > 1 and words[-2] != "per" else ""
    in_name = None if last in _NOT_IN_NAMES else unit_name(last, prose=False)
    if said:
        if len(said) > 1 or set(said) != named_anywhere or in_name not in {None, *said}:
            return None
        ((named, word),) = said.items()
        return Unit(named, word, _bases(description))
    if named_anywhere or in_name is None:
        return None  # a unit named, but not as the result's; or none
    return Unit(in_name, _WRITTEN.get(last, last), _bases(description))


def _bases(description: str) -> frozenset[str]:
    """The words `description` gives its result for one of: "one cup", "a night", "per day"."""
    return frozenset(singular(m.group(1).lower()) for m in _BASE.finditer(description))


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

    Another unit of the same kind only ("24 pounds" for 24 kilograms, "$145" for 145
    euros): "open 24 hours" beside a price of 24 euros is some other number.

    Args:
        answer: the model's answer.
        numeric: the finished calls with a numeric result, by id: (call, value).
        units: the unit each tool's result is in, by tool name (`result_units`).
        computed: values computed from one tool's results (`Fact.tool`): in its unit.
        question: the user's question; an amount it writes with its unit is no claim.
    """
    values: list[tuple[float, str, Unit | None]] = [
        (value, f"{call.expression()} = {shown(value)}", units.get(call.tool))
        for call, value in numeric.values()
    ]
    values += [(f.value, f.text, units.get(f.tool)) for f in computed if f.tool]
    asked = {_key(m) for m in _STATED.finditer(question)}
    found: list[Misnamed] = []
    for match in _STATED.finditer(answer):
        before, after = match.group("before"), match.group("after")
        if after and after.lower() in _MAGNITUDES:
            continue  # "$5 million": the value is not 5
        spelling = before or after or ""
        if not spelling or _key(match) in asked:
            continue
        stated = unit_name(spelling)
        number = match.group("number")
        meant = [(source, unit) for value, source, unit in values if mentions(number, value)]
        if len({unit for _, unit in meant}) != 1:
            continue  # no result, or results in two units (or one of none): no telling
        source, unit = meant[0]
        if unit is None:
            continue
        if stated is None:  # "115 cups" of what one cup contains, in milligrams
            if before or singular(spelling.lower()) not in unit.per:
                continue
        elif unit.name == stated or not (
            _comparable(unit.name, stated) or any(unit_name(w) == stated for w in unit.per)
        ):
            continue  # (a result in the unit it is for one of: "14.5 kilograms" of euros/kg)
        wrong = _WRITTEN.get(spelling.lower(), spelling)
        truth = f"{source} is in {unit.word}, not {wrong}"
        hyphen = not before and "-" in (match.group("gap") or "")
        end = match.end("number") if before else match.end()
        found.append(Misnamed(match.start(), end, number, unit, truth, hyphen=hyphen))
    return found


def _comparable(meant: str, stated: str) -> bool:
    """Whether a number in unit `meant` written in `stated` is a claim about that number.

    Units of one kind always are ("24 pounds" for 24 kilograms); of two physical kinds
    too ("30 litres of CO2" for 30 grams), and money against a physical kind ("370.0
    litres" for a price of 370 pounds). Time is not held to another kind: "open 24 hours"
    beside a price of 24 euros is some other number.
    """
    one, other = kinds(meant), kinds(stated)
    if one & other or one | other <= _PHYSICAL:
        return True
    if "currency" in one and "currency" not in other:  # a price said in litres
        return bool(other) and other <= _PHYSICAL
    if "currency" in other and "currency" not in one:  # a weight said in euros
        return bool(one) and one <= _PHYSICAL
    return False


def correct_units(answer: str, misnamed: Sequence[Misnamed]) -> str:
    """`answer` with each misnamed unit replaced by the one its result is in.

    The last resort, when the model named a unit wrong twice: "$145" becomes "145 euros",
    "a 24-pound dog" "a 24-kilogram dog".
    """
    return spliced(answer, [(wrong.start, wrong.end, _said_in_unit(wrong)) for wrong in misnamed])


def _said_in_unit(wrong: Misnamed) -> str:
    """A misnamed number written with its result's unit ("145 euros", "24-kilogram")."""
    word = wrong.unit.word
    return f"{wrong.written}-{singular(word)}" if wrong.hyphen else f"{wrong.written} {word}"


def without_notes(answer: str, misnamed: Sequence[Misnamed]) -> str:
    """`answer` without the sentences that copy what a send-back said of a unit.

    A small model sent back with "... = 2.35 is in euros, not dollars" may write that
    sentence into its answer; it is ours, not an answer, and is taken out.

    Example:
        ```python
        from langchain_llmorch.agent.stated_units import Misnamed, Unit, without_notes

        truth = "rate = 2.35 is in euros, not dollars"
        wrong = Misnamed(0, 5, "2.35", Unit("euro", "euros"), truth)
        said = "2.35 is in euros, not dollars. Shipping costs 28.2 euros."
        assert without_notes(said, [wrong]) == "Shipping costs 28.2 euros."
        ```
    """
    notes = [f"is in {m.truth.rsplit(' is in ', 1)[-1]}".lower() for m in misnamed]
    if not notes:
        return answer
    kept = [
        sentence
        for sentence in sentences(answer)
        if not any(note in sentence.lower() for note in notes)
    ]
    return "".join(kept).strip()


def _key(match: re.Match[str]) -> tuple[str, str | None]:
    spelling = match.group("before") or match.group("after") or ""
    number = shown(float(match.group("number").replace(",", "")))
    return (number, unit_name(spelling) or spelling.lower())


__all__ = [
    "Misnamed",
    "Unit",
    "correct_units",
    "kinds",
    "misnamed_units",
    "result_units",
    "unit_in",
    "unit_name",
    "without_notes",
]

"""The units a tool gives its rate for, and an amount of the question in them.

`agent.facts` multiplies an amount the question gives by a looked-up rate; these say when
that is right and by what: the amount is in the unit the tool prices ("12 kg" and "what a
carrier charges to ship one kilogram": `per_unit_of`), the tool gives its result for a
quantity other than one ("100 grams": `reference_of`), and an amount in another unit of
the priced one's family is converted first ("500 grams" of a price per kilogram is 0.5 of
it: `in_priced_unit`). The table is small and fixed; nothing is evaluated.

Example:
    ```python
    from langchain_llmorch.agent.rate_units import in_unit

    assert in_unit(2.0, ("kg",), ("g",)) == 2000.0
    assert in_unit(250.0, ("miles",), ("km",)) is None
    ```
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from langchain_llmorch.agent.unit_numbers import unit_of

# Short units, by the words a tool's description spells them with.
_UNITS = {
    "kg": ("kilogram",),
    "g": ("gram",),
    "mg": ("milligram",),
    "t": ("tonne", "ton"),
    "lb": ("pound",),
    "lbs": ("pound",),
    "oz": ("ounce",),
    "km": ("kilometre", "kilometer"),
    "m": ("metre", "meter"),
    "cm": ("centimetre", "centimeter"),
    "mm": ("millimetre", "millimeter"),
    "mi": ("mile",),
    "ft": ("foot", "feet"),
    "l": ("litre", "liter"),
    "ml": ("millilitre", "milliliter"),
    "gal": ("gallon",),
    "h": ("hour",),
    "hr": ("hour",),
    "hrs": ("hour",),
    "min": ("minute",),
    "s": ("second",),
    "day": ("day",),
    "week": ("week",),
    "kwh": ("kilowatt-hour", "kilowatt hour", "kwh"),
    "mwh": ("megawatt-hour", "megawatt hour", "mwh"),
}
# What a rate is given for, in a tool's description: "one kilogram", "per hour".
_PER = re.compile(r"\b(?:one|per|a|an|each|every)\s+([a-z]+(?:[- ]hour)?)")


def per_unit_of(question: str, end: int, description: str) -> bool:
    """Whether the number ending at `end` of `question` is in the unit `description` prices.

    The word after the number is a unit ("12 kg", "3 hours", "40 litres") and the tool's
    description gives its result for one of that unit ("what a carrier charges to ship one
    kilogram", "the cost per hour"), or of another unit of its family ("90 minutes").

    Example:
        ```python
        from langchain_llmorch.agent.facts import per_unit_of

        question = "What does it cost to ship 12 kg?"
        assert per_unit_of(question, question.index("12") + 2, "Charge to ship one kilogram.")
        assert not per_unit_of(question, question.index("12") + 2, "Charge per parcel.")
        ```
    """
    spelled = unit_after(question, end)  # none: nothing matches
    priced = _priced(description)
    if any(p.startswith(name) or name.startswith(p) for p in priced for name in spelled):
        return True
    # Another unit of the priced one's family: "90 minutes" of a cost per hour.
    return any(in_unit(1.0, spelled, spellings(p)) is not None for p in priced)


def spellings(word: str) -> tuple[str, ...]:
    """How a tool's description may spell unit `word` ("kg": "kilogram"; "litres": "litre")."""
    word = word.lower()
    return _UNITS.get(word, (word[:-1] if len(word) > 3 and word.endswith("s") else word,))  # noqa: PLR2004


_SPELLED_UNITS = frozenset(name for names in _UNITS.values() for name in names)
# A quantity with its unit: "100 grams", "100 g", "per_100g" in a tool's name.
_QUANTITY = re.compile(r"(?<![\d.])(\d[\d,]*(?:\.\d+)?)\s*_?([a-z]+)")


def reference_of(text: str) -> tuple[float, tuple[str, ...]] | None:
    """The quantity a tool gives its result for, when it is not one unit.

    Read from the tool's name and description (`text`): "how many kilocalories 100 grams
    of a food have", `calories_per_100g`. An amount of that tool's subject is then
    multiplied by the result over that quantity (250 g: x 250 / 100), not by the result.

    Example:
        ```python
        from langchain_llmorch.agent.facts import reference_of

        assert reference_of("calories_per_100g: kilocalories of 100 grams") == (100.0, ("g",))
        assert reference_of("What one kilogram costs, in euros.") is None
        assert reference_of("The 10 largest cities of a country.") is None
        ```
    """
    for match in _QUANTITY.finditer(text.lower()):
        amount = float(match.group(1).replace(",", ""))
        word = match.group(2)
        known = word in _UNITS or any(name in _SPELLED_UNITS for name in spellings(word))
        if known and amount not in {0.0, 1.0}:
            return amount, (word,) if word in _UNITS else spellings(word)
    return None


def unit_after(question: str, end: int) -> tuple[str, ...]:
    """The spellings of the unit written right after the number ending at `end`, if any."""
    unit = re.match(r"\s*-?\s*([A-Za-z]+)", question[end:])  # "30 days", "a 30-day month"
    return spellings(unit.group(1)) if unit else ()


def word_after(question: str, end: int) -> str:
    """The word written right after the number ending at `end`, lower case, or "".

    A hyphen may join them: "a 30-day month" is 30 days.
    """
    word = re.match(r"\s*-?\s*([A-Za-z]+)", question[end:])
    return word.group(1).lower() if word else ""


def _forms(words: tuple[str, ...]) -> set[str]:
    """The words and, for short units, their spelled names ("kg": "kilogram")."""
    return {form for word in words for form in (word, *_UNITS.get(word, ()))}


def _same_unit(one: tuple[str, ...], other: tuple[str, ...]) -> bool:
    return any(a.startswith(b) or b.startswith(a) for a in _forms(one) for b in _forms(other))


def in_unit(amount: float, unit: tuple[str, ...], target: tuple[str, ...]) -> float | None:
    """`amount` (in `unit`) in the `target` unit: as it is, converted in its family, or None.

    "2 kg" for a result per 100 grams is 2000 (g); "250 miles" for one per 100 km, None
    (the table converts within the metric units, time and counts only).
    """
    if not unit:
        return None
    if _same_unit(unit, target):
        return amount
    have = next((u for w in _forms(unit) if (u := unit_of(w)) is not None), None)
    want = next((u for w in _forms(target) if (u := unit_of(w)) is not None), None)
    if have is None or want is None or have[0] != want[0]:
        return None
    return float(f"{amount * have[1] / want[1]:.10g}")


def in_priced_unit(
    amount: float, question: str, end: int, tool: str, descriptions: Mapping[str, str] | None
) -> float:
    """`amount` in the unit `tool` prices, when both are units of one family.

    "500 grams" of what "one kilogram" costs is 0.5 of it; else `amount` is as it is. The
    priced unit is read from the description ("one kilogram", "per hour") or the
    tool's name (`price_per_kg`).
    """
    said = unit_after(question, end)
    if not any(unit_of(w) is not None for w in _forms(said)):
        return amount  # "6 tomato plants", "5 adults": counts, not units
    for priced in _priced(f"{(descriptions or {}).get(tool, '')} {tool.replace('_', ' ')}"):
        converted = in_unit(amount, said, spellings(priced))
        if converted is not None:
            return converted
    return amount


def _priced(text: str) -> list[str]:
    """The words `text` gives a rate for one of: "one kilogram", "per hour" (lower case)."""
    return [m.group(1).lower() for m in _PER.finditer(text.lower())]


__all__ = [
    "in_priced_unit",
    "in_unit",
    "per_unit_of",
    "reference_of",
    "spellings",
    "unit_after",
    "word_after",
]

"""The numbers a unit conversion of the user's amounts gives, for the plan checks.

Under the plan grammar a call may be given only the numbers the user wrote, so "for 90
minutes" could not become `hours=1.5`. `converted_numbers` adds the values an amount
takes in another unit of its family (time, mass, length, volume; "3 dozen" is 36), but
only into the units the tools name: an argument's name (`hours`, `weight_kg`) or a tool's
description ("the cost for a number of hours"). The table is small and fixed; nothing is
evaluated.

Example:
    ```python
    from langchain_llmorch.agent.unit_numbers import converted_numbers

    assert converted_numbers("Park for 90 minutes", "parking_fee hours") == {1.5}
    assert converted_numbers("Park for 90 minutes", "parking_fee minutes") == set()
    assert converted_numbers("Ship 2500 g", "weight_kg") == {2.5}
    ```
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from langchain_core.tools import BaseTool

# unit spelling -> (family, size in the family's base unit)
_FAMILIES: dict[str, tuple[str, dict[str, float]]] = {
    "time": (
        "second",
        {
            "s": 1,
            "sec": 1,
            "secs": 1,
            "second": 1,
            "min": 60,
            "mins": 60,
            "minute": 60,
            "h": 3600,
            "hr": 3600,
            "hrs": 3600,
            "hour": 3600,
            "day": 86400,
            "week": 604800,
        },
    ),
    "mass": (
        "gram",
        {
            "mg": 0.001,
            "milligram": 0.001,
            "g": 1,
            "gram": 1,
            "kg": 1000,
            "kilogram": 1000,
            "kilo": 1000,
            "t": 1e6,
            "tonne": 1e6,
        },
    ),
    "length": (
        "metre",
        {
            "mm": 0.001,
            "millimetre": 0.001,
            "millimeter": 0.001,
            "cm": 0.01,
            "centimetre": 0.01,
            "centimeter": 0.01,
            "m": 1,
            "metre": 1,
            "meter": 1,
            "km": 1000,
            "kilometre": 1000,
            "kilometer": 1000,
        },
    ),
    "volume": (
        "litre",
        {
            "ml": 0.001,
            "millilitre": 0.001,
            "milliliter": 0.001,
            "cl": 0.01,
            "centilitre": 0.01,
            "l": 1,
            "litre": 1,
            "liter": 1,
        },
    ),
}
_UNIT = {
    spelling: (family, size)
    for family, (_, sizes) in _FAMILIES.items()
    for spelling, size in sizes.items()
}
# Counted in groups: "3 dozen" is 36 whatever the tools call it.
_GROUPS = {"dozen": 12, "dozens": 12, "score": 20}
# Spellings of one letter are read only from argument names (`length_m`), never from prose.
_SHORT = 1
# A converted value is kept when a person would write it: three decimals at most.
_DECIMALS = 3
_SMALLEST = 0.001
_AMOUNT = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s*-?\s*([a-z]+)", re.IGNORECASE)


def group_size(word: str) -> int:
    """How many one of a counted group holds ("dozen": 12, "score": 20), else 1.

    Example:
        ```python
        from langchain_llmorch.agent.unit_numbers import group_size

        assert (group_size("dozen"), group_size("loaves")) == (12, 1)
        ```
    """
    return _GROUPS.get(word.lower(), 1)


def unit_of(word: str) -> tuple[str, float] | None:
    """(family, size in the family's base unit) of a unit's spelling, or None.

    Plurals count ("minutes", "kilometres").

    Example:
        ```python
        from langchain_llmorch.agent.unit_numbers import unit_of

        assert unit_of("Minutes") == ("time", 60)
        assert unit_of("km") == ("length", 1000)
        assert unit_of("apples") is None
        ```
    """
    word = word.lower()
    if word in _UNIT:
        return _UNIT[word]
    if len(word) > 3 and word.endswith("s") and word[:-1] in _UNIT:  # noqa: PLR2004
        return _UNIT[word[:-1]]
    return None


def named_units(text: str, *, names: Iterable[str] = ()) -> set[tuple[str, float]]:
    """The units `text` (prose) and `names` (argument and tool names) name.

    Example:
        ```python
        from langchain_llmorch.agent.unit_numbers import named_units

        assert named_units("for a number of hours", names=["length_m"]) == {
            ("time", 3600), ("length", 1)
        }
        ```
    """
    words = [w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > _SHORT]
    for name in names:
        words += re.findall(r"[a-z]+", name.lower().replace("_", " "))
    return {unit for w in words if (unit := unit_of(w)) is not None}


def tool_units(tools: Iterable[BaseTool]) -> set[tuple[str, float]]:
    """The units the tools' argument names and descriptions name (`named_units`)."""
    found: set[tuple[str, float]] = set()
    for tool in tools:
        found |= named_units(tool.description or "", names=[tool.name, *tool.args])
    return found


def conversions(text: str, targets: set[tuple[str, float]]) -> dict[float, set[float]]:
    """Each amount `text` writes with a unit, and its values in the `targets` units.

    Only values a person would write (three decimals at most): 2 hours is no 0.0833 days.

    Example:
        ```python
        from langchain_llmorch.agent.unit_numbers import conversions

        assert conversions("90 min and 3 dozen eggs", {("time", 3600)}) == {
            90.0: {1.5}, 3.0: {36.0}
        }
        ```
    """
    found: dict[float, set[float]] = {}
    for match in _AMOUNT.finditer(text):
        amount = float(match.group(1).replace(",", ""))
        word = match.group(2).lower()
        values = found.setdefault(amount, set())
        if word in _GROUPS:
            values.add(amount * _GROUPS[word])
            continue
        unit = unit_of(word)
        if unit is None:
            continue
        family, size = unit
        for target_family, target_size in targets:
            value = _tidy(amount * size / target_size)
            if target_family == family and target_size != size and _plain(value):
                values.add(value)
    return {amount: values for amount, values in found.items() if values}


def converted_numbers(text: str, targets: str | set[tuple[str, float]]) -> set[float]:
    """The values the amounts of `text` take in the units `targets` names.

    `targets`: the tools' words (`"parking_fee hours"`: names and descriptions, read by
    `named_units`, words of one letter too) or units (`tool_units`).
    """
    units = (
        targets
        if isinstance(targets, set)
        else named_units("", names=re.findall(r"[a-z_]+", targets.lower()))
    )
    return {value for values in conversions(text, units).values() for value in values}


def _plain(value: float) -> bool:
    """Whether a user would write `value` so: 1.5 or 0.75 hours, not 0.0833 days."""
    return value >= _SMALLEST and round(value, _DECIMALS) == value


def _tidy(value: float) -> float:
    """`value` without float noise (`1.5000000000000002` is 1.5)."""
    return float(f"{value:.10g}")


__all__ = ["conversions", "converted_numbers", "group_size", "named_units", "tool_units", "unit_of"]

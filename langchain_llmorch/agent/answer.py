"""The answer's side of a plan: folded answer steps, and answers that hold the results.

Two things the joiner needs, kept free of LangGraph so they can be tested alone:

- `answer_steps`: the plan's `self` steps that feed only other such steps or the answer
  (and a final `join()`). They never run as calls; the joiner does their work in its single
  request, as a tool-calling agent does in its final turn. A `self` step whose result feeds a
  tool stays a call.
- `missing_results`: the results an answer leaves out. A small model sometimes words an
  answer without some of them; the joiner then adds those results after the answer.

Example:
    ```python
    from langchain_llmorch import parse_plan
    from langchain_llmorch.agent.answer import answer_steps

    plan = parse_plan('s1: f(x=1)\\ns2: f(x=2)\\ns3: self(prompt="Compare {s1} and {s2}")')
    assert answer_steps(plan) == ("s3",)
    ```
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from langchain_llmorch.plan.language import Plan
from langchain_llmorch.tools import BUILTIN_TOOLS

# Below this size a number written without decimals must be the value itself.
_ROUND_TO_INT = 100
_FOLDABLE = BUILTIN_TOOLS  # self and join: the steps an answer may take over
# A number as people and models write it: optional sign, thousands commas, decimals.
_NUMBER = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.])-?\d+(?:\.\d+)?")


def answer_steps(plan: Plan) -> tuple[str, ...]:
    """The ids of the `self` (and `join`) steps that only feed the answer, in plan order.

    A step qualifies when it is `self` or `join` and every step that uses its result
    qualifies too; steps are examined from the last one up.

    Example:
        ```python
        # s3 = self(...) feeds the tool call s4, so only s5 folds.
        plan = parse_plan(
            's1: f(x=1)\\ns2: f(x=2)\\ns3: self(prompt="sum {s1} {s2}")\\n'
            's4: g(e=s3)\\ns5: self(prompt="say {s4}")'
        )
        assert answer_steps(plan) == ("s5",)
        ```
    """
    ids = [c.id for c in plan.calls]
    users: dict[str, set[str]] = {cid: set() for cid in ids}
    for call in plan.calls:
        for parent in call.references():
            if parent in users:
                users[parent].add(call.id)
    folded: set[str] = set()
    for call in reversed(plan.calls):
        if call.tool in _FOLDABLE and users[call.id] <= folded:
            folded.add(call.id)
    return tuple(cid for cid in ids if cid in folded)


def runnable_plan(plan: Plan, folded: Iterable[str]) -> Plan:
    """`plan` without the folded steps (what the coordinator runs)."""
    skip = set(folded)
    if not skip:
        return plan
    calls = tuple(c for c in plan.calls if c.id not in skip)
    return Plan(calls=calls, source="\n".join(c.render() for c in calls))


# --------------------------------------------------------------------------- numbers


def numbers_of(value: Any) -> list[float]:
    """Numeric leaves of a result (numbers, and numbers inside short texts and containers)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an int beyond float range: no one writes it out anyway
            return []
        return [number] if math.isfinite(number) else []
    if isinstance(value, str):
        return numbers_in(value) if len(value) <= 200 else []  # noqa: PLR2004 - a short text
    if isinstance(value, Mapping):
        return [n for v in value.values() for n in numbers_of(v)]
    if isinstance(value, list | tuple):
        return [n for v in value for n in numbers_of(v)]
    return []


def numbers_in(text: str) -> list[float]:
    """The numbers written in `text` (`1,234.5` is one number)."""
    return [float(m.group(0).replace(",", "")) for m in _NUMBER.finditer(text)]


def _decimals(written: str) -> int:
    try:
        exponent = Decimal(written.replace(",", "")).as_tuple().exponent
    except InvalidOperation:
        return 0
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def mentions(text: str, value: float) -> bool:
    """Whether `text` writes `value`, exactly or rounded to the decimals it shows (sign aside).

    Example:
        ```python
        assert mentions("about 3.14 degrees", 3.14159)
        assert not mentions("about 3.2 degrees", 3.14159)
        ```
    """
    for match in _NUMBER.finditer(text):
        written = match.group(0)
        number = abs(float(written.replace(",", "")))
        places = _decimals(written)
        if abs(abs(value) - number) <= 0.5 * 10.0**-places + 1e-9:
            if places == 0 and not float(value).is_integer() and abs(value) < _ROUND_TO_INT:
                continue  # "24" is not a mention of 24.1; "522,250" is one of 522250.4

            return True
    return False


ADDED_RESULTS = "(Results: "
"""Starts the note the joiner adds with the results the model's answer left out."""


def model_words(answer: str) -> str:
    """The model's own part of an agent's answer: without the results the joiner added."""
    if answer.startswith(ADDED_RESULTS[1:]):  # the model said nothing at all
        return ""
    return answer.split("\n\n" + ADDED_RESULTS, 1)[0]


# Up to this many numeric results, an answer should write every one; past it, one will do
# (an answer may fairly sum up twenty numbers).
MAX_LISTED_RESULTS = 8


def missing_results(answer: str, results: Mapping[str, Any]) -> dict[str, Any]:
    """The results an answer leaves out, by key; `{}` when it holds enough.

    A result that is a number must be written, each one, while there are at most
    `MAX_LISTED_RESULTS` of them (past that, any one will do). Results that merely hold
    numbers (texts, lists) are left out only when the answer writes none of any result's
    numbers: then every result with numbers is missing.

    Example:
        ```python
        results = {"pages(Dune)": 412, "pages(Emma)": 474}
        assert missing_results("Emma has 474 pages.", results) == {"pages(Dune)": 412}
        ```
    """
    if not holds_results(answer, results):
        return {key: value for key, value in results.items() if numbers_of(value)}
    scalars = {key: value for key, value in results.items() if _is_number(value)}
    left_out = {key: value for key, value in scalars.items() if not mentions(answer, float(value))}
    if len(scalars) > MAX_LISTED_RESULTS and len(left_out) < len(scalars):
        return {}
    return left_out


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def holds_results(answer: str, results: Mapping[str, Any]) -> bool:
    """True when the results hold no number, or `answer` mentions at least one of them."""
    values = [n for v in results.values() for n in numbers_of(v)]
    return not values or any(mentions(answer, v) for v in values)


__all__ = [
    "ADDED_RESULTS",
    "answer_steps",
    "holds_results",
    "mentions",
    "missing_results",
    "model_words",
    "numbers_in",
    "numbers_of",
    "runnable_plan",
]

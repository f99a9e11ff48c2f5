"""Calls an answer copies as code, said in words: `plain_calls`.

The joiner shows results as `train_fare(train="Dunmere") = 35.0`, and a small model may
copy that into its answer ("The train_fare(train="Dunmere") is 35.0."). The answer is for
a person: each such call is said as its tool's words and what it was given ("the train
fare of Dunmere"; "the luggage fee of Aldora for 3 bags"; a chained argument as the
result it stands for).

Example:
    ```python
    from langchain_llmorch import parse_plan
    from langchain_llmorch.agent.spoken import plain_calls

    (call,) = parse_plan('s1: train_fare(train="Dunmere")').calls
    said = 'The train_fare(train="Dunmere") is 35.0.'
    assert plain_calls(said, {"s1": call}, {}) == "The train fare of Dunmere is 35.0."
    ```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from langchain_llmorch.plan.expressions import Expr, Ref
from langchain_llmorch.plan.language import Call, result_text

# Longest chained result said in place of its call ("Westrail", not a fetched page).
_SHORT = 40


def spoken(call: Call, results: Mapping[str, Any]) -> str | None:
    """`call` in words ("the luggage fee of Aldora for 3 bags"), or None when it cannot be.

    Texts are what the call is "of"; numbers what it is "for", with their argument's
    name; a chained argument is the result it refers to, when finished and short (at most
    40 characters, one line).
    """
    texts: list[str] = []
    amounts: list[str] = []
    for name, expr in [*(("", a) for a in call.args), *call.kwargs.items()]:
        if isinstance(expr, Ref) and expr.id in results:
            said = result_text(results[expr.id])
            if not _short(said):  # a page of text is no name
                return None
            texts.append(said)
        elif isinstance(expr, str) and expr.strip():
            texts.append(expr.strip())
        elif isinstance(expr, int | float) and not isinstance(expr, bool):
            amounts.append(f"{result_text(expr)} {name.replace('_', ' ')}".strip())
        else:
            return None
    said = f"the {call.tool.replace('_', ' ')}"
    if texts:
        said += " of " + " and ".join(texts)
    if amounts:
        said += " for " + " and ".join(amounts)
    return said


def with_results(call: Call, results: Mapping[str, Any]) -> Call:
    """`call` with each chained argument written as the short result it stands for.

    `maker_staff(company=s1)` is `maker_staff(company="Volta Works")` once `s1` gave
    "Volta Works": how the joiner and a results note show it. A result that is no short
    text or number (a page, a list) stays a reference.

    Example:
        ```python
        from langchain_llmorch import parse_plan
        from langchain_llmorch.agent.spoken import with_results

        _, call = parse_plan('s1: maker(model="Trask")\\ns2: staff(company=s1)').calls
        filled = with_results(call, {"s1": "Volta Works"})
        assert filled.expression() == 'staff(company="Volta Works")'
        ```
    """
    args = tuple(_filled(a, results) for a in call.args)
    kwargs = {name: _filled(expr, results) for name, expr in call.kwargs.items()}
    return replace(call, args=args, kwargs=kwargs)


def _filled(expr: Expr, results: Mapping[str, Any]) -> Expr:
    """`expr`, or the result it refers to when that is a short text or a number."""
    if not isinstance(expr, Ref) or expr.id not in results:
        return expr
    value = results[expr.id]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _short(value) and value.strip():
        return value
    return expr


def _short(text: str) -> bool:
    """Whether a result's `text` can stand for its call: one line, at most 40 characters."""
    return len(text) <= _SHORT and "\n" not in text


def _forms(call: Call, results: Mapping[str, Any]) -> list[str]:
    """How an answer may copy `call`: as shown to the joiner, or without the quotes."""
    shown = [call.expression(), with_results(call, results).expression()]
    forms = [form for s in shown for form in (s, s.replace('"', ""), s.replace('"', "'"))]
    return list(dict.fromkeys(forms))


def plain_calls(answer: str, calls: Mapping[str, Call], results: Mapping[str, Any]) -> str:
    """`answer` with each call it copies as code said in words (`spoken`)."""
    for call in calls.values():
        said = spoken(call, results)
        if said is None:
            continue
        for form in _forms(call, results):
            answer = _said_as(answer, form, said)
    return answer


def _said_as(answer: str, form: str, said: str) -> str:
    """`answer` with `form` written as `said`, its article kept, capitalised to start."""
    out: list[str] = []
    at = 0
    # "Mooring_fee(marina=...)": a copy that starts a sentence may be capitalised.
    for match in re.finditer(rf"(?:\b(the|The)\s+)?(?i:{re.escape(form)})", answer):
        before = answer[: match.start()].rstrip()
        if match.group(1):
            words = f"{match.group(1)} {said.removeprefix('the ')}"
        elif not before or before[-1] in ".!?\n":
            words = said[0].upper() + said[1:]
        else:
            words = said
        out += [answer[at : match.start()], words]
        at = match.end()
    return "".join([*out, answer[at:]])


__all__ = ["plain_calls", "spoken", "with_results"]

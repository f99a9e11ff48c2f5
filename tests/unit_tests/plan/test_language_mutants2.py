"""The plan language (`plan/language.py`), second pass: where errors point, and what they say.

Written for the mutants of `plan/language.py` that the rest of the suite let live once the
whole module was run. Each error a model gets back must name the line and column of the
fault (the repair prompt quotes them) and say how to fix it.
"""

from __future__ import annotations

import pytest

from langchain_llmorch import parse_plan
from langchain_llmorch.errors import PlanSyntaxError
from langchain_llmorch.plan.expressions import MAX_DEPTH


def error_of(text: str) -> PlanSyntaxError:
    with pytest.raises(PlanSyntaxError) as err:
        parse_plan(text)
    return err.value


def test_a_too_deep_argument_is_pointed_at_where_it_goes_too_deep() -> None:
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    err = error_of(f"s1: f(x=1)\ns2:  f(x={deep})")
    # `s2:  ` is 5 characters and `f(x=` 4 more, then MAX_DEPTH brackets that are allowed.
    assert (err.line, err.column) == (2, 6 + 4 + MAX_DEPTH)
    assert err.message == (
        f"the argument is nested deeper than {MAX_DEPTH} levels (brackets and "
        "operators); split it into several calls"
    )
    # One level less is accepted.
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_plan(f"s1: f(x={ok})").calls[0].kwargs["x"] is not None


def test_a_call_the_parser_cannot_read_is_pointed_at_its_start() -> None:
    # Thousands of unary minuses overflow CPython's parser before any depth check runs.
    err = error_of("s1: f(x=1)\n\ns2:   f(x=" + "-" * 5000 + "1)")
    assert (err.line, err.column) == (3, 7)
    assert err.message.startswith("the call is nested too deeply to read")
    # A character Python's parser cannot encode: the same place, another message.
    err = error_of('s1: f(x=1)\ns2: f(x="\udc80")')
    assert (err.line, err.column) == (2, 5)
    assert err.message.startswith("the call cannot be read (")


@pytest.mark.parametrize("number", ["1e999", "-1e999", "[2, 1e400]"])
def test_a_float_literal_too_large_for_a_float_is_refused_where_it_is(number: str) -> None:
    err = error_of(f"s1:  f(y=1, x={number})")
    assert err.message == "the number is too large for a float"
    assert (err.line, err.column) == (1, 6 + 9 + number.find("1e"))

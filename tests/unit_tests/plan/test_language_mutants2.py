"""The plan language (`plan/language.py`), second pass: where errors point, and what they say.

Written for the mutants of `plan/language.py` that the rest of the suite let live once the
whole module was run. Each error a model gets back must name the line and column of the
fault (the repair prompt quotes them) and say how to fix it.
"""

from __future__ import annotations

import warnings

import pytest

from langchain_llmorch import parse_plan
from langchain_llmorch.errors import PlanSyntaxError
from langchain_llmorch.plan import language
from langchain_llmorch.plan.expressions import MAX_DEPTH, MAX_INT_BITS
from langchain_llmorch.plan.language import MAX_PLAN_CALLS, MAX_PLAN_CHARS, MAX_PLAN_ITEMS


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
    assert err.message.startswith("the call cannot be read ('utf-8' codec can't encode")
    assert err.message.endswith("); write plain text and numbers")


@pytest.mark.parametrize("number", ["1e999", "-1e999", "[2, 1e400]"])
def test_a_float_literal_too_large_for_a_float_is_refused_where_it_is(number: str) -> None:
    err = error_of(f"s1:  f(y=1, x={number})")
    assert err.message == "the number is too large for a float"
    assert (err.line, err.column) == (1, 6 + 9 + number.find("1e"))


def test_nesting_counts_through_dict_values_both_operands_and_unary_signs() -> None:
    # The deepest leaf at exactly MAX_DEPTH parses; one level more is refused.
    def dicts(n: int) -> str:
        return '{"k": ' * n + "1" + "}" * n

    def left_sums(n: int) -> str:  # `((1 + 1) + 1) + ...`: the deepest leaf is on the left
        return "1" + " + 1" * n

    def right_sums(n: int) -> str:
        return "1 + (" * n + "1" + ")" * n

    def signs(n: int) -> str:
        return "-" * n + "1"

    for build in (dicts, left_sums, right_sums, signs):
        assert parse_plan(f"s1: f(x={build(MAX_DEPTH - 1)})").calls[0].kwargs["x"] is not None
        err = error_of(f"s1: f(x={build(MAX_DEPTH)})")
        assert err.message.startswith("the argument is nested deeper than"), build.__name__


@pytest.mark.parametrize("arg", ["{1: 2}", '{"a": 1, s0: 2}', "{**s0}", '{"a": 1, **s0}'])
def test_a_dict_key_that_is_not_a_quoted_string_is_refused_at_the_dict(arg: str) -> None:
    err = error_of(f"s1:  f(y=1, x={arg})")
    assert err.message == "dict keys must be quoted strings"
    assert (err.line, err.column) == (1, 6 + 9)


@pytest.mark.parametrize(("arg", "shown"), [('b"x"', "b'x'"), ("2j", "2j"), ("...", "Ellipsis")])
def test_a_literal_that_is_not_a_number_or_text_is_refused_where_it_is(
    arg: str, shown: str
) -> None:
    err = error_of(f"s1:  f(y=1, x=[0, {arg}])")
    assert err.message == f"unsupported literal {shown}; use numbers or strings"
    assert (err.line, err.column) == (1, 6 + 13)


def test_a_too_large_integer_literal_is_refused_where_it_is() -> None:
    err = error_of(f"s1:  f(y=1, x=[0, {2**MAX_INT_BITS}])")
    assert err.message == f"the number is too large (over {MAX_INT_BITS} bits)"
    assert (err.line, err.column) == (1, 6 + 13)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("s1:  f(x=1 2)", (1, 6 + 4)),  # Python points at `1 2`, offset 4 of the call
        ("s1: f(x=1)\ns2:  f(x=[1,\n  2 3])", (3, 3)),  # on the call's second line
    ],
)
def test_invalid_syntax_is_pointed_at_where_python_stops(text: str, where: tuple[int, int]) -> None:
    err = error_of(text)
    assert err.message.startswith("invalid call syntax (")
    assert err.message.endswith(
        "). Write one call per line as `s1: tool_name(argument_name=value, ...)`."
    )
    assert (err.line, err.column) == where


def test_star_arguments_are_refused_with_what_to_write_instead() -> None:
    err = error_of("s1: f(*s0)")
    assert err.message == "`*` is not allowed; write the arguments out"
    err = error_of("s1: f(x=1, **s0)")
    assert err.message == "`**` is not allowed; name each argument"


def test_a_call_that_fails_to_read_in_any_other_way_is_a_plan_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Defensive: an unexpected error while reading a call still reaches the caller as a
    # plan error at the call, naming the error's type.
    def broken(text: str) -> str:
        msg = f"cannot mask {text}"
        raise TypeError(msg)

    monkeypatch.setattr(language, "mask_dollar_refs", broken)
    err = error_of("s1: f(x=1)\n\ns2:   f(x=2)")
    assert err.message == "the call cannot be read (TypeError); write it more simply"
    assert (err.line, err.column) == (1, 5)


def test_unknown_backslash_escapes_in_text_parse_quietly_even_under_warnings_as_errors() -> None:
    # Regression: on Python 3.11 `"C:\data"` made `ast` warn (DeprecationWarning, which
    # warnings-as-errors turned into a refused plan); only SyntaxWarning was silenced.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan = parse_plan('s1: f(x="C:\\data", y="\\d+")')
    assert plan.calls[0].kwargs == {"x": "C:\\data", "y": "\\d+"}


def test_a_plan_over_a_size_limit_is_pointed_at_the_start_of_a_line() -> None:
    err = error_of("s1: f(x=1)\n" + " " * MAX_PLAN_CHARS)
    assert (err.line, err.column) == (1, 1)
    assert err.message.endswith(
        ", over the limit of 1,000,000; write fewer, shorter calls and pass results by id"
    )
    err = error_of("\n".join(f"  s{i}: f()" for i in range(1, MAX_PLAN_CALLS + 2)))
    assert (err.line, err.column) == (MAX_PLAN_CALLS + 1, 1)
    err = error_of("s1: f()\n\n  s2: f(x=[" + "0," * MAX_PLAN_ITEMS + "])")
    assert (err.line, err.column) == (3, 1)


def test_a_plan_keeps_its_text() -> None:
    text = "Thought: go\ns1: f(x=1)\n"
    assert parse_plan(text).source == text

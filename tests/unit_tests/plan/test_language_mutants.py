"""The plan language (`plan/language.py`): references in strings, literals, and errors.

Written for the mutants of `plan/language.py` that the rest of the suite let live. Each
test states one rule of the grammar: which `{...}` and `$N` inside a string are references,
which literals are accepted, and where an error points.
"""

from __future__ import annotations

import pytest

from langchain_llmorch import parse_plan
from langchain_llmorch.errors import PlanSyntaxError
from langchain_llmorch.plan.expressions import Ref, Template


def arg(text: str, name: str = "x") -> object:
    """The argument `name` of the last call of the plan `text`."""
    return parse_plan(text).calls[-1].kwargs[name]


def test_a_numbered_reference_in_a_string_is_one_whatever_the_ids() -> None:
    # `$9` (LLMCompiler) is a reference even when no call has that id: validation names it.
    assert arg('s1: f(x="$9")') == Ref("9")
    assert arg('s1: f(x="cost {$9} now")') == Template(("cost ", Ref("9"), " now"))
    assert arg('1. f(1)\n2. f(x="${1}!")') == Template((Ref("1"), "!"))


def test_a_braced_name_is_a_reference_only_when_it_names_a_call() -> None:
    # `{json}` names no call: plain text, and the scan goes on to `{s1}`.
    assert arg('s1: f(y=1)\ns2: f(x="{json} and {s1}")') == Template(("{json} and ", Ref("s1")))
    assert arg('s1: f(y=1)\ns2: f(x="{ s1 }")') == Template((Ref("s1"),))


def test_an_id_keeps_every_character_in_a_string_reference() -> None:
    assert arg('X1: f(y=1)\ns2: f(x="{X1}")') == Template((Ref("X1"),))
    assert arg('XX: f(y=1)\ns2: f(x="a {XX}")') == Template(("a ", Ref("XX")))


def test_a_call_renders_its_positional_then_keyword_arguments() -> None:
    (call,) = parse_plan('s1: f(1, "a", x=[2], y=s0)').calls
    assert call.render() == 's1: f(1, "a", x=[2], y=s0)'


def test_an_error_on_a_continuation_line_points_at_that_line() -> None:
    text = "s1: f(x=1)\n\ns2: f(x=1,\n  y=a.b)"
    with pytest.raises(PlanSyntaxError) as err:
        parse_plan(text)
    assert (err.value.line, err.value.column) == (4, 5)
    assert err.value.text == "f(x=1,\n  y=a.b)"


def test_an_error_on_the_first_line_counts_columns_from_the_call() -> None:
    with pytest.raises(PlanSyntaxError) as err:
        parse_plan("s1: f(x=1)\ns22:  f(x=a.b)")
    # `s22:  ` is 6 characters: the call starts at column 7, `a.b` 4 further on.
    assert (err.value.line, err.value.column) == (2, 11)

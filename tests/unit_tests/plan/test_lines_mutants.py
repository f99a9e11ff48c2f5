"""Plan lines (`plan/lines.py`): when a streamed line is one whole call, and how lines split.

Written for the mutants of `plan/lines.py` that the rest of the suite let live (the plan
tests did not reach `call_is_closed`, which the streaming planner uses to start a call as
soon as its line is complete).
"""

from __future__ import annotations

import pytest

from langchain_llmorch.errors import PlanSyntaxError
from langchain_llmorch.plan.lines import call_is_closed, split_calls


@pytest.mark.parametrize(
    "line",
    [
        "s1: f()",
        's1: search(query="a (b)")   ',  # trailing spaces after the `)`
        "3. f(1, [2, {'k': (3)}])",
        'intro: f(x="say \\"hi)\\"")',  # an escaped quote does not close the string
        "s2: f(x=')(')",
    ],
)
def test_a_whole_call_is_closed(line: str) -> None:
    assert call_is_closed(line)


@pytest.mark.parametrize(
    "line",
    [
        "s1: f(",  # open
        "s1: f(x=1",  # open, no `)`
        "s1: f(x=(1)",  # ends with `)` but one bracket is still open
        "s1: f(x=1))",  # one `)` too many
        's1: search(query="a)',  # the `)` is inside an open string
        "s1: f(x=')')'",  # ends with a quote, not a `)`
        's1: f(x=1) ")',  # balanced brackets, but a quote is open
        "f(x=1)",  # not a call line: no id
        "Thought: search(x)",  # a thought, however it ends
        "thought: f(x)",  # thoughts are matched whatever their case
        "",
    ],
)
def test_a_line_that_is_not_a_whole_call_is_not_closed(line: str) -> None:
    assert not call_is_closed(line)


def test_a_call_continues_over_lines_while_brackets_are_open() -> None:
    raw = split_calls("Thought: both\ns1: f(x=[1,\n  2],\n  y=3)\ns2: g()")
    assert [(r.id, r.line, r.column, r.thought) for r in raw] == [
        ("s1", 2, 5, "both"),
        ("s2", 5, 5, None),
    ]
    assert raw[0].text == "f(x=[1,\n  2],\n  y=3)"


def test_a_bracket_never_closed_is_pointed_at_the_end_of_the_call_s_first_line() -> None:
    first = "s2:  g(y=[" + "1, " * 100
    with pytest.raises(PlanSyntaxError) as err:
        split_calls(f"s1: f(x=1)\n\n{first}\n  2")
    assert err.value.message == (
        "a bracket is opened and never closed; end the call with `)` on its line"
    )
    assert (err.value.line, err.value.column) == (3, len(first.rstrip()) + 1)
    assert err.value.text == first[:200]  # a long line is shown in part


def test_a_call_without_a_thought_has_none() -> None:
    raw = split_calls("s1: f()\nThought:   \ns2: g()\nThought: h next\ns3: h()\ns4: k()")
    assert [r.thought for r in raw] == [None, None, "h next", None]

"""A plan of `self` steps only, where a tool's name fits the question (`agent.uncalled`)."""

from __future__ import annotations

import pytest

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.tool_fit import fit_doubts
from langchain_llmorch.agent.uncalled import UNCALLED, fitting_tools, uncalled_doubts


@inout
def shaft_depth(mine: str) -> int:
    """Look up how deep a mine's main shaft goes, in metres."""
    return 780


@inout
def mine_workforce(mine: str) -> int:
    """Look up how many people work at a mine."""
    return 212


TOOLS = [shaft_depth, mine_workforce]
SELF_ONLY = parse_plan('s1: self(prompt="How deep is the shaft of the Orrin mine?")')


def test_a_self_only_plan_is_doubted_naming_the_tool_that_fits() -> None:
    question = "How deep does the shaft of the Orrin mine go?"
    assert uncalled_doubts(SELF_ONLY, question, TOOLS) == [
        f"{UNCALLED} shaft_depth (depth, shaft) gives"
    ]
    assert any(d.startswith(UNCALLED) for d in fit_doubts(SELF_ONLY, question, TOOLS))


def test_two_tools_that_fit_are_both_named() -> None:
    question = "How deep is the Orrin mine's shaft, and what is the mine's workforce?"
    assert set(fitting_tools(question, TOOLS)) == {"shaft_depth", "mine_workforce"}
    (doubt,) = uncalled_doubts(SELF_ONLY, question, TOOLS)
    assert "mine_workforce (mine, workforce) or shaft_depth (depth, shaft)" in doubt


@pytest.mark.parametrize(
    ("plan", "question"),
    [
        ('s1: shaft_depth(mine="Orrin")', "How deep does the shaft of the Orrin mine go?"),
        ('s1: self(prompt="Write a haiku")', "Write a haiku about autumn."),
        ('s1: self(prompt="A title")', "A title for my mine blog?"),  # one word: too little
    ],
)
def test_a_plan_with_a_call_or_a_question_no_tool_speaks_of_is_not_doubted(
    plan: str, question: str
) -> None:
    assert uncalled_doubts(parse_plan(plan), question, TOOLS) == []

"""A question of two parts: the words of one part do not move the other part's call."""

from __future__ import annotations

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.misfits import misfits
from langchain_llmorch.agent.refit import refitted


@inout
def unit_factor(from_unit: str, to_unit: str) -> float:
    """Look up how many `to_unit` make one `from_unit` (a conversion factor)."""
    return 0.3048


@inout
def tower_height(tower: str) -> float:
    """Look up how high a tower is, in metres."""
    return 330.0


@inout
def tower_visitors(tower: str) -> int:
    """Look up how many people visit a tower in a year."""
    return 6_000_000


TOOLS = [unit_factor, tower_height, tower_visitors]
QUESTION = "How many metres are 40 feet, and how high is the Spire?"


def test_the_other_part_s_words_do_not_move_a_call_whose_clause_is_names() -> None:
    plan = parse_plan(
        's1: unit_factor(from_unit="feet", to_unit="metres")\ns2: tower_visitors(tower="Spire")'
    )
    assert [(m.call.id, m.tool.name) for m in misfits(plan, QUESTION, TOOLS)] == [
        ("s2", "tower_height")
    ]
    moved = refitted(plan, QUESTION, TOOLS)
    assert moved is not None
    assert [c.render() for c in moved.calls] == [
        's1: unit_factor(from_unit="feet", to_unit="metres")',
        's2: tower_height(tower="Spire")',
    ]


def test_a_clause_of_names_alone_reads_the_question_when_one_tool_is_called() -> None:
    plan = parse_plan('s1: tower_visitors(tower="Spire")\ns2: tower_visitors(tower="Mast")')
    found = misfits(plan, "Which is higher, Spire or Mast?", TOOLS)
    assert {m.tool.name for m in found} == {"tower_height"}

"""Two names given as one argument (`agent.joined_names`), and the refit that splits them."""

from __future__ import annotations

import pytest

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.joined_names import joined_names
from langchain_llmorch.agent.refit import refitted
from langchain_llmorch.agent.tool_fit import fit_doubts


@inout
def kiln_capacity(pottery: str) -> int:
    """Look up how many pots a pottery's kiln fires at once."""
    return 40


@inout
def founder(pottery: str) -> str:
    """Look up who founded a pottery; returns the founder's name."""
    return "Ada Quell"


@inout
def founder_age(person: str) -> int:
    """Look up how old a person is."""
    return 61


TOOLS = [kiln_capacity, founder, founder_age]


def _split(plan: str, question: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.id, a, names) for c, a, names in joined_names(parse_plan(plan), question, TOOLS)]


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("How many pots do both Brindle and Okeford fire?", "Brindle and Okeford"),
        ("Which fires more pots, Brindle or Okeford?", "Brindle or Okeford"),
        ("What do the kilns at Brindle and at Okeford hold?", "Brindle and Okeford"),
        ("How many pots do the potteries Brindle and Okeford fire?", "Brindle and Okeford"),
        ("Kiln sizes of Brindle, Okeford and Stoke Tarrant?", "Brindle, Okeford and Stoke Tarrant"),
    ],
)
def test_two_names_the_question_means_apart_are_split(question: str, value: str) -> None:
    plan = f's1: kiln_capacity(pottery="{value}")'
    ((cid, argument, names),) = _split(plan, question)
    assert (cid, argument) == ("s1", "pottery")
    assert len(names) >= 2
    assert all(name in question for name in names)
    fixed = refitted(parse_plan(plan), question, TOOLS)
    assert fixed is not None
    assert [c.kwargs["pottery"] for c in fixed.calls] == list(names)
    assert [c.id for c in fixed.calls] == [f"s{i}" for i in range(1, len(names) + 1)]
    assert any(f'"{value}"' in doubt for doubt in fit_doubts(parse_plan(plan), question, TOOLS))


@pytest.mark.parametrize(
    "question",
    [
        "How many pots does the kiln of Brindle and Okeford fire?",
        "How many pots do 3 firings of the Brindle and Okeford kiln hold in all?",
        "How many pots does the Brindle and Okeford kiln fire altogether in 2 firings?",
    ],
)
def test_a_name_with_and_in_it_is_left_alone_when_nothing_says_two(question: str) -> None:
    plan = 's1: kiln_capacity(pottery="Brindle and Okeford")'
    assert _split(plan, question) == []


def test_a_name_the_question_does_not_write_apart_is_no_pair() -> None:
    plan = 's1: kiln_capacity(pottery="Brindle and Okeford")'
    assert _split(plan, "How many pots do Brindle's kilns fire altogether?") == []


def test_a_joined_name_whose_result_a_later_call_uses_is_doubted_not_split() -> None:
    plan = 's1: founder(pottery="Brindle or Okeford")\ns2: founder_age(person=s1)'
    question = "Is the founder of Brindle or Okeford older?"
    assert _split(plan, question) == [("s1", "pottery", ("Brindle", "Okeford"))]
    fixed = refitted(parse_plan(plan), question, TOOLS)
    assert fixed is None or "Brindle or Okeford" in fixed.render()


def test_other_arguments_go_with_each_name() -> None:
    @inout
    def firing_cost(pottery: str, pots: int) -> float:
        """The price of firing a number of pots at a pottery."""
        return 2.5 * pots

    plan = parse_plan('s1: firing_cost(pottery="Brindle and Okeford", pots=12)')
    fixed = refitted(
        plan, "What does firing 12 pots cost at Brindle and at Okeford?", [firing_cost]
    )
    assert fixed is not None
    assert fixed.render() == (
        's1: firing_cost(pottery="Brindle", pots=12)\ns2: firing_cost(pottery="Okeford", pots=12)'
    )


@pytest.mark.parametrize(
    ("question", "two"),
    [
        ("What's the seat count for Orla Hall and Pim Rooms put together?", True),
        ("How many seats do Orla Hall and Pim Rooms have combined?", True),
        ("How many seats in 3 copies of Orla Hall and Pim Rooms in all?", False),
        ("How many seats does the Orla Hall and Pim Rooms venue have in total?", False),
    ],
)
def test_a_total_of_names_means_two_unless_an_amount_or_a_singular_kind_says_one(
    question: str, *, two: bool
) -> None:
    @inout
    def venue_seats(venue: str) -> int:
        """Look up how many seats a venue has."""
        return 300

    plan = parse_plan('s1: venue_seats(venue="Orla Hall and Pim Rooms")')
    found = joined_names(plan, question, [venue_seats])
    assert bool(found) is two

"""A look-up skipped in a subject relative clause: "the company that makes the Zephyr"."""

from __future__ import annotations

import pytest
from langchain_core.tools import BaseTool

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.refit import refitted
from langchain_llmorch.agent.tool_fit import fit_doubts, skipped_lookups


@inout
def book_author(book: str) -> str:
    """Look up who wrote a book; returns the author's name."""
    return "Frank Herbert"


@inout
def author_age(author: str) -> int:
    """How old an author is, in years."""
    return 70


@inout
def console_maker(console: str) -> str:
    """Look up which company makes a game console; returns the company's name."""
    return "Nimbus"


@inout
def maker_revenue(maker: str) -> float:
    """The yearly revenue of a games company, in millions."""
    return 120.0


@inout
def cup_winner(cup: str) -> str:
    """Look up which team won a cup; returns the team's name."""
    return "Rovers"


@inout
def team_stadium(team: str) -> str:
    """The name of a football team's home stadium."""
    return "Park Lane"


@inout
def boat_owner(boat: str) -> str:
    """Look up who owns a boat; returns the owner's name."""
    return "Ada Quist"


@inout
def owner_boats(owner: str) -> int:
    """How many boats a person owns."""
    return 4


@pytest.mark.parametrize(
    ("plan", "question", "tools", "fixed"),
    [
        (
            's1: author_age(author="Dune")',
            "How old is the author who wrote Dune?",
            [book_author, author_age],
            's1: book_author(book="Dune")\ns2: author_age(author=s1)',
        ),
        (
            's1: maker_revenue(maker="Zephyr")',
            "What is the revenue of the company that makes the Zephyr?",
            [console_maker, maker_revenue],
            's1: console_maker(console="Zephyr")\ns2: maker_revenue(maker=s1)',
        ),
        (
            's1: team_stadium(team="Shield Cup")',
            "Where does the team which has won the Shield Cup play?",
            [cup_winner, team_stadium],
            's1: cup_winner(cup="Shield Cup")\ns2: team_stadium(team=s1)',
        ),
        (  # the clause without its "that"
            's1: maker_revenue(maker="Zephyr")',
            "What is the revenue of the company the Zephyr console comes from?",
            [console_maker, maker_revenue],
            's1: console_maker(console="Zephyr")\ns2: maker_revenue(maker=s1)',
        ),
        (  # a plain noun ("firm", "person"): the clause's verb names the look-up
            's1: maker_revenue(maker="Zephyr")',
            "What is the revenue of the firm that makes the Zephyr?",
            [console_maker, maker_revenue],
            's1: console_maker(console="Zephyr")\ns2: maker_revenue(maker=s1)',
        ),
        (
            's1: owner_boats(owner="Grey Heron")',
            "How many boats does the person who owns the Grey Heron own?",
            [boat_owner, owner_boats],
            's1: boat_owner(boat="Grey Heron")\ns2: owner_boats(owner=s1)',
        ),
    ],
)
def test_the_look_up_the_clause_asks_for_is_added(
    plan: str, question: str, tools: list[BaseTool], fixed: str
) -> None:
    parsed = parse_plan(plan)
    assert skipped_lookups(parsed, question, tools)
    out = refitted(parsed, question, tools)
    assert out is not None
    assert out.render() == fixed


def test_a_name_asked_about_itself_is_left_alone() -> None:
    plan = parse_plan('s1: maker_revenue(maker="Zephyr")')
    tools = [console_maker, maker_revenue]
    assert skipped_lookups(plan, "What is the revenue of Zephyr?", tools) == []
    # Neither the clause's noun nor its verb is anything a tool returns or does.
    question = "What is the revenue of the firm that sells the Zephyr?"
    assert skipped_lookups(plan, question, tools) == []
    # No verb after the name: "the company the Zephyr" is no clause.
    assert skipped_lookups(plan, "What is the company the Zephyr revenue?", tools) == []


@inout
def hall_head(hall: str) -> str:
    """Look up who leads a concert hall; returns the person's name."""
    return "Ada Moss"


@inout
def concerts_given(conductor: str) -> int:
    """Look up how many concerts a conductor has given."""
    return 40


def test_a_look_up_said_by_its_verb_alone_is_added() -> None:
    question = "How many concerts has whoever leads Elm Hall given?"
    plan = parse_plan('s1: concerts_given(conductor="Elm Hall")')
    tools = [hall_head, concerts_given]
    (doubt,) = fit_doubts(plan, question, tools)
    assert 'asks for whoever leads "Elm Hall"' in doubt
    fixed = refitted(plan, question, tools)
    assert fixed is not None
    assert fixed.render() == 's1: hall_head(hall="Elm Hall")\ns2: concerts_given(conductor=s1)'
    right = parse_plan('s1: hall_head(hall="Elm Hall")\ns2: concerts_given(conductor=s1)')
    assert fit_doubts(right, question, tools) == []

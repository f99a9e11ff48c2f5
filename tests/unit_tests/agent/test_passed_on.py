"""A look-up's result passed on where the name it looked up belongs (`agent.passed_on`)."""

from __future__ import annotations

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.passed_on import passed_on, with_names_kept
from langchain_llmorch.agent.refit import refitted
from langchain_llmorch.agent.tool_fit import fit_doubts


@inout
def play_director(play: str) -> str:
    """Look up who directs a play; returns the director's name."""
    return "Tobin Achter"


@inout
def play_minutes(play: str) -> int:
    """Look up how many minutes a play runs."""
    return 110


@inout
def director_awards(director: str) -> int:
    """Look up how many awards a director has won."""
    return 3


@inout
def sister_city(city: str) -> str:
    """Look up a city's twin; returns the sister city's name."""
    return "Lyon"


@inout
def city_population(city: str) -> int:
    """Look up how many people live in a city."""
    return 500_000


TOOLS = [play_director, play_minutes, director_awards, sister_city, city_population]
QUESTION = "Who directs The Copper Bell, and how many minutes does it run?"


def test_a_director_passed_as_the_play_is_doubted_and_given_the_play() -> None:
    for reference in ("s1", '"{s1}"'):
        plan = parse_plan(
            f's1: play_director(play="The Copper Bell")\ns2: play_minutes(play={reference})'
        )
        assert [(c.id, a, r, n) for c, a, r, n in passed_on(plan, TOOLS)] == [
            ("s2", "play", "s1", "The Copper Bell")
        ]
        assert any("which is no play" in d for d in fit_doubts(plan, QUESTION, TOOLS))
        fixed = refitted(plan, QUESTION, TOOLS)
        assert fixed is not None
        assert fixed.calls[1].kwargs == {"play": "The Copper Bell"}


def test_a_result_passed_on_to_what_it_names_stays() -> None:
    # The director's name to a director argument: the chain the question asks.
    chain = parse_plan('s1: play_director(play="X")\ns2: director_awards(director=s1)')
    assert passed_on(chain, TOOLS) == []
    # A city's twin is a city: its result is one.
    twin = parse_plan('s1: sister_city(city="Paris")\ns2: city_population(city=s1)')
    assert passed_on(twin, TOOLS) == []
    assert with_names_kept(twin, TOOLS) is None


def test_only_a_reference_alone_is_read() -> None:
    # A text around the reference, or a number: not a name passed on.
    plan = parse_plan('s1: play_director(play="X")\ns2: play_minutes(play="{s1} revival")')
    assert passed_on(plan, TOOLS) == []

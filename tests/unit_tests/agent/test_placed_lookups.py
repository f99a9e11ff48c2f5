"""A look-up skipped where the question names the role in words no tool uses
("the person in charge at Elm Park"): `tool_fit.lookups`' place fallback."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_llmorch import inout, parse_plan
from langchain_llmorch.agent.refit import refitted
from langchain_llmorch.agent.tool_fit import fit_doubts
from langchain_llmorch.agent.words import content_words


@inout
def head_teacher(school: str) -> str:
    """Look up who leads a school; returns the head teacher's name."""
    return "Ada Moss"


@inout
def teacher_years(teacher: str) -> int:
    """Look up how many years a teacher has taught."""
    return 21


@inout
def school_pupils(school: str) -> int:
    """Look up how many pupils a school has."""
    return 410


@inout
def featured_film(cinema: str) -> str:
    """Look up the film a cinema has on tonight; returns the film's name."""
    return "Silver Tide"


@inout
def film_runtime(film: str) -> int:
    """Look up how many minutes a film runs."""
    return 96


SCHOOLS = [head_teacher, teacher_years, school_pupils]


def test_a_role_asked_at_a_place_is_looked_up_first() -> None:
    question = "How many years has the person in charge at Elm Park taught?"
    plan = parse_plan('s1: teacher_years(teacher="Elm Park")')
    (doubt,) = fit_doubts(plan, question, SCHOOLS)
    assert "head_teacher looks that up" in doubt
    fixed = refitted(plan, question, SCHOOLS)
    assert fixed is not None
    assert fixed.render() == 's1: head_teacher(school="Elm Park")\ns2: teacher_years(teacher=s1)'


@pytest.mark.parametrize(
    ("plan", "question", "tools"),
    [
        # what is asked of the place is the call's own ("pupils")
        ('s1: school_pupils(school="Elm Park")', "How many pupils are in Elm Park?", SCHOOLS),
        # a name asked with "of", not at a place: the film itself
        (
            's1: film_runtime(film="Silver Tide")',
            "How many minutes do 3 showings of Silver Tide take?",
            [featured_film, film_runtime],
        ),
        # a tool that takes the name is no finder of it ("school" is head_teacher's argument)
        ('s1: school_pupils(school="Elm Park")', "Count the pupils at Elm Park.", SCHOOLS),
    ],
)
def test_a_right_plan_is_not_doubted(plan: str, question: str, tools: list[Any]) -> None:
    assert fit_doubts(parse_plan(plan), question, tools) == []


@pytest.mark.parametrize(
    ("word", "noun"),
    [
        ("shallower", "depth"),
        ("deepest", "depth"),
        ("bigger", "size"),
        ("pricier", "price"),
        ("further", "distance"),
        ("younger", "age"),
        ("coldest", "temperature"),
    ],
)
def test_comparatives_and_superlatives_ask_for_their_measure(word: str, noun: str) -> None:
    assert noun in content_words(f"Which is {word}?")

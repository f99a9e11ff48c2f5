"""Comparisons a question asks (`agent.comparatives`): either-or questions, and answers
that only name a pick."""

from __future__ import annotations

import pytest

from langchain_llmorch import parse_plan
from langchain_llmorch.agent.comparatives import asked_comparative
from langchain_llmorch.agent.comparisons import (
    contradicted_comparisons,
    correct_comparisons,
    orderings,
    unanswered_comparisons,
)

CAT, FERRET = parse_plan('s1: weight(animal="cat")\ns2: weight(animal="ferret")').calls
WEIGHTS = {"s1": (CAT, 4.5), "s2": (FERRET, 1.1)}
LIGHTER = "Which is lighter as an adult, a cat or a ferret?"


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("Is petrol cheaper in Spain or in Poland?", "cheaper"),
        ("Does the Cresta or the Sorel use more fuel?", "more"),
        ("Are the Alps higher than the Andes, or lower?", "higher"),
        ("Is petrol cheaper in Spain than it was?", None),  # no "or": no choice asked
        ("How much cheaper is petrol in Spain?", None),
    ],
)
def test_an_either_or_question_asks_a_comparison(question: str, word: str | None) -> None:
    assert asked_comparative(question) == word


def test_an_either_or_comparison_left_unmade_is_stated_as_asked() -> None:
    spain, poland = parse_plan('s1: petrol(country="Spain")\ns2: petrol(country="Poland")').calls
    numeric = {"s1": (spain, 1.6), "s2": (poland, 1.45)}
    question = "Is petrol cheaper in Spain or in Poland?"
    assert unanswered_comparisons(question, "Spain: 1.6 Poland: 1.45", numeric) == [
        "the results say Poland (1.45) is cheaper than Spain (1.6)"
    ]
    assert orderings(question, numeric) == ["Poland (1.45) is cheaper than Spain (1.6)"]


@pytest.mark.parametrize(
    "said",
    ["The answer is cat.", "Answer: the cat.", "Cat.", 'The answer is "cat", at 4.5 kg.'],
)
def test_an_answer_that_only_names_the_wrong_pick_is_contradicted(said: str) -> None:
    assert contradicted_comparisons(said, WEIGHTS, LIGHTER) == [
        "the results say ferret (1.1) is lighter than cat (4.5)"
    ]
    assert correct_comparisons(said, WEIGHTS, LIGHTER) == (
        "The results say ferret (1.1) is lighter than cat (4.5)."
    )


@pytest.mark.parametrize(
    ("said", "question"),
    [
        ("The answer is ferret.", LIGHTER),  # the right pick
        ("The answer is cat.", "What do a cat and a ferret weigh?"),  # no comparison asked
        ("The answer is cat or ferret.", LIGHTER),  # names no one pick
        ("The answer is catnip.", LIGHTER),  # a word that starts with a name is not it
    ],
)
def test_a_right_pick_or_no_pick_is_no_contradiction(said: str, question: str) -> None:
    assert contradicted_comparisons(said, WEIGHTS, question) == []


def test_an_answer_that_names_its_pick_makes_the_comparison_asked() -> None:
    assert unanswered_comparisons(LIGHTER, "The answer is ferret.", WEIGHTS) == []


@pytest.mark.parametrize(
    ("plan", "values", "question", "said"),
    [
        (  # less fuel is more efficient: "more" is not the larger number here
            's1: fuel_use(model="Cresta")\ns2: fuel_use(model="Sorel")',
            (5.5, 7.0),
            "Which car is more efficient, the Cresta or the Sorel?",
            "The Cresta.",
        ),
        (  # fewer hours is faster
            's1: trip_hours(train="Aldora")\ns2: trip_hours(train="Dunmere")',
            (3.0, 5.0),
            "Which train is faster, the Aldora or the Dunmere?",
            "The answer is Aldora.",
        ),
    ],
)
def test_a_pick_whose_comparative_may_mean_the_smaller_number_is_no_claim(
    plan: str, values: tuple[float, float], question: str, said: str
) -> None:
    one, two = parse_plan(plan).calls
    numeric = {"s1": (one, values[0]), "s2": (two, values[1])}
    assert contradicted_comparisons(said, numeric, question) == []
    assert correct_comparisons(said, numeric, question) == said


def test_a_long_run_of_spaces_is_read_at_once() -> None:
    said = "Poland" + " \n" * 3000 + "x"
    assert contradicted_comparisons(said, WEIGHTS, "Is the cat or the ferret lighter?") == []


def test_a_yes_or_no_comparison_with_than_is_asked_and_answered() -> None:
    from langchain_llmorch import parse_plan
    from langchain_llmorch.agent.comparisons import unanswered_comparisons

    a, b = parse_plan('s1: price(play="Orla")\ns2: price(play="Pim")').calls
    numeric = {"s1": (a, 42.0), "s2": (b, 36.5)}
    question = "Is a seat at Orla pricier than one at Pim?"
    said = "A seat at Orla costs 42.0 and one at Pim 36.5."
    assert unanswered_comparisons(question, said, numeric) == [
        "the results say Orla (42.0) is larger than Pim (36.5)"
    ]
    assert unanswered_comparisons(question, "Yes: Orla is pricier than Pim.", numeric) == []


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("Which has the poorer ore, Wenlow or Tessaly?", "poorer"),
        ("Whose milk is richer, A's or B's?", "richer"),
        ("Which star is the brightest?", "brightest"),
        ("Is Caldwick lower than Ferrow Ridge?", "lower"),
    ],
)
def test_graded_words_of_quality_ask_comparisons(question: str, word: str) -> None:
    assert asked_comparative(question) == word


def test_a_comparison_said_of_values_alone_does_not_say_which_subject() -> None:
    low, high = parse_plan('s1: altitude(site="Caldwick")\ns2: altitude(site="Ferrow Ridge")').calls
    numeric = {"s1": (low, 1275), "s2": (high, 2615)}
    question = "Is Caldwick lower than Ferrow Ridge?"
    truth = ["the results say Caldwick (1275) is smaller than Ferrow Ridge (2615)"]
    said = "The largest number is 2615, and the smallest number is 1275."
    assert unanswered_comparisons(question, said, numeric) == truth
    assert unanswered_comparisons(question, "Yes, Caldwick is lower (1275 m).", numeric) == []


def test_a_poorer_pick_is_held_against_the_results() -> None:
    wenlow, tessaly = parse_plan('s1: grade(mine="Wenlow")\ns2: grade(mine="Tessaly")').calls
    numeric = {"s1": (wenlow, 1.8), "s2": (tessaly, 3.6)}
    question = "Which has the poorer ore, Wenlow or Tessaly?"
    assert contradicted_comparisons("Tessaly has the poorer ore.", numeric, question)
    assert contradicted_comparisons("Wenlow has the poorer ore.", numeric, question) == []
    assert orderings(question, numeric) == ["Wenlow (1.8) is poorer than Tessaly (3.6)"]


def test_a_value_claim_answers_where_the_answer_names_the_value_s_subject() -> None:
    a, b, c = parse_plan("s1: angle(scene=1)\ns2: angle(scene=2)\ns3: angle(scene=5)").calls
    numeric = {"s1": (a, 30.71), "s2": (b, 25.32), "s3": (c, 25.36)}
    question = "Get the steering angles of scenes 1, 2 and 5, then say which one is the largest."
    said = (
        "The steering angles of scenes 1, 2 and 5 are 30.71, 25.32, and 25.36, respectively. "
        "The largest steering angle is 30.71."
    )
    assert unanswered_comparisons(question, said, numeric) == []
    assert unanswered_comparisons(question, "The largest steering angle is 30.71.", numeric)

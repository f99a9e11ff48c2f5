"""Which result an answer calls larger (`agent/comparisons.py`), held against the results.

Written for the mutants of `agent/comparisons.py` the joiner's tests let live: which
subject a sentence's comparison is about (the name nearest before the comparative word,
else the first after it; names in any case), and how sentences are put right.
"""

from __future__ import annotations

from typing import Any

from langchain_llmorch import parse_plan
from langchain_llmorch.agent.comparisons import (
    contradicted_comparisons,
    correct_comparisons,
)


def _numeric(plan: str, values: list[float]) -> dict[str, Any]:
    calls = parse_plan(plan).calls
    return {call.id: (call, value) for call, value in zip(calls, values, strict=True)}


PAIR = _numeric('s1: height(mountain="K2")\ns2: height(mountain="Kangchenjunga")', [8611, 8586])
TRUTH = "the results say K2 (8611) is larger than Kangchenjunga (8586)"
GRAVITY = _numeric('s3: gravity(planet="Mars")\ns4: gravity(planet="Venus")', [3.72, 8.87])


def test_the_subject_is_the_name_nearest_before_the_comparative_word() -> None:
    assert contradicted_comparisons("Of K2 and Kangchenjunga, Kangchenjunga is higher.", PAIR) == [
        TRUTH
    ]
    assert contradicted_comparisons("Of Kangchenjunga and K2, K2 is higher.", PAIR) == []


def test_with_no_name_before_the_word_the_subject_is_the_first_after_it() -> None:
    assert contradicted_comparisons("Higher is Kangchenjunga, not K2.", PAIR) == [TRUTH]
    assert contradicted_comparisons("Higher is K2, not Kangchenjunga.", PAIR) == []


def test_names_are_found_in_any_case() -> None:
    assert contradicted_comparisons("kangchenjunga is higher than k2.", PAIR) == [TRUTH]
    assert contradicted_comparisons("KANGCHENJUNGA is lower than K2.", PAIR) == []


def test_of_names_that_start_at_one_place_the_longest_is_the_subject() -> None:
    # Regression: "K2" and "K2 West" both start where the sentence does; the claim was
    # read as one about K2, so a wrong answer passed and a right one was put "right".
    two = _numeric('s1: height(mountain="K2")\ns2: height(mountain="K2 West")', [8611, 7900])
    assert contradicted_comparisons("K2 West is higher than K2.", two) == [
        "the results say K2 (8611) is larger than K2 West (7900)"
    ]
    assert contradicted_comparisons("K2 West is lower than K2.", two) == []
    assert contradicted_comparisons("Of the two, K2 West is the highest.", two)


def test_a_sentence_wrong_about_two_groups_is_put_right_in_two_sentences() -> None:
    numeric = {**PAIR, **GRAVITY}
    said = "Kangchenjunga is higher and Mars has the stronger gravity. Both were looked up."
    assert correct_comparisons(said, numeric) == (
        "The results say K2 (8611) is larger than Kangchenjunga (8586). "
        "The results say Venus (8.87) is larger than Mars (3.72). Both were looked up."
    )


THREE = _numeric(
    's1: height(mountain="K2")\ns2: height(mountain="Kangchenjunga")\n'
    's3: height(mountain="Denali")',
    [8611, 8586, 6190],
)
RANKED = "the results say, from largest to smallest: K2 (8611), Kangchenjunga (8586), Denali (6190)"


def test_a_not_before_a_smaller_word_turns_it_into_a_larger_claim() -> None:
    assert contradicted_comparisons("Kangchenjunga is not lower than K2.", PAIR) == [TRUTH]
    assert contradicted_comparisons("K2 is not lower than Kangchenjunga.", PAIR) == []


def test_a_comparison_is_with_the_others_it_names_else_with_the_rest() -> None:
    assert contradicted_comparisons("Kangchenjunga is higher than Denali.", THREE) == []
    assert contradicted_comparisons("Kangchenjunga is higher.", THREE) == [RANKED]


def test_a_superlative_is_with_all_the_rest_even_when_others_are_named() -> None:
    assert contradicted_comparisons("Kangchenjunga is the highest, above Denali.", THREE) == [
        RANKED
    ]
    assert contradicted_comparisons("K2 is the highest, above Denali.", THREE) == []
    assert contradicted_comparisons("Denali is the lowest, below Kangchenjunga.", THREE) == []


def test_a_value_equal_to_another_is_neither_larger_nor_smaller() -> None:
    tie = _numeric(
        's1: height(mountain="A")\ns2: height(mountain="B")\ns3: height(mountain="C")',
        [5, 5, 3],
    )
    truth = "the results say, from largest to smallest: A (5), B (5), C (3)"
    assert contradicted_comparisons("A is higher than B.", tie) == [truth]
    assert contradicted_comparisons("B is lower than A.", tie) == [truth]
    assert contradicted_comparisons("A is higher than C.", tie) == []


def test_every_group_a_sentence_speaks_of_is_held_to_its_results() -> None:
    numeric = {**PAIR, **GRAVITY}
    gravity = "the results say Venus (8.87) is larger than Mars (3.72)"
    # The heights come first and are not named: the gravity claim is still read.
    assert contradicted_comparisons("Mars has the stronger gravity.", numeric) == [gravity]
    # The heights' claim holds: the gravity claim after it is still read.
    assert contradicted_comparisons("K2 is higher and Mars has more gravity.", numeric) == [gravity]

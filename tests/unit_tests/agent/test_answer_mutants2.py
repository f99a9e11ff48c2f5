"""The answer's side of a plan (`agent/answer.py`): which numbers an answer must write.

Written for the mutants of `agent/answer.py` the joiner's tests let live: the plan the
coordinator runs, the numbers a result holds (short texts only, containers walked, no
infinities), what counts as writing a number (rounded to the decimals shown, thousands
commas, any of several numbers in the text), and which results an answer leaves out.
"""

from __future__ import annotations

import pytest

from langchain_llmorch import parse_plan
from langchain_llmorch.agent.answer import (
    MAX_LISTED_RESULTS,
    answer_steps,
    holds_results,
    mentions,
    missing_results,
    model_words,
    numbers_of,
    runnable_plan,
)


def test_the_plan_that_runs_is_the_plan_without_its_answer_steps_and_reads_as_such() -> None:
    plan = parse_plan(
        's1: f(x=1)\ns2: self(prompt="half of {s1}")\ns3: g(e=s2)\ns4: self(prompt="say {s3}")'
    )
    assert answer_steps(plan) == ("s4",)
    runs = runnable_plan(plan, answer_steps(plan))
    assert [c.id for c in runs.calls] == ["s1", "s2", "s3"]
    # Its text is its calls, one a line: parsing it again gives the same calls.
    assert runs.source == runs.render()
    assert [c.render() for c in parse_plan(runs.source).calls] == [c.render() for c in runs]
    assert runnable_plan(plan, ()) is plan


def test_the_numbers_of_a_result_are_found_inside_containers() -> None:
    result = {"a": 1, "b": [2.5, "3 and 4"], "c": ("5",), "d": None, "e": True}
    assert numbers_of(result) == [1.0, 2.5, 3.0, 4.0, 5.0]


def test_only_a_short_text_is_read_for_numbers() -> None:
    text = "7 " + "x" * 198
    assert len(text) == 200
    assert numbers_of(text) == [7.0]
    assert numbers_of(text + "x") == []


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 10**400])
def test_a_result_no_one_can_write_out_asks_for_no_number(value: object) -> None:
    assert numbers_of(value) == []
    assert holds_results("No number here.", {"s1": value})
    assert missing_results("No number here.", {"s1": value}) == {}
    # Beside a number that is written, it is not counted as left out either.
    assert missing_results("It is 2.", {"s1": value, "s2": 2}) == {}


def test_a_number_is_written_when_rounded_to_the_decimals_shown() -> None:
    assert mentions("1,234.5 km", 1234.5)
    assert not mentions("1,234.5 km", 1234.3)  # one decimal shown: 1234.3 is not 1234.5
    assert mentions("3.10 m", 3.104)
    assert not mentions("3.10 m", 3.106)
    # A large value may be written without its decimals; a small one may not.
    assert mentions("522,250 people", 522250.4)
    assert mentions("about 100 km", 100.4)
    assert not mentions("about 24 degrees", 24.04)
    assert not mentions("about 100 km", 99.6)


@pytest.mark.parametrize(
    ("value", "down", "up"),
    [(2.675, "2.67", "2.68"), (3.15, "3.1", "3.2"), (0.125, "0.12", "0.13")],
)
def test_a_value_at_the_half_is_written_rounded_either_way(
    value: float, down: str, up: str
) -> None:
    # 2.675 is stored as 2.67499999...: Python writes it 2.67, a person 2.68.
    assert f"{value:.{len(down) - 2}f}" == down
    assert mentions(f"It is {down}.", value)
    assert mentions(f"It is {up}.", value)


def test_any_of_the_numbers_written_may_be_the_mention() -> None:
    # "24" does not write 24.1, but the text goes on and writes it.
    assert mentions("between 24 and 24.1 degrees", 24.1)
    assert not mentions("between 24 and 25 degrees", 24.1)


def test_the_models_words_never_hold_a_results_note() -> None:
    added = "Cairo is warmer.\n\n(Results: a = 1.)"
    assert model_words(added) == "Cairo is warmer."
    # A model that copied an earlier turn's note: its words end before the first note.
    copied = "Cairo is warmer.\n\n(Results: a = 1.)\n\n(Results: b = 2.)"
    assert model_words(copied) == "Cairo is warmer."


def test_past_the_listed_results_every_number_left_out_is_still_missing() -> None:
    many = {f"r{i}": 10 + i for i in range(MAX_LISTED_RESULTS + 1)}
    # The answer writes a number of a text result, none of the numeric ones.
    results = {**many, "note": "7 days"}
    assert missing_results("It took 7 days.", results) == many
    assert missing_results("It took 7 days; the first was 10.", results) == {}


def test_only_numbers_are_results_to_write_not_flags_or_texts() -> None:
    results = {"open": True, "temp": -3.5, "sky": "sunny 3 days", "big": 10**400}
    assert missing_results("Oslo: -3.5, sunny for 3 days.", results) == {}
    assert missing_results("Sunny for 3 days.", results) == {"temp": -3.5}

"""Answers whose claims hold: comparisons, computed amounts, and numbers held to the results.

With `check_answers` (the embedded model's default), the joiner sends an answer back once
when it gets a comparison the wrong way round, leaves out the amount it was computed, or
states a number nothing supports; a comparison still wrong after that is put right.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.claims import (
    unsupported_numbers,
    without_unsupported,
)
from langchain_llmorch.agent.comparisons import (
    contradicted_comparisons,
    correct_comparisons,
)
from langchain_llmorch.agent.facts import one_step, products, shown
from langchain_llmorch.agent.prompts import joiner_messages
from langchain_llmorch.testing import ScriptedChatModel, request_kind

HEIGHTS = {"K2": 8611, "Kangchenjunga": 8586, "Denali": 6190}
FACTORS = {"mile": 1.609344, "gallon": 3.785411784}


@inout
def height(mountain: str) -> int:
    """The height of a mountain, in metres."""
    return HEIGHTS[mountain]


@inout
def factor(unit: str) -> float:
    """How many metric units one unit makes."""
    return FACTORS[unit]


def _numeric(plan: str, values: list[float]) -> dict[str, Any]:
    calls = parse_plan(plan).calls
    return {call.id: (call, value) for call, value in zip(calls, values, strict=True)}


PAIR = _numeric('s1: height(mountain="K2")\ns2: height(mountain="Kangchenjunga")', [8611, 8586])


# --------------------------------------------------------------------------- comparisons


@pytest.mark.parametrize(
    "answer",
    [
        "Kangchenjunga is higher than K2.",
        "K2 is lower than Kangchenjunga, at 8611 against 8586 metres.",
        "Of the two, Kangchenjunga is the highest.",
        "K2 is 8611 metres. The higher one is 8586.",
        "K2 is not higher than Kangchenjunga.",
    ],
)
def test_a_comparison_the_results_contradict_is_found(answer: str) -> None:
    assert contradicted_comparisons(answer, PAIR) == [
        "the results say K2 (8611) is larger than Kangchenjunga (8586)"
    ]


@pytest.mark.parametrize(
    "answer",
    [
        "K2 is higher than Kangchenjunga.",
        "Kangchenjunga (8586 m) is lower than K2 (8611 m).",
        "The higher one is K2, at 8611 metres.",
        "K2 is 8611 metres high and Kangchenjunga 8586 metres.",
    ],
)
def test_a_comparison_that_holds_or_none_at_all_is_left_alone(answer: str) -> None:
    assert contradicted_comparisons(answer, PAIR) == []


def test_three_results_are_ranked_and_numbers_can_be_names() -> None:
    three = _numeric(
        's1: height(mountain="K2")\ns2: height(mountain="Denali")\n'
        's3: height(mountain="Kangchenjunga")',
        [8611, 6190, 8586],
    )
    assert contradicted_comparisons("Denali is the tallest.", three) == [
        "the results say, from largest to smallest: K2 (8611), Kangchenjunga (8586), Denali (6190)"
    ]
    counts = _numeric("s1: divisors(n=360)\ns2: divisors(n=840)", [24, 32])
    assert contradicted_comparisons("360 has more divisors than 840.", counts)
    assert not contradicted_comparisons("840 has more divisors than 360.", counts)
    # different tools are not compared with each other
    mixed = _numeric('s1: height(mountain="K2")\ns2: factor(unit="mile")', [8611, 1.6])
    assert contradicted_comparisons("The mile is higher than K2.", mixed) == []


def test_a_wrong_comparison_is_put_right_sentence_by_sentence() -> None:
    said = "Both were looked up. Kangchenjunga is higher than K2."
    assert correct_comparisons(said, PAIR) == (
        "Both were looked up. The results say K2 (8611) is larger than Kangchenjunga (8586)."
    )


# --------------------------------------------------------------------------- computed values


def test_an_amount_the_question_gives_is_multiplied_by_the_rate_named_next_to_it() -> None:
    numeric = _numeric('s1: factor(unit="gallon")\ns2: height(mountain="K2")', [3.785411784, 8611])
    (fact,) = products("How many litres are 15 gallons, and how high is K2?", numeric)
    assert fact.value == pytest.approx(56.78117676)
    assert fact.text == 'factor(unit="gallon") x 15 = 3.785411784 x 15 = 56.78'


def test_an_amount_of_nothing_a_call_looked_up_is_not_multiplied() -> None:
    numeric = _numeric('s1: height(mountain="Kilimanjaro")', [5895])
    assert products("How many litres are 15 gallons, and how high is Kilimanjaro?", numeric) == []


def test_numbers_used_by_calls_ordinals_and_names_are_not_amounts() -> None:
    numeric = _numeric('s1: height(mountain="K2")', [8611])
    assert products("How high is K2, the 2nd highest mountain?", numeric) == []
    numeric = _numeric("s1: divisors(n=360)", [24])
    assert products("How many divisors does 360 have?", numeric) == []


def test_a_folded_step_of_one_operation_is_computed() -> None:
    fact = one_step("24.79 * 70")
    assert fact is not None
    assert fact.value == pytest.approx(1735.3)
    assert one_step("10 / 0") is None
    assert one_step("Answer from 24.79 and 70") is None
    assert [shown(v) for v in (42.1648128, 0.020134, 1735.3, 5.0)] == [
        "42.16",
        "0.02013",
        "1735.3",
        "5",
    ]


def test_a_computed_value_supports_the_number_an_answer_states() -> None:
    assert unsupported_numbers("That is 56.78 litres.", [3.785411784], "15 gallons?") == ["56.78"]
    said = "That is 56.78 litres."
    assert unsupported_numbers(said, [3.785411784], "15 gallons?", computed=[56.78117676]) == []


def test_the_joiner_is_shown_the_computed_values_and_the_pair_compared() -> None:
    messages = joiner_messages(
        [("user", "Which is higher?")],  # type: ignore[list-item]
        {'height(mountain="K2")': 8611, 'height(mountain="Denali")': 6190},  # type: ignore[dict-item]
        facts=["x = 1 x 2 = 2"],
    )
    text = messages[-1].text
    assert 'Largest: height(mountain="K2") = 8611. Smallest: height(mountain="Denali")' in text
    assert "- x = 1 x 2 = 2" in text


# --------------------------------------------------------------------------- the joiner


class Answers:
    """Plans `plan`, then answers with each of `answers` in turn (the last one repeats)."""

    def __init__(self, plan: str, *answers: str) -> None:
        self.plan, self.answers = plan, list(answers)
        self.joins: list[str] = []

    def __call__(self, messages: list[BaseMessage]) -> str:
        if request_kind(messages) in {"plan", "repair"}:
            return self.plan
        self.joins.append(messages[-1].text)
        return self.answers[min(len(self.joins), len(self.answers)) - 1]


def _agent(script: Answers, *, check: bool | None = True, **options: Any) -> Any:
    return create_llmorch_agent(
        ScriptedChatModel(script, **options),
        [height, factor],
        check_answers=check,
        append_results=False,
    )


MOUNTAINS = 's1: height(mountain="K2")\ns2: height(mountain="Kangchenjunga")'


def test_a_wrong_comparison_goes_back_once_with_the_truth_stated() -> None:
    script = Answers(
        MOUNTAINS,
        "Kangchenjunga (8586) is higher than K2 (8611).",
        "K2 (8611 m) is higher than Kangchenjunga (8586 m).",
    )
    out = _agent(script).invoke({"messages": [("user", "Which is higher, K2 or Kangchenjunga?")]})
    assert out["messages"][-1].text == "K2 (8611 m) is higher than Kangchenjunga (8586 m)."
    assert len(script.joins) == 2
    assert "K2 (8611) is larger than Kangchenjunga (8586)" in script.joins[1]


def test_a_comparison_wrong_twice_is_put_right() -> None:
    wrong = "Kangchenjunga (8586) is higher than K2 (8611)."
    script = Answers(MOUNTAINS, wrong)
    out = _agent(script).invoke({"messages": [("user", "Which is higher, K2 or Kangchenjunga?")]})
    assert out["messages"][-1].text == (
        "The results say K2 (8611) is larger than Kangchenjunga (8586)."
    )
    assert len(script.joins) == 2


def test_an_answer_without_the_computed_amount_goes_back_once() -> None:
    plan = 's1: factor(unit="mile")'
    script = Answers(plan, "One mile is 1.609344 kilometres.", "26.2 miles are 42.16 km.")
    out = _agent(script).invoke({"messages": [("user", "How many km are 26.2 miles?")]})
    assert out["messages"][-1].text == "26.2 miles are 42.16 km."
    assert 'factor(unit="mile") x 26.2 = 1.609344 x 26.2 = 42.16' in script.joins[0]
    assert "does not state the computed value" in script.joins[1]


def test_without_answer_checks_a_wrong_comparison_stays_the_models_words() -> None:
    wrong = "Kangchenjunga (8586) is higher than K2 (8611)."
    script = Answers(MOUNTAINS, wrong)
    out = _agent(script, check=False).invoke({"messages": [("user", "Which is higher?")]})
    assert out["messages"][-1].text == wrong
    assert len(script.joins) == 1


WRONG = "Kangchenjunga (8586) is higher than K2 (8611)."


def test_answer_checks_are_their_own_switch_not_the_plan_checks() -> None:
    script = Answers(MOUNTAINS, WRONG)
    agent = create_llmorch_agent(
        ScriptedChatModel(script), [height], check_plans=True, check_answers=False
    )
    out = agent.invoke({"messages": [("user", "Which is higher?")]})
    assert out["messages"][-1].text.startswith(WRONG)
    assert len(script.joins) == 1
    script = Answers(MOUNTAINS, WRONG)
    agent = create_llmorch_agent(
        ScriptedChatModel(script), [height], check_plans=False, check_answers=True
    )
    agent.invoke({"messages": [("user", "Which is higher?")]})
    assert len(script.joins) == 2


@pytest.mark.parametrize("embedded", [True, False])
def test_answer_checks_default_to_on_for_the_embedded_model_only(*, embedded: bool) -> None:
    from langchain_llmorch.local.server import EMBEDDED_MARK

    script = Answers(MOUNTAINS, WRONG)
    metadata = {EMBEDDED_MARK: "qwen"} if embedded else {}
    _agent(script, check=None, metadata=metadata).invoke(
        {"messages": [("user", "Which is higher, K2 or Kangchenjunga?")]}
    )
    assert len(script.joins) == (2 if embedded else 1)


def test_a_right_answer_costs_one_request() -> None:
    script = Answers(MOUNTAINS, "K2 (8611 m) is higher than Kangchenjunga (8586 m).")
    _agent(script).invoke({"messages": [("user", "Which is higher, K2 or Kangchenjunga?")]})
    assert len(script.joins) == 1


def test_an_answer_that_leaves_a_result_out_goes_back_once() -> None:
    script = Answers(
        MOUNTAINS, "K2 is higher.", "K2 (8611 m) is higher than Kangchenjunga (8586 m)."
    )
    out = _agent(script).invoke({"messages": [("user", "Which is higher, K2 or Kangchenjunga?")]})
    assert out["messages"][-1].text == "K2 (8611 m) is higher than Kangchenjunga (8586 m)."
    assert (
        'leaves out height(mountain="K2") = 8611; height(mountain="Kangchenjunga") = 8586'
        in (script.joins[1])
    )


@pytest.mark.parametrize(
    ("plan", "question", "doubted"),
    [
        ('s1: factor(unit="gallon")', "How many litres are 15 gallons?", False),
        ('s1: factor(unit="mile")', "A run of 26.2 miles: how many km?", False),
        ('s1: height(mountain="K2")', "Count to 5000, and how high is K2?", True),
        ('s1: height(mountain="K2")', "How high are K2 and 8000?", True),
    ],
)
def test_an_amount_of_something_a_call_looks_up_is_no_doubt(
    plan: str, question: str, *, doubted: bool
) -> None:
    from langchain_llmorch.agent.checks import plan_doubts

    doubts = plan_doubts(parse_plan(plan), question, {}, question=question)
    assert bool(doubts) is doubted


def test_a_comparison_asked_and_not_made_goes_back_once_with_the_truth_stated() -> None:
    script = Answers(
        MOUNTAINS,
        "K2 is 8611 metres high. Kangchenjunga is 8586 metres high.",
        "K2 (8611 m) is higher than Kangchenjunga (8586 m).",
    )
    out = _agent(script).invoke({"messages": [("user", "Which is higher, K2 or Kangchenjunga?")]})
    assert out["messages"][-1].text == "K2 (8611 m) is higher than Kangchenjunga (8586 m)."
    assert "does not make the comparison asked: the results say K2 (8611)" in script.joins[1]


def test_no_comparison_is_asked_for_when_the_question_asks_none() -> None:
    from langchain_llmorch.agent.comparisons import unanswered_comparisons

    said = "K2 is 8611 metres high. Kangchenjunga is 8586 metres high."
    assert unanswered_comparisons("How high are K2 and Kangchenjunga?", said, PAIR) == []
    assert unanswered_comparisons("Which is higher, K2 or Kangchenjunga?", said, PAIR) == [
        "the results say K2 (8611) is larger than Kangchenjunga (8586)"
    ]


@pytest.mark.parametrize("check", [True, False])
def test_with_answer_checks_the_joiner_is_shown_the_results_compared_in_words(
    *, check: bool
) -> None:
    script = Answers(MOUNTAINS, "K2 (8611 m) is higher than Kangchenjunga (8586 m).")
    _agent(script, check=check).invoke({"messages": [("user", "Which is higher?")]})
    shown_in_words = "- K2 (8611) is larger than Kangchenjunga (8586)" in script.joins[0]
    assert shown_in_words is check
    # The extremes too, for a comparison asked (with the checks, only then).
    assert "Largest: height(mountain=" in script.joins[0]


@pytest.mark.parametrize("check", [True, False])
def test_with_answer_checks_no_extremes_are_shown_for_a_total(*, check: bool) -> None:
    script = Answers(MOUNTAINS, "Together they are 17197 m high.")
    _agent(script, check=check).invoke(
        {"messages": [("user", "How high are K2 and Kangchenjunga together?")]}
    )
    # Shown the extremes beside a total, the 0.5B model called the total the largest.
    assert ("Largest: height(mountain=" in script.joins[0]) is not check


def test_a_question_that_asks_no_comparison_is_shown_none_in_words() -> None:
    script = Answers(MOUNTAINS, "K2 is 8611 m high and Kangchenjunga 8586 m.")
    _agent(script).invoke({"messages": [("user", "How high are K2 and Kangchenjunga?")]})
    assert "is larger than" not in script.joins[0]


@pytest.mark.parametrize(
    ("said", "results", "question", "unsupported"),
    [
        ("There is 1 fish in the tank. It has 85.", [85], "How many fish live in it?", ["1"]),
        ("1 follower. Mira has 48200 followers.", [48200], "How many followers has Mira?", ["1"]),
        ("There are 85 fish in 1 tank.", [85], "How many fish live in it?", []),
        ("Volta: 1 person. 85: 1 person.", [85], "How many people work there?", ["1", "1"]),
        ("It takes 3 steps.", [3], "How many steps does it take?", []),
        ("There are 2 fish.", [2.0], "How many fish are there?", []),
    ],
)
def test_a_small_count_of_what_the_question_counts_must_be_a_result(
    said: str, results: list[float], question: str, unsupported: list[str]
) -> None:
    assert unsupported_numbers(said, results, question) == unsupported


def test_lines_with_an_invented_count_go_and_a_bare_number_is_no_answer() -> None:
    said = "1. Trask: 1 person\n   - Volta Works: 1 person\n   - 85: 1 person"
    question = "How many people work for the company that makes the Trask?"
    assert without_unsupported(said, [85, "Volta Works"], question) == ""
    kept = without_unsupported(
        "There is 1 fish here.\nThe tank has 85 fish.", [85], "How many fish?"
    )
    assert kept == "The tank has 85 fish."

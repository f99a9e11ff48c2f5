"""The joiner (`agent/joiner.py`): what it sends back, which of two answers it keeps.

Written for the mutants of `agent/joiner.py` the joiner's tests let live: the request
that sends an answer back names every number no result gives and every failed call the
answer leaves unnamed; of two answers with as many faults the first is kept; the folded
steps that ask for nothing in particular ask to answer the question.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.joiner import described, folded_prompt
from langchain_llmorch.runs import REQUEST_KEY
from langchain_llmorch.testing import ScriptedChatModel, planner_or, request_kind

HEIGHTS = {"K2": 8611, "Kangchenjunga": 8586}


@inout
def height(mountain: str) -> int:
    """The height of a mountain, in metres."""
    return HEIGHTS[mountain]


class Answers:
    """Plans `plan`, then answers with each of `answers` in turn (the last one repeats)."""

    def __init__(self, plan: str, *answers: str) -> None:
        self.plan, self.answers = plan, list(answers)
        self.joins: list[str] = []

    def __call__(self, messages: list[BaseMessage]) -> str:
        if request_kind(messages) in {"plan", "repair"}:
            return self.plan
        if request_kind(messages) == "recover":
            return ""
        self.joins.append(messages[-1].text)
        return self.answers[min(len(self.joins), len(self.answers)) - 1]


def _answer(script: Answers, question: str, *, check: bool) -> str:
    agent = create_llmorch_agent(
        ScriptedChatModel(script),
        [height],
        check_answers=check,
        append_results=False,
        max_recoveries=0,
    )
    out: dict[str, Any] = agent.invoke({"messages": [("user", question)]})
    return str(out["messages"][-1].text)


MOUNTAINS = 's1: height(mountain="K2")\ns2: height(mountain="Kangchenjunga")'
WHICH = "Which is higher, K2 or Kangchenjunga?"
PUT_RIGHT = "The results say K2 (8611) is larger than Kangchenjunga (8586)."


def test_of_two_answers_as_wrong_the_first_is_kept_and_put_right() -> None:
    script = Answers(
        MOUNTAINS,
        "First try. Kangchenjunga (8586) is higher than K2 (8611).",
        "Second try. Kangchenjunga (8586 m) is higher than K2 (8611 m).",
    )
    assert _answer(script, WHICH, check=True) == f"First try. {PUT_RIGHT}"
    assert len(script.joins) == 2


def test_a_second_answer_with_fewer_faults_is_kept_and_put_right() -> None:
    script = Answers(
        MOUNTAINS,
        "First try. Kangchenjunga is higher.",  # wrong, and both heights left out
        "Second try. Kangchenjunga (8586 m) is higher than K2 (8611 m).",
    )
    assert _answer(script, WHICH, check=True) == f"Second try. {PUT_RIGHT}"


def test_an_invented_value_for_a_failed_call_is_sent_back_with_what_is_wrong() -> None:
    plan = 's1: height(mountain="K2")\ns2: height(mountain="Atlantis")'
    second = "K2 is 8611 m high; the height of Atlantis is not available."
    script = Answers(plan, "K2 is 8611 m high and the other one 9000 m.", second)
    assert _answer(script, "How high are K2 and Atlantis?", check=False) == second
    sent_back = script.joins[1]
    assert "Your answer states 9000, which no result gives" in sent_back
    assert "It does not say that the result for atlantis is not available." in sent_back
    assert "For every call that failed, say that its result is not available" in sent_back


def test_a_folded_step_that_asks_nothing_in_particular_asks_for_the_answer() -> None:
    plan = parse_plan('s1: height(mountain="K2")\ns2: self()\ns3: join()\ns4: self(prompt=s1)')
    assert folded_prompt(plan, "s2", {"s1": 8611}) == "answer the question"
    assert folded_prompt(plan, "s3", {"s1": 8611}) == "answer the question"
    assert folded_prompt(plan, "s4", {"s1": 8611}) == "8611"
    assert folded_prompt(plan, "s4", {}) == "self(prompt=s1)"  # s1 has no result


PRICES = {"ACME": 182.4}


@inout
def share_price(ticker: str) -> float:
    """The last share price of a ticker symbol."""
    return PRICES[ticker]


def _joiner_requests(plan: str, recover: dict[str, str], question: str) -> list[str]:
    requests: list[str] = []

    def answer(request: str) -> str:
        requests.append(request)
        return "ACME trades at 182.4."

    model = planner_or(plan, answer, recover=recover)
    create_llmorch_agent(model, [share_price], check_answers=False).invoke(
        {"messages": [("user", question)]}
    )
    return requests


def test_the_joiner_is_told_what_recovery_looked_up_in_place_of_what_was_asked() -> None:
    (request,) = _joiner_requests(
        's1: share_price(ticker="acme")',
        {"s1": 's1: share_price(ticker="ACME")'},
        "Price of acme?",
    )
    assert (
        'In place of share_price(ticker="acme"), recovery looked up share_price(ticker="ACME").'
        in request
    )


def test_a_rewrite_that_was_refused_is_no_note_to_the_joiner() -> None:
    # ZZZZ for ACME would change what was asked: the rewrite is not kept.
    (request,) = _joiner_requests(
        's1: share_price(ticker="ACME")\ns2: share_price(ticker="ZZZZ")',
        {"s2": 's2: share_price(ticker="ACME")'},
        "Prices of ACME and ZZZZ?",
    )
    assert "recovery looked up" not in request
    assert "ZZZZ" in request  # the failed call is still shown


def test_a_call_is_shown_to_the_joiner_as_written_whatever_its_text_holds() -> None:
    (call,) = parse_plan('s1: note(text="time: 5: sharp", n=2)').calls
    assert described(call) == 'note(text="time: 5: sharp", n=2)'


THREE = MOUNTAINS + '\ns3: height(mountain="Atlantis")'


def test_a_value_invented_for_a_failed_call_never_stays_in_the_answer() -> None:
    # Regression: the second answer (a wrong comparison, no invented value) had as many
    # faults as the first (an invented value), so the first was kept, 9000 m and all.
    script = Answers(
        THREE,
        "K2 (8611 m) is higher than Kangchenjunga (8586 m); Atlantis is 9000 m.",
        "Kangchenjunga (8586 m) is higher than K2 (8611 m); Atlantis is not available.",
    )
    said = _answer(script, "How high are K2, Kangchenjunga and Atlantis?", check=True)
    assert "9000" not in said
    assert said.startswith(PUT_RIGHT)
    assert "I could not get the height for Atlantis" in said


def test_an_invented_value_answered_with_nothing_leaves_the_results_to_speak() -> None:
    script = Answers(THREE, "K2 is 8611 m, Kangchenjunga 8586 m, Atlantis 9000 m.", "")
    said = _answer(script, "How high are K2, Kangchenjunga and Atlantis?", check=True)
    assert said == (
        'Here is what I found: height(mountain="K2") = 8611; '
        'height(mountain="Kangchenjunga") = 8586. '
        "I could not get the height for Atlantis: it was not found (Atlantis)."
    )


@pytest.mark.parametrize("check", [True, False])
def test_an_empty_answer_costs_one_request_and_the_results_speak(*, check: bool) -> None:
    script = Answers(THREE, "")
    said = _answer(script, "How high are K2, Kangchenjunga and Atlantis?", check=check)
    assert said.startswith('Here is what I found: height(mountain="K2") = 8611; ')
    assert said.endswith("I could not get the height for Atlantis: it was not found (Atlantis).")
    assert len(script.joins) == 1


def test_a_wrong_answer_with_nothing_after_it_is_put_right() -> None:
    script = Answers(MOUNTAINS, "First try. Kangchenjunga (8586) is higher than K2 (8611).", "")
    assert _answer(script, WHICH, check=True) == f"First try. {PUT_RIGHT}"
    assert len(script.joins) == 2


def test_a_second_request_that_fails_leaves_the_first_answer_put_right() -> None:
    class FailsSecond(Answers):
        def __call__(self, messages: list[BaseMessage]) -> str:
            said = super().__call__(messages)
            if len(self.joins) == 2:  # the request that sends it back
                msg = "the server went away"
                raise ConnectionError(msg)
            return said

    script = FailsSecond(MOUNTAINS, "First try. Kangchenjunga (8586) is higher than K2 (8611).")
    assert _answer(script, WHICH, check=True) == f"First try. {PUT_RIGHT}"


def test_an_answer_sent_back_is_asked_again_as_a_join_request() -> None:
    kinds: list[str] = []

    class Kinds(Answers):
        def __call__(self, messages: list[BaseMessage]) -> str:
            kinds.append(request_kind(messages))
            return super().__call__(messages)

    script = Kinds(MOUNTAINS, "Kangchenjunga (8586) is higher than K2 (8611).", "K2 (8611) wins.")
    _answer(script, WHICH, check=True)
    assert kinds == ["plan", "join", "join"]


def test_without_failed_calls_a_number_no_result_gives_is_sent_back_then_taken_out() -> None:
    # Said twice, the sentence with the invented number goes; nothing else was left, so
    # the results speak, with the comparison the question asks.
    invented = "K2 (8611 m) is higher than Kangchenjunga (8586 m), by 31 m."
    script = Answers(MOUNTAINS, invented)
    said = _answer(script, WHICH, check=True)
    assert len(script.joins) == 2
    assert "Your answer states 31, which no result gives" in script.joins[1]
    assert "31" not in said
    assert "K2 (8611) is larger than Kangchenjunga (8586)" in said


def test_only_the_sentence_with_an_invented_number_is_taken_out() -> None:
    invented = "K2 (8611 m) is higher than Kangchenjunga (8586 m). The gap is 31 m."
    script = Answers(MOUNTAINS, invented)
    assert (
        _answer(script, WHICH, check=True) == "K2 (8611 m) is higher than Kangchenjunga (8586 m)."
    )


def test_a_comparison_left_unsaid_and_a_result_left_out_are_sent_back() -> None:
    script = Answers(MOUNTAINS, "K2 is 8611 m high.", "K2 (8611 m) is higher than the 8586 m.")
    assert _answer(script, WHICH, check=True) == "K2 (8611 m) is higher than the 8586 m."
    assert "does not make the comparison asked" in script.joins[1]
    assert 'leaves out height(mountain="Kangchenjunga") = 8586' in script.joins[1]


FACTORS = {"mile": 1.609344}


@inout
def factor(unit: str) -> float:
    """How many metric units one unit makes."""
    return FACTORS[unit]


@inout
def series(n: int) -> list[int]:
    """The numbers from 0 to n - 1."""
    return list(range(n))


def _appended(plan: str, answer: str, question: str) -> str:
    agent = create_llmorch_agent(
        ScriptedChatModel(Answers(plan, answer)),
        [height, factor, series],
        check_answers=False,
        append_results=True,
    )
    out: dict[str, Any] = agent.invoke({"messages": [("user", question)]})
    return str(out["messages"][-1].text)


def test_a_computed_value_the_answer_leaves_out_is_added() -> None:
    plan = 's1: factor(unit="mile")'
    question = "How many km are 26.2 miles?"
    assert _appended(plan, "One mile is 1.609344 km.", question) == (
        "One mile is 1.609344 km.\n\n"
        '(Results: factor(unit="mile") x 26.2 = 1.609344 x 26.2 = 42.16.)'
    )
    assert _appended(plan, "That is 42.16 km (1.609344 km a mile).", question) == (
        "That is 42.16 km (1.609344 km a mile)."
    )


def test_the_results_added_are_listed_each_cut_to_a_line() -> None:
    said = _appended(
        's1: height(mountain="K2")\ns2: series(n=100)', "Both were looked up.", "K2? And 100?"
    )
    head, note = said.split("\n\n")
    assert head == "Both were looked up."
    k2, numbers = note.removeprefix("(Results: ").removesuffix(".)").split("; ")
    assert k2 == 'height(mountain="K2") = 8611'
    assert numbers == "series(n=100) = " + str(list(range(100)))[:200]


def test_a_folded_step_of_one_operation_is_computed_for_the_joiner() -> None:
    plan = 's1: factor(unit="mile")\ns2: self(prompt="{s1} * 26.2")'
    assert _appended(plan, "It is far.", "Miles to km?").endswith("= 42.16.)")


def _joiner_message_ids(answer: str, *, append: bool) -> tuple[set[str], str]:
    agent = create_llmorch_agent(
        ScriptedChatModel(Answers('s1: height(mountain="K2")', answer)),
        [height],
        check_answers=False,
        append_results=append,
    )
    streamed: set[str] = set()
    final: dict[str, Any] = {}
    for mode, item in agent.stream(
        {"messages": [("user", "How high is K2?")]}, stream_mode=["messages", "values"]
    ):
        if mode == "messages" and item[1].get(REQUEST_KEY) == "join":  # the model's reply
            streamed.add(item[0].id)
        elif mode == "values":
            final = item
    return streamed, str(final["messages"][-1].id)


def test_the_answer_keeps_the_models_message_only_when_its_words_are_unchanged() -> None:
    streamed, final = _joiner_message_ids("K2 is 8611 m high.", append=True)
    assert final in streamed  # streamed once, not twice
    streamed, final = _joiner_message_ids("K2 is high.", append=True)
    assert streamed
    assert final not in streamed  # results were added: a message of its own


def test_a_result_left_out_is_sent_back_cut_to_a_short_line() -> None:
    plan = 's1: height(mountain="K2")\ns2: series(n=100)'
    script = Answers(plan, "Both were looked up.", "K2 is 8611 m; the series runs 0 to 99.")
    agent = create_llmorch_agent(
        ScriptedChatModel(script), [height, series], check_answers=True, append_results=False
    )
    agent.invoke({"messages": [("user", "K2? And the series to 100?")]})
    numbers = str(list(range(100)))[:80]
    assert f"; series(n=100) = {numbers}: keep what it says" in script.joins[1]

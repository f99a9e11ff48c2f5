"""The joiner (`agent/joiner.py`): what it sends back, which of two answers it keeps.

Written for the mutants of `agent/joiner.py` the joiner's tests let live: the request
that sends an answer back names every number no result gives and every failed call the
answer leaves unnamed; of two answers with as many faults the first is kept; the folded
steps that ask for nothing in particular ask to answer the question.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout, parse_plan
from langchain_llmorch.agent.joiner import described, folded_prompt
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

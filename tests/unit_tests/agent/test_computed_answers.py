"""An answer that twice leaves out the value computed for the question says that value."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from langchain_llmorch import create_llmorch_agent, inout
from langchain_llmorch.testing import ScriptedChatModel, request_kind


@inout
def ferry_fare(route: str) -> float:
    """The price of one adult ferry ticket on a route, in euros."""
    if route == "Atlantis":
        msg = "no such route"
        raise KeyError(msg)
    return {"Harbour": 6.5}[route]


QUESTION = "What do 8 adult ferry tickets on the Harbour route cost?"


def _run(plan: str, answer: str) -> tuple[str, list[str]]:
    asked: list[str] = []

    def script(messages: list[BaseMessage]) -> str:
        kind = request_kind(messages)
        if kind in {"plan", "repair"}:
            return plan
        if kind == "recover":  # the call as it was: it fails again
            return messages[-1].text.split("rewrite:\n", 1)[1].split("\n", 1)[0]
        asked.append(messages[-1].text)
        return answer

    agent = create_llmorch_agent(
        ScriptedChatModel(script), [ferry_fare], check_answers=True, check_plans=False
    )
    out: dict[str, Any] = agent.invoke({"messages": [("user", QUESTION)]})
    return out["messages"][-1].text, asked


@pytest.mark.parametrize(
    "plan",
    [
        's1: ferry_fare(route="Harbour")',
        's1: ferry_fare(route="Harbour")\ns2: ferry_fare(route="Atlantis")',
    ],
)
def test_the_per_unit_value_stated_as_the_amount_is_replaced_by_the_computed_one(
    plan: str,
) -> None:
    said, asked = _run(plan, "8 adult ferry tickets on the Harbour route cost 6.5 euros.")
    assert len(asked) == 2
    assert "52" in asked[1]  # the send-back states the computed value
    assert "52" in said
    assert "cost 6.5 euros" not in said
    if "Atlantis" in plan:  # the failed call is still named
        assert "Atlantis" in said


def test_an_answer_that_states_the_computed_value_is_kept() -> None:
    said, asked = _run('s1: ferry_fare(route="Harbour")', "The 8 tickets cost 52 euros.")
    assert len(asked) == 1
    assert said == "The 8 tickets cost 52 euros."


def test_a_rate_given_as_the_amount_is_sent_back_even_beside_the_computed_value() -> None:
    answer = "8 adult ferry tickets on the Harbour route cost 6.5 euros. The total is 52."
    said, asked = _run('s1: ferry_fare(route="Harbour")', answer)
    assert len(asked) == 2
    assert "cost 6.5 euros" in asked[1]  # the send-back quotes the sentence
    assert "cost 6.5 euros" not in said
    assert "52" in said


def test_a_rate_said_as_a_rate_beside_the_computed_value_is_kept() -> None:
    answer = "A ticket costs 6.5 euros each, so 8 adult ferry tickets cost 52 euros."
    said, asked = _run('s1: ferry_fare(route="Harbour")', answer)
    assert len(asked) == 1
    assert said == answer

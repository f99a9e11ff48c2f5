"""Another call's result written for a failed call (`agent.failed_values`)."""

from __future__ import annotations

from typing import Any

from langchain_llmorch import create_llmorch_agent, inout
from langchain_llmorch.testing import planner_or


@inout
def mooring_fee(marina: str) -> float:
    """Look up what mooring at a marina costs per night."""
    return {"Tarrow Quay": 44.0}[marina]


def test_a_value_given_to_a_failed_call_goes_back_then_the_results_speak() -> None:
    joins: list[str] = []

    def answer(request: str) -> str:
        joins.append(request)
        return "The mooring fee of Ashby = 44.0, and Tarrow Quay charges 44.0."

    plan = 's1: mooring_fee(marina="Ashby")\ns2: mooring_fee(marina="Tarrow Quay")'
    agent = create_llmorch_agent(
        planner_or(plan, answer), [mooring_fee], check_answers=True, append_results=False
    )
    out: Any = agent.invoke({"messages": [("user", "Is Ashby or Tarrow Quay dearer?")]})
    text = out["messages"][-1].text
    assert len(joins) == 2  # sent back once
    assert "44.0" in joins[1]
    assert "Ashby = 44.0" not in text
    assert "Ashby" in text  # the failure is said
    assert "44.0" in text  # Tarrow Quay's result stays

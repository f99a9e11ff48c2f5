"""Against a real model: plans from a hosted (or OpenAI-compatible) model parse, run and answer.

Skipped unless OPENAI_API_KEY or OPENAI_BASE_URL is set; OPENAI_MODEL picks the model.
"""

import os

import pytest

from langchain_llmorch import compute, create_llmorch_agent, inout

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL")),
        reason="needs OPENAI_API_KEY or OPENAI_BASE_URL",
    ),
]


@inout
def population(country: str) -> str:
    """The population of a country, in millions."""
    return {"France": "68", "Spain": "48", "Italy": "59"}.get(country, "unknown")


@compute
def add(a: float, b: float) -> float:
    """a + b."""
    return a + b


@pytest.mark.parametrize("planning", ["text", "structured"])
def test_a_real_model_plans_and_the_plan_runs(planning: str) -> None:
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(model=os.environ.get("OPENAI_MODEL", "gpt-4o-mini"), temperature=0)
    agent = create_llmorch_agent(model, [population, add], planning=planning, max_processors=2)
    state = agent.invoke(
        {"messages": [("user", "What is the combined population of France and Spain?")]}
    )
    assert not state.get("failure"), state.get("failure")
    ran = {record["tool"] for record in state["trace"]}
    assert "population" in ran
    assert "116" in state["messages"][-1].text

"""The embedded local model plans through structured output: plans parse, validate and run."""

from typing import Any

import pytest

from langchain_llmorch import build_frg, compute, create_llmorch_agent, inout, parse_plan
from langchain_llmorch.errors import LLMOrchError


@compute
def steering_angle(scene: int) -> float:
    """Detect the steering angle (degrees) of the stereo scene with this number."""
    return float(scene) / 10


@inout
def word_count(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())


QUERIES = [
    "Detect the steering angle of scene 3 and of scene 4.",
    "Get the steering angles of scenes 1, 2 and 5.",
    "Count the words of the sentence 'plans run in parallel'.",
]


@pytest.fixture(scope="module")
def local_model() -> Any:
    from langchain_llmorch.local import LocalModelNotAvailableError, local_chat_model

    try:
        return local_chat_model(max_tokens=400, timeout=120)
    except LocalModelNotAvailableError as err:
        pytest.skip(f"local model not available: {err}")


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("question", QUERIES)
def test_structured_plans_from_the_local_model_parse_validate_and_run(
    local_model: Any, question: str
) -> None:
    tools = [steering_angle, word_count]
    agent = create_llmorch_agent(local_model, tools, planning="structured", max_processors=2)
    try:
        state = agent.invoke({"messages": [("user", question)]})
    except LLMOrchError as err:  # pragma: no cover - a typed failure is still a failure here
        pytest.fail(f"the agent raised {err!r}")
    plan = state.get("plan") or ""
    if state.get("failure"):
        # The model never produced a valid plan; the agent must say so, not crash.
        assert state["messages"][-1].text.startswith("I could not")
        return
    frg = build_frg(parse_plan(plan), tools)  # what ran is a valid plan over these tools
    assert {c.tool for c in frg.calls.values()} <= {"steering_angle", "word_count", "self"}
    ran = {record["id"] for record in state["trace"]}
    assert ran == set(frg.calls) or state.get("errors") or state.get("recoveries")
    assert state["messages"][-1].text

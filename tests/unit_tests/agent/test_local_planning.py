"""The embedded model, through the agent's defaults: right tool calls, numbers in the answers.

Slow (about half a minute a question on one llama.cpp thread); skipped, with the pip
command, when the runtime or the model's chunk packages are not installed.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.local_questions import ran_calls
from bench.question_sets import QUESTIONS, TOOLS, Question
from langchain_llmorch import create_llmorch_agent
from langchain_llmorch.agent.answer import mentions


@pytest.fixture(scope="module")
def local_model() -> Any:
    from langchain_llmorch.local import LocalModelNotAvailableError, local_chat_model

    try:
        return local_chat_model(max_tokens=400, timeout=180)
    except LocalModelNotAvailableError as err:
        pytest.skip(f"local model not available: {err}")


@pytest.fixture(scope="module")
def agent(local_model: Any) -> Any:
    return create_llmorch_agent(local_model, TOOLS, max_processors=2)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    "question", [QUESTIONS[0], QUESTIONS[1], QUESTIONS[3]], ids=lambda q: q.text[:40]
)
def test_the_embedded_model_makes_the_right_calls_and_reports_their_numbers(
    agent: Any, question: Question
) -> None:
    state = agent.invoke({"messages": [("user", question.text)]})
    assert state["planning"] == "text"  # planning="auto": text under the plan grammar
    assert ran_calls(state) == {
        (t, a, v.lower() if isinstance(v, str) else v) for t, a, v in question.calls
    }
    answer = state["messages"][-1].text
    for number in question.numbers:
        assert mentions(answer, number), (number, answer)

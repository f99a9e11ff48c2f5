"""Request kinds reach an OpenAI-compatible server as HTTP headers, structured requests too."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from langchain_llmorch import create_llmorch_agent, inout
from langchain_llmorch.runs import HEADER_CALL, HEADER_REQUEST, mark_model

PLAN = {"steps": [{"tool": "price", "args": {"item": "tea"}}]}


@tool
def price(item: str) -> float:
    """The price of an item."""
    return 2.5 if item == "tea" else 1.0


class Recorder:
    """An OpenAI-style endpoint that records each request's headers and answers by kind."""

    def __init__(self, plan: str = json.dumps(PLAN)) -> None:
        self.plan = plan
        self.seen: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(dict(request.headers))
        kind = request.headers.get(HEADER_REQUEST)
        content = self.plan if kind in ("plan", "repair", "recover") else "Tea costs 2.5."
        body: dict[str, Any] = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "scripted",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        return httpx.Response(200, json=body)

    def kinds(self) -> list[str | None]:
        return [headers.get(HEADER_REQUEST) for headers in self.seen]


def _model(recorder: Recorder) -> ChatOpenAI:
    return ChatOpenAI(
        model="scripted",
        api_key="unused",  # type: ignore[arg-type]
        base_url="http://scripted.invalid/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(recorder)),
        max_retries=0,
    )


def test_structured_request_keeps_its_headers() -> None:
    recorder = Recorder()
    structured = _model(recorder).with_structured_output(
        {
            "title": "Plan",
            "type": "object",
            "properties": {"steps": {"type": "array", "items": {"type": "object"}}},
            "required": ["steps"],
        },
        method="json_schema",
    )
    reply = mark_model(structured, "recover", "s2").invoke("plan it")
    assert reply == PLAN
    assert recorder.seen[0][HEADER_REQUEST] == "recover"
    assert recorder.seen[0][HEADER_CALL] == "s2"


def test_other_runnables_pass_through_unchanged() -> None:
    assert mark_model(price, "plan") is price


@pytest.mark.parametrize(
    ("planning", "plan"),
    [("structured", json.dumps(PLAN)), ("text", '1. price(item="tea")\n2. join()\n')],
)
def test_agent_requests_carry_their_kind(planning: str, plan: str) -> None:
    recorder = Recorder(plan)
    agent = create_llmorch_agent(_model(recorder), [inout(price)], planning=planning)  # type: ignore[arg-type]
    result = agent.invoke({"messages": [HumanMessage("What does tea cost?")]})
    assert result["messages"][-1].content == "Tea costs 2.5."
    assert recorder.kinds() == ["plan", "join"]

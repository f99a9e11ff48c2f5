"""How LLMOrch marks the model requests it makes, so callbacks and tests tell them apart.

Every model request of an LLMOrch agent runs with `metadata["llmorch_request"]` set to
its kind, a run name `llmorch:<kind>` and a tag of the same name: LangSmith shows the
kind, a `stream_mode="messages"` consumer filters on it, and scripted models
(`langchain_llmorch.testing`) answer by it.

| kind      | the request                                                     |
|-----------|-----------------------------------------------------------------|
| `plan`    | the planner's (also a fresh plan after failed repairs)          |
| `repair`  | a compile-time repair of a faulty plan                          |
| `recover` | a run-time rewrite of one call (`metadata["llmorch_call"]`: id) |
| `join`    | the answer, from the results                                    |
| `self`    | a plan's `self(prompt)` call                                    |
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.runnables import RunnableConfig

RequestKind = Literal["plan", "repair", "recover", "join", "self"]
"""What a model request is for; in its run's `metadata["llmorch_request"]`."""

REQUEST_KEY = "llmorch_request"
"""Run metadata key holding the `RequestKind` of an LLMOrch model request."""
CALL_KEY = "llmorch_call"
"""Run metadata key holding the id of the call a `recover` request rewrites."""


HEADER_REQUEST = "x-llmorch-request"
"""HTTP header carrying the kind of a request made through an OpenAI-compatible client."""
HEADER_CALL = "x-llmorch-call"
"""HTTP header carrying the call id of a `recover` request."""


def mark_model(model: Any, kind: RequestKind, call_id: str | None = None) -> Any:
    """`model`, sending the request's kind as HTTP headers when it talks to an OpenAI-style API.

    Run metadata stays in this process; an OpenAI-compatible server (a proxy, a gateway,
    the benchmark's scripted server) sees the headers instead. `model` may be a chat model,
    a binding of one, or the runnable `with_structured_output` made of one (the headers go
    on its model step: binding them before `with_structured_output` would lose them). Other
    runnables are returned as they are.

    Example:
        ```python
        from langchain_openai import ChatOpenAI
        from pydantic import BaseModel

        from langchain_llmorch.runs import mark_model


        class Plan(BaseModel):
            steps: list[str]


        model = ChatOpenAI(model="any", api_key="unused", base_url="http://127.0.0.1:9")
        structured = model.with_structured_output(Plan, method="json_schema")
        marked = mark_model(structured, "plan")
        assert marked.first.kwargs["extra_headers"] == {"x-llmorch-request": "plan"}
        ```
    """
    from langchain_core.runnables import RunnableBinding, RunnableSequence  # noqa: PLC0415
    from langchain_openai.chat_models.base import BaseChatOpenAI  # noqa: PLC0415

    headers: dict[str, str] = {HEADER_REQUEST: kind}
    if call_id is not None:
        headers[HEADER_CALL] = call_id
    if isinstance(model, BaseChatOpenAI):
        return model.bind(extra_headers=headers)
    if isinstance(model, RunnableBinding) and isinstance(model.bound, BaseChatOpenAI):
        return model.bind(extra_headers=headers)
    if isinstance(model, RunnableSequence):
        first = mark_model(model.first, kind, call_id)
        if first is not model.first:
            return RunnableSequence(first, *model.middle, model.last, name=model.name)
    return model


def request_config(kind: RequestKind, call_id: str | None = None) -> RunnableConfig:
    """The run config that marks a model request as LLMOrch's request of `kind`.

    Example:
        ```python
        from langchain_llmorch.runs import request_config

        config = request_config("recover", "s2")
        assert config["metadata"] == {"llmorch_request": "recover", "llmorch_call": "s2"}
        assert config["run_name"] == "llmorch:recover"
        ```
    """
    metadata: dict[str, Any] = {REQUEST_KEY: kind}
    if call_id is not None:
        metadata[CALL_KEY] = call_id
    return {"run_name": f"llmorch:{kind}", "tags": [f"llmorch:{kind}"], "metadata": metadata}


__all__ = [
    "CALL_KEY",
    "HEADER_CALL",
    "HEADER_REQUEST",
    "REQUEST_KEY",
    "RequestKind",
    "mark_model",
    "request_config",
]

"""Scripted chat models: run an LLMOrch agent offline, with no API key and no network.

For demos, notebooks and tests. A `ScriptedChatModel` replies with what a Python
function of the messages returns; `planner_or` builds the usual script for an LLMOrch
agent: a fixed plan when asked to plan, and answers worded by you otherwise.

Which request the agent sends is read from the request's run metadata
(`metadata["llmorch_request"]`, see `langchain_llmorch.runs`), never from its wording:

| request (`request_kind()`)                     | `planner_or` replies with                 |
|------------------------------------------------|-------------------------------------------|
| `plan`: the planner's                          | `plan`                                    |
| `repair`: a compile-time repair of a plan      | `repair` (default: `plan` again)          |
| `recover`: a run-time rewrite of call `sN`     | `recover["sN"]` (default: the call as is) |
| anything else (`join`, `self`, other requests) | `answer`                                  |

With `fallback=` a real chat model answers whatever the script leaves open (a part
given as `None`), so a demo can force a situation, e.g. a broken first plan, and let a
real model handle the rest.

Example:
    ```python
    from langchain_llmorch import create_llmorch_agent, inout
    from langchain_llmorch.testing import planner_or

    @inout
    def weather(city: str) -> str:
        \"\"\"The weather in a city.\"\"\"
        return {"SF": "fog", "LA": "sun"}[city]

    model = planner_or(
        's1: weather(city="SF")\\ns2: weather(city="LA")\\ns3: self(prompt="SF {s1}, LA {s2}")',
        answer=lambda prompt: prompt.replace("SF ", "San Francisco: "),
    )
    agent = create_llmorch_agent(model, [weather])
    out = agent.invoke({"messages": [("user", "Weather in SF and LA?")]})
    print(out["messages"][-1].content)  # San Francisco: fog, LA sun
    ```
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_llmorch.runs import CALL_KEY, REQUEST_KEY

Reply = str | BaseMessage | None
"""What a script returns: text, a message (e.g. an `AIMessage` with `tool_calls`), or
`None` to hand the request to the fallback model."""
Script = Callable[[list[BaseMessage]], Reply]
"""A function from the messages sent to the model to its reply."""
Answer = str | Callable[[str], str]
"""A fixed answer, or a function of the request's text (all its messages, joined)."""

# The run metadata of the request a script is answering (set around each script call).
_REQUEST: ContextVar[Mapping[str, Any] | None] = ContextVar(
    "llmorch_scripted_request", default=None
)


class ScriptedChatModel(BaseChatModel):
    """A chat model whose replies come from a Python function of the messages.

    Args:
        script: `messages -> reply`; the reply is text, a message (an `AIMessage`
            with `tool_calls` drives a tool-calling agent), or `None` to ask `fallback`.
        fallback: a chat model for requests the script returns `None` for.

    `bind_tools` returns the model itself: the script decides when to call tools.
    The script may be called from several threads at once; keep it free of races.

    Example:
        ```python
        from langchain_llmorch.testing import ScriptedChatModel

        echo = ScriptedChatModel(lambda messages: messages[-1].text.upper())
        assert echo.invoke("hi").content == "HI"
        ```
    """

    script: Script
    fallback: BaseChatModel | None = None

    def __init__(self, script: Script | None = None, /, **data: Any) -> None:
        """Build the model; `script` may be given by position or by name."""
        if script is not None:
            data["script"] = script
        super().__init__(**data)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _reply(
        self,
        messages: list[BaseMessage],
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
    ) -> BaseMessage | None:
        token = _REQUEST.set(dict(run_manager.metadata) if run_manager is not None else {})
        try:
            reply = self.script(messages)
        finally:
            _REQUEST.reset(token)
        if reply is None:
            if self.fallback is None:
                msg = "the script returned None and no fallback model was given"
                raise ValueError(msg)
            return None
        return AIMessage(reply) if isinstance(reply, str) else reply

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = self._reply(messages, run_manager)
        if message is None and self.fallback is not None:
            message = self.fallback.invoke(messages, stop=stop)
        return ChatResult(generations=[ChatGeneration(message=_ai(message))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = self._reply(messages, run_manager)
        if message is None and self.fallback is not None:
            message = await self.fallback.ainvoke(messages, stop=stop)
        return ChatResult(generations=[ChatGeneration(message=_ai(message))])

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        """Return the model itself: a script writes its own tool calls."""
        return self


def _ai(message: BaseMessage | None) -> AIMessage:
    if isinstance(message, AIMessage):
        return message
    return AIMessage("" if message is None else message.text)


def request_text(messages: Sequence[BaseMessage]) -> str:
    """The text of every message of a request, joined by blank lines."""
    return "\n\n".join(m.text for m in messages)


def request_kind(messages: Sequence[BaseMessage] | None = None) -> str:  # noqa: ARG001
    """Which LLMOrch request a script is answering.

    One of `plan`, `repair`, `recover`, `join`, `self`, or `other` (not an LLMOrch
    request, or called outside a script).
    Read from the request's run metadata (`langchain_llmorch.runs`), which
    `ScriptedChatModel` makes available while its script runs; `messages` is accepted for
    scripts written for earlier versions and not read.

    Example:
        ```python
        from langchain_llmorch.testing import ScriptedChatModel, request_kind
        from langchain_llmorch.runs import request_config

        model = ScriptedChatModel(lambda messages: request_kind())
        assert model.invoke("q", request_config("plan")).content == "plan"
        assert model.invoke("q").content == "other"
        ```
    """
    kind = (_REQUEST.get() or {}).get(REQUEST_KEY)
    return kind if isinstance(kind, str) else "other"


def request_call() -> str | None:
    """The id of the call a `recover` request rewrites (`None` for other requests).

    Example:
        ```python
        from langchain_llmorch.testing import ScriptedChatModel, request_call
        from langchain_llmorch.runs import request_config

        model = ScriptedChatModel(lambda messages: f"{request_call()}: f(x=2)")
        assert model.invoke("q", request_config("recover", "s2")).content == "s2: f(x=2)"
        ```
    """
    call = (_REQUEST.get() or {}).get(CALL_KEY)
    return call if isinstance(call, str) else None


def planner_or(
    plan: str,
    answer: Answer | None = "Done.",
    *,
    repair: str | None = None,
    recover: Mapping[str, str] | None = None,
    fallback: BaseChatModel | None = None,
) -> ScriptedChatModel:
    """A scripted model for an LLMOrch agent: `plan` when asked to plan, else `answer`.

    Args:
        plan: the reply to the planner's prompt, in the plan language.
        answer: the reply to every other request (`self(prompt)` calls, the joiner):
            a string, or a function of the request's text. `None`: ask `fallback`.
        repair: the reply to a compile-time repair request; default `plan` again, or
            `fallback`'s reply when a fallback is given.
        recover: call id -> the rewritten call line (e.g. `'s2: search(query="x")'`),
            the reply to a run-time recovery request for that call; calls not listed
            are repeated unchanged, or rewritten by `fallback` when one is given.
        fallback: a real chat model for whatever the script leaves open.

    Returns:
        A `ScriptedChatModel`.

    Example:
        ```python
        model = planner_or(
            's1: search(query="Texas")\\ns2: density(text=s7)',  # s7 does not exist
            repair='s1: search(query="Texas")\\ns2: density(text=s1)',
            answer="Texas: 2.0 people per unit area.",
        )
        ```
    """
    rewrites = dict(recover or {})

    def script(messages: list[BaseMessage]) -> Reply:
        kind = request_kind()
        if kind == "plan":
            return plan
        if kind == "repair":
            return repair if repair is not None else (None if fallback else plan)
        if kind == "recover":
            call_id = request_call()
            if call_id in rewrites:
                return rewrites[call_id]
            return None if fallback else ""  # no rewrite: the call stays as it is
        if answer is None:
            return None
        return answer if isinstance(answer, str) else answer(request_text(messages))

    return ScriptedChatModel(script, fallback=fallback)


__all__ = [
    "Answer",
    "Reply",
    "Script",
    "ScriptedChatModel",
    "planner_or",
    "request_call",
    "request_kind",
    "request_text",
]

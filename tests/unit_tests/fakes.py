"""Scripted chat models for tests: answers chosen from the prompt, safe under concurrency."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult


class ScriptedChat(BaseChatModel):
    """Replies with `script(messages)`; `planner` and `other` are the common case."""

    script: Callable[[list[BaseMessage]], str]

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = self.script(messages)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return self


def planner_or(plan: str, answer: str) -> ScriptedChat:
    """The plan when asked to plan, otherwise `answer`."""

    def script(messages: list[BaseMessage]) -> str:
        first = messages[0].text if messages else ""
        return plan if "Tools you can call" in first else answer

    return ScriptedChat(script=script)

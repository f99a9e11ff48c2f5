"""The agent graph's state and the context its nodes share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AnyMessage
from langchain_core.tools import BaseTool
from langgraph.graph.message import add_messages

from langchain_llmorch.engine.orchestrator import Orchestrator
from langchain_llmorch.tools import ToolKind

Planning = Literal["text", "structured"]


class LLMOrchState(TypedDict):
    """State of an LLMOrch agent: messages in and out, plus the plan's progress."""

    messages: Annotated[list[AnyMessage], add_messages]
    """The conversation; the answer is the last AI message."""
    plan: NotRequired[str]
    """The current plan, in the plan language."""
    compile_error: NotRequired[str | None]
    """Why the current plan does not parse or validate, if it does not."""
    results: NotRequired[dict[str, Any]]
    """Results of finished calls, by id (kept across repairs)."""
    errors: NotRequired[dict[str, str]]
    """Failed calls of the last run: id -> `Type: message`."""
    attempts: NotRequired[dict[str, int]]
    """How many times each call has been started."""
    repairs: NotRequired[int]
    """Compile-time repairs used."""
    replans: NotRequired[int]
    """Fresh plans made at a higher temperature."""
    recoveries: NotRequired[int]
    """Run-time recoveries used."""
    trace: NotRequired[list[dict[str, Any]]]
    """One record per executed call, across every run of this question."""
    failure: NotRequired[str | None]
    """Set when the agent gives up; the reason is also the answer."""
    streamed: NotRequired[str | None]
    """The valid lines of a streamed plan that did not compile: the calls its kept
    results belong to, checked against the repaired plan."""


@dataclass
class AgentContext:
    """What the nodes need besides the state: the model, the tools and the limits."""

    model: BaseChatModel
    tools: list[BaseTool]
    """The user's tools plus the built-in `self`."""
    orchestrator: Orchestrator
    system_prompt: str | None = None
    self_kind: ToolKind = "inout"
    planning: Planning = "text"
    max_repairs: int = 2
    max_replans: int = 1
    max_recoveries: int = 2
    replan_temperature: float = 0.7
    raise_on_failure: bool = False
    stream_plan: bool = False
    """Start calls while the plan streams (text planning, models that stream)."""

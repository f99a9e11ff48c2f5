"""The agent graph's state and the context its nodes share."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AnyMessage
from langchain_core.tools import BaseTool
from langgraph.graph.message import add_messages

from langchain_llmorch.engine.orchestrator import Orchestrator
from langchain_llmorch.tools import ToolKind

Planning = Literal["auto", "text", "structured"]
"""How the planner asks for a plan: plan-language text, JSON-schema output, or `auto`."""
PlanningMode = Literal["text", "structured"]
"""What `auto` resolves to."""

_logger = logging.getLogger("langchain_llmorch.agent")


def choose_planning(model: Any) -> tuple[PlanningMode, str]:
    """The planning mode for `model` under `planning="auto"`, and why.

    Structured output where the model supports JSON-schema constrained decoding: OpenAI's
    chat models and every OpenAI-compatible server reached through them (the embedded
    llama.cpp server, vLLM, Ollama) accept `response_format: json_schema`. Text otherwise.

    Example:
        ```python
        from langchain_openai import ChatOpenAI

        mode, why = choose_planning(ChatOpenAI(model="gpt-4o-mini"))
        assert mode == "structured"
        ```
    """
    from langchain_openai.chat_models.base import BaseChatOpenAI  # noqa: PLC0415

    name = type(model).__name__
    if isinstance(model, BaseChatOpenAI):
        return "structured", f"{name} accepts response_format json_schema"
    return "text", f"{name} is not known to support JSON-schema constrained decoding"


def is_embedded_model(model: Any) -> bool:
    """Whether `model` talks to the embedded llama.cpp server (`langchain_llmorch.local`)."""
    metadata = getattr(model, "metadata", None) or {}
    return "langchain_llmorch_embedded_model" in metadata  # local.server.EMBEDDED_MARK


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
    """Set when the agent gives up, or answers without some calls; names what failed."""
    doubts: NotRequired[list[str]]
    """Why the first valid plan was sent back for one repair (`check_plans`), if it was."""
    checked: NotRequired[bool]
    """Whether this question's plan has had its one `check_plans` check."""
    streamed: NotRequired[str | None]
    """The valid lines of a streamed plan that did not compile: the calls its kept
    results belong to, checked against the repaired plan."""
    planning: NotRequired[PlanningMode]
    """How this plan was asked for (what `planning="auto"` chose)."""


@dataclass
class AgentContext:
    """What the nodes need besides the state: the model, the tools and the limits."""

    model: BaseChatModel
    tools: list[BaseTool]
    """The user's tools plus the built-in `self`."""
    orchestrator: Orchestrator
    system_prompt: str | None = None
    self_kind: ToolKind = "inout"
    planning: Planning = "auto"
    """Resolved at construction: `auto` becomes `text` or `structured` (logged once)."""
    max_repairs: int = 2
    max_replans: int = 1
    max_recoveries: int = 2
    replan_temperature: float = 0.7
    raise_on_failure: bool = False
    stream_plan: bool = False
    """Start calls while the plan streams (text planning, models that stream)."""
    check_plans: bool | None = None
    """Send a plan with invented numbers or repeated calls back once (`agent.checks`).
    Resolved at construction: `None` is on for the embedded model, off otherwise."""

    def __post_init__(self) -> None:
        """Resolve `planning="auto"` for this model, once, and log the choice."""
        if self.planning == "auto":
            self.planning, why = choose_planning(self.model)
            _logger.info("planning='auto' chose %s planning: %s", self.planning, why)
        if self.check_plans is None:
            self.check_plans = is_embedded_model(self.model)

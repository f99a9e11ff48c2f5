"""The agent graph's state and the context its nodes share."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AnyMessage
from langchain_core.tools import BaseTool
from langgraph.graph.message import add_messages

from langchain_llmorch.agent.options import AgentOptions
from langchain_llmorch.engine.orchestrator import Orchestrator
from langchain_llmorch.tools import ToolKind

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
    rewrites: NotRequired[list[dict[str, Any]]]
    """Each recovery rewrite of this question: `id`, `old` and `new` call, the `error` that
    caused it, whether it was `kept`, and `replaced` (what the question gave that it would
    have replaced: such a rewrite is refused and the call stays failed)."""
    unrecoverable: NotRequired[list[str]]
    """Failed calls no rewrite can fix (programmer errors): no recovery turn is spent."""
    in_doubt: NotRequired[bool]
    """The current plan is doubted (`doubts`) and goes to its one repair before it runs."""
    checked: NotRequired[bool]
    """Whether this question's plan has had its one `check_plans` check."""
    streamed: NotRequired[str | None]
    """The valid lines of a streamed plan that did not compile: the calls its kept
    results belong to, checked against the repaired plan."""
    planning: NotRequired[PlanningMode]
    """How this plan was asked for (what `planning="auto"` chose)."""


class AgentInput(TypedDict):
    """What the graph takes: the conversation (the rest of the state is its own)."""

    messages: Annotated[list[AnyMessage], add_messages]
    """The conversation; its last human message is the question."""


AgentOutput = LLMOrchState
"""What the graph returns: the whole state (the answer is the last AI message)."""


@dataclass(frozen=True)
class AgentContext:
    """What the nodes need besides the state: the model, the tools, the engine, the options.

    Built once by `AgentContext.build`, which resolves what `AgentOptions` leaves open
    (`planning="auto"`, `check_plans=None`) for this model. `planning="auto"` is text
    when plans go under a grammar (`plan_grammar`: the embedded model by default).
    """

    model: BaseChatModel
    tools: list[BaseTool]
    """The user's tools plus the built-in `self`."""
    orchestrator: Orchestrator
    """The engine, bound to `tools`."""
    options: AgentOptions
    planning: PlanningMode
    """What `options.planning` resolved to for this model."""
    check_plans: bool
    """Whether first plans are checked (`options.check_plans`, resolved)."""
    append_results: bool
    """Whether the answer gets the results it leaves out (`options.append_results`)."""

    @classmethod
    def build(
        cls,
        model: BaseChatModel,
        tools: list[BaseTool],
        orchestrator: Orchestrator,
        options: AgentOptions,
    ) -> AgentContext:
        """Resolve the options for `model` (logging what `planning="auto"` chose)."""
        planning: PlanningMode
        embedded = is_embedded_model(model)
        if options.planning == "auto":
            planning, why = choose_planning(model)
            grammar = embedded if options.plan_grammar is None else options.plan_grammar
            if grammar:  # text under a grammar: valid lines, half the tokens of JSON
                planning, why = "text", "its text plans go under a grammar (plan_grammar)"
            _logger.info("planning='auto' chose %s planning: %s", planning, why)
        else:
            planning = options.planning
        check = embedded if options.check_plans is None else options.check_plans
        append = embedded if options.append_results is None else options.append_results
        return cls(
            model=model,
            tools=tools,
            orchestrator=orchestrator.bind_tools(tools),
            options=options,
            planning=planning,
            check_plans=check,
            append_results=append,
        )

    def embedded_default(self, chosen: bool | None, /) -> bool:  # noqa: FBT001 - an option's value
        """An option on by default for the embedded model only: `chosen`, or whether it is.

        `check_answers`, `plan_grammar` and `answer_grammar` resolve this way (`None`: on for
        `langchain_llmorch.local`'s model, off for others).
        """
        return is_embedded_model(self.model) if chosen is None else chosen

    @property
    def system_prompt(self) -> str | None:
        """The system prompt put before the planner's instructions."""
        return self.options.system_prompt

    @property
    def self_kind(self) -> ToolKind:
        """The kind of the built-in `self` tool."""
        return self.options.self_kind

    @property
    def stream_plan(self) -> bool:
        """Whether calls start while the plan streams."""
        return self.options.stream_plan

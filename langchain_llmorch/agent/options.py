"""The agent's options, declared once: `AgentOptions` holds them and their defaults.

`create_llmorch_agent`, `build_llmorch_graph` and `LLMOrchAgentExecutor` take the same
keyword arguments (`LLMOrchOptions`, for type checkers) and turn them into one frozen
`AgentOptions`. The engine's knobs belong to the `Orchestrator` (pass one with
`orchestrator=`); `max_processors`, `policy`, `call_timeout`, `executor` and `cache` are
still accepted as shorthands that build it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, TypedDict

from langgraph.cache.base import BaseCache

from langchain_llmorch.engine.backend import ComputeExecutor
from langchain_llmorch.engine.orchestrator import Orchestrator, Policy
from langchain_llmorch.errors import OptionTypeError, OptionValueError
from langchain_llmorch.tools import ToolKind

Planning = Literal["auto", "text", "structured"]
"""How the planner asks for a plan: plan-language text, JSON-schema output, or `auto`."""

DEFAULT_CALL_TIMEOUT = 120.0
"""Seconds a planned call may run when the agent builds its own `Orchestrator`: a confused
plan must not hang the agent, and real tools finish well within it. `None` lifts it."""


@dataclass(frozen=True, kw_only=True)
class AgentOptions:
    """The agent's own options and their defaults (the engine's are the `Orchestrator`'s).

    Example:
        ```python
        from langchain_llmorch.agent.options import AgentOptions

        options = AgentOptions(max_recoveries=1, approve_plan=True)
        assert options.max_repairs == 2
        ```
    """

    system_prompt: str | None = None
    """Put before the planner's instructions."""
    self_kind: ToolKind = "inout"
    """The kind of the built-in `self` tool: `"compute"` when the model runs on this CPU."""
    planning: Planning = "auto"
    """`"text"` (plan language), `"structured"` (JSON-schema output) or `"auto"`: text
    under a grammar when `plan_grammar` is on (the embedded model), else structured for
    models with JSON-schema constrained decoding, else text."""
    max_repairs: int = 2
    """Compile-time repairs of a faulty plan."""
    max_replans: int = 1
    """Fresh plans at `replan_temperature` after the repairs."""
    max_recoveries: int = 2
    """Run-time recoveries of failed calls."""
    replan_temperature: float = 0.7
    """The temperature of fresh plans."""
    raise_on_failure: bool = False
    """Raise a typed error instead of answering with the reason when the agent gives up."""
    base_url: str | None = None
    """For a model name: an OpenAI-compatible server (vLLM, Ollama, llama.cpp)."""
    approve_plan: bool = False
    """Pause with the plan (`interrupt()`) before any call runs. Needs a checkpointer."""
    stream_plan: bool = False
    """Start calls while the model is still writing the plan."""
    check_plans: bool | None = None
    """Send a doubtful first plan back for one repair (`agent.checks`). `None`: on for
    the embedded model, off for others."""
    check_answers: bool | None = None
    """Hold the answer's claims to the results (every number it states is supported, no
    comparison is contradicted, a computed amount is stated, no numeric result is left
    out) and send a contradicted answer back once with the contradiction stated
    (`agent.joiner`). `None`: on for the embedded model, off for others. Answers that
    give values for failed calls are held to the results whatever this says."""
    plan_grammar: bool | None = None
    """Send text plan requests with a llama.cpp grammar made from the tools
    (`local.grammar`), so that the model cannot write a line the plan language rejects.
    Only llama.cpp servers take it. `None`: on for the embedded model, off for others. When
    on, `planning="auto"` plans in text."""
    answer_grammar: bool | None = None
    """Send the answer request with a llama.cpp grammar made from the run
    (`local.answer_grammar`): the words are the model's, but every number it writes is
    one of the results', the question's or the values computed for it, written as they
    are. A grammar the server refuses is dropped for that answer. Only llama.cpp servers
    take it. `None`: on for the embedded model, off for others."""
    append_results: bool | None = None
    """Add the numeric results the answer leaves out after it, as a `(Results: ...)` note.
    `None`: on for the embedded model only (its answers drop numbers); never applied to
    `LLMOrchAgentExecutor`'s output unless asked."""

    def __post_init__(self) -> None:
        """Check every option's type and range, so a bad one fails here, by name."""
        for name in ("max_repairs", "max_replans", "max_recoveries"):
            value = getattr(self, name)
            _check_type(name, value, int)
            if value < 0:
                msg = f"{name} must be >= 0, not {value}"
                raise OptionValueError(msg)
        _check_type("replan_temperature", self.replan_temperature, (int, float))
        for name in ("raise_on_failure", "approve_plan", "stream_plan"):
            _check_type(name, getattr(self, name), bool)
        tristate = ("check_plans", "check_answers", "plan_grammar", "answer_grammar")
        for name in (*tristate, "append_results"):
            if getattr(self, name) is not None:
                _check_type(name, getattr(self, name), bool)
        for name in ("system_prompt", "base_url"):
            if getattr(self, name) is not None:
                _check_type(name, getattr(self, name), str)
        _check_choice("self_kind", self.self_kind, ("inout", "compute"))
        _check_choice("planning", self.planning, ("auto", "text", "structured"))
        if self.stream_plan and self.approve_plan:
            msg = (
                "stream_plan starts calls while the plan is written, approve_plan runs nothing "
                "before a human approves the plan: choose one"
            )
            raise OptionValueError(msg)


class LLMOrchOptions(TypedDict, total=False):
    """The keyword arguments of `create_llmorch_agent` and friends, for type checkers.

    The agent's options are `AgentOptions`'s fields (see there for what each does); the
    last five are shorthands that build the agent's `Orchestrator`.
    """

    system_prompt: str | None
    self_kind: ToolKind
    planning: Planning
    max_repairs: int
    max_replans: int
    max_recoveries: int
    replan_temperature: float
    raise_on_failure: bool
    base_url: str | None
    approve_plan: bool
    stream_plan: bool
    check_plans: bool | None
    check_answers: bool | None
    plan_grammar: bool | None
    answer_grammar: bool | None
    append_results: bool | None
    max_processors: int | None
    """Compute calls allowed at once (default: this process's usable CPUs)."""
    policy: Policy
    """`"dataflow"` (default) or `"paper"` (the paper's Algorithms 2-3)."""
    call_timeout: float | None
    """Seconds after which a planned call fails into recovery (`DEFAULT_CALL_TIMEOUT`)."""
    executor: ComputeExecutor | None
    """A compute backend (default: the process-wide worker pool)."""
    cache: BaseCache[Any] | None
    """Where cacheable tools' results are kept (a LangGraph cache; default: in memory)."""


ENGINE_SHORTHANDS = ("max_processors", "policy", "call_timeout", "executor", "cache")


def split_options(
    options: Mapping[str, Any], orchestrator: Orchestrator | None
) -> tuple[AgentOptions, Orchestrator]:
    """The agent's options and its (unbound) orchestrator, from keyword arguments.

    Raises:
        OptionTypeError: an option that does not exist or has the wrong type.
        OptionValueError: an option out of range, or engine shorthands given beside an
            `orchestrator`.
    """
    known = {f.name for f in fields(AgentOptions)}
    unknown = sorted(set(options) - known - set(ENGINE_SHORTHANDS))
    if unknown:
        msg = f"unknown option(s) {', '.join(unknown)}; the options are {sorted(known)}"
        raise OptionTypeError(msg)
    engine = {k: options[k] for k in ENGINE_SHORTHANDS if k in options}
    if orchestrator is not None and engine:
        msg = (
            f"{', '.join(engine)} configure the engine: give them to the Orchestrator "
            "passed as orchestrator=, not to the agent"
        )
        raise OptionValueError(msg)
    agent = AgentOptions(**{k: v for k, v in options.items() if k in known})
    if orchestrator is None:
        orchestrator = Orchestrator(
            max_processors=engine.get("max_processors"),
            policy=engine.get("policy", "dataflow"),
            executor=engine.get("executor"),
            call_timeout=engine.get("call_timeout", DEFAULT_CALL_TIMEOUT),
            cache=engine.get("cache"),
        )
    return agent, orchestrator


def _check_type(name: str, value: Any, kind: type | tuple[type, ...]) -> None:
    expected = kind if isinstance(kind, tuple) else (kind,)
    # True is an int to Python, not a count to us.
    wrong_bool = isinstance(value, bool) and bool not in expected
    if wrong_bool or not isinstance(value, expected):
        names = " or ".join(k.__name__ for k in expected)
        msg = f"{name} must be {names}, not {type(value).__name__} ({value!r})"
        raise OptionTypeError(msg)


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        msg = f"{name} must be one of {', '.join(map(repr, choices))}, not {value!r}"
        raise OptionValueError(msg)


__all__ = [
    "DEFAULT_CALL_TIMEOUT",
    "ENGINE_SHORTHANDS",
    "AgentOptions",
    "LLMOrchOptions",
    "Planning",
    "split_options",
]

"""Every request a node makes and its typed reply.

A node's logic is a generator (a `Step`): it yields a request and receives its reply,
then returns its state update. Nodes make requests through the typed helpers
(`ask`, `run_calls`, `stream_plan`), so each reply arrives with its type:

    request      yielded by                        reply         served by
    ---------    -------------------------------   -----------   -------------------------
    Ask          planner, repair, recovery, joiner  Reply         the chat model
    RunCalls     coordinator                       RunResult     the Orchestrator (+ ledger)
    StreamPlan   planner (stream_plan=True)        Streamed      the model's stream, feeding
                                                                 the Orchestrator as it goes

How they are served: `agent.serving` (`drive`, `adrive`, the model requests) and
`agent.call_serving` (the requests that run calls).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.messages import AnyMessage

from langchain_llmorch.engine.events import RunResult
from langchain_llmorch.errors import LLMOrchError
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.runs import RequestKind

# ---------------------------------------------------------------------- requests


@dataclass
class Ask:
    """Ask the model; a `plan`, `repair` or `recover` reply is read as plan text."""

    kind: RequestKind
    messages: list[AnyMessage]
    temperature: float | None = None
    structured: bool = False
    """Ask for the plan through JSON-schema structured output."""
    stop: list[str] | None = None
    call_id: str | None = None
    """The call a `recover` request rewrites."""
    bound: Mapping[str, Any] | None = None
    """Sent with a text request besides its messages (an answer grammar, `extra_body`)."""


@dataclass
class Reply:
    """A model's reply: its text (the plan text, for plan requests), or why there is none."""

    text: str = ""
    error: Exception | None = None
    message_id: str | None = None
    """The id of the model's message (an answer kept as it is keeps it)."""
    """A structured plan that could not be read, or a failed `join` request."""


@dataclass
class RunCalls:
    """Run the calls of `frg` that have no result yet."""

    frg: FRG
    results: Mapping[str, Any]
    attempts: Mapping[str, int] = field(default_factory=dict)


@dataclass
class StreamPlan:
    """Ask for the plan, streamed: calls start as their lines arrive (`stream_plan=True`)."""

    messages: list[AnyMessage]


@dataclass
class Streamed:
    """A streamed plan's reply, and the run of the calls handed over while it streamed."""

    text: str
    run: RunResult | None = None
    ran: FRG | None = None
    error: str | None = None


Request = Ask | RunCalls | StreamPlan
Step = Generator[Request, object, dict[str, Any]]
"""A node's logic: yields requests, returns its state update."""


class UnreadableReplyError(LLMOrchError):
    """A structured-output reply that could not be read (cut off, invalid JSON)."""


def ask(
    kind: RequestKind,
    messages: list[AnyMessage],
    *,
    temperature: float | None = None,
    structured: bool = False,
    stop: list[str] | None = None,
    call_id: str | None = None,
    bound: Mapping[str, Any] | None = None,
) -> Generator[Request, object, Reply]:
    """Yield an `Ask` for the model and return its typed `Reply` (use with `yield from`)."""
    reply = yield Ask(kind, messages, temperature, structured, stop, call_id, bound)
    return cast("Reply", reply)


def run_calls(
    frg: FRG, results: Mapping[str, Any], attempts: Mapping[str, int]
) -> Generator[Request, object, RunResult]:
    """Yield a request to run `frg`'s calls that have no result yet."""
    run = yield RunCalls(frg, results, attempts)
    return cast("RunResult", run)


def stream_plan(messages: list[AnyMessage]) -> Generator[Request, object, Streamed]:
    """Yield a request to stream the plan and run its calls as they arrive."""
    streamed = yield StreamPlan(messages)
    return cast("Streamed", streamed)


__all__ = [
    "Ask",
    "Reply",
    "Request",
    "RequestKind",
    "RunCalls",
    "Step",
    "StreamPlan",
    "Streamed",
    "UnreadableReplyError",
    "ask",
    "run_calls",
    "stream_plan",
]

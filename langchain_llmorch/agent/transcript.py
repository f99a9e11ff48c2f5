"""The calls a run made, as LangChain messages, the way `create_agent` shows tool use.

One `AIMessage` with `tool_calls`, then one `ToolMessage` per call.

The coordinator adds them to the state's messages, so chat UIs built for LangGraph agents
and LangSmith show each call and its result; the answer stays the last AI message. The
planner and the joiner leave them out of their prompts (`conversation`): the results reach
the joiner as facts, and a plan is asked for from what the user and the agent said.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, ToolMessage

from langchain_llmorch.agent.recovery import plain_args
from langchain_llmorch.engine.events import RunResult
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.plan.language import result_text

TRANSCRIPT_KEY = "llmorch_transcript"
"""`additional_kwargs` / `response_metadata` key marking the messages a run added."""


def call_messages(frg: FRG, run: RunResult) -> list[AnyMessage]:
    """One `AIMessage` with the run's calls as `tool_calls`, then their `ToolMessage`s.

    Calls appear in plan order; a failed call's `ToolMessage` has `status="error"`.
    Nothing when the run executed no call (every result was kept or restored).
    """
    ran = {record.id: record for record in run.trace}
    ids = [cid for cid in frg.calls if cid in ran]
    if not ids:
        return []
    batch = uuid.uuid4().hex[:8]  # tool_call ids stay unique across turns and recoveries
    tool_calls = [
        {
            "name": frg.calls[cid].tool,
            "args": plain_args(frg.calls[cid]),
            "id": f"{cid}-{ran[cid].attempt}-{batch}",
            "type": "tool_call",
        }
        for cid in ids
    ]
    messages: list[AnyMessage] = [
        AIMessage("", tool_calls=tool_calls, response_metadata={TRANSCRIPT_KEY: True})
    ]
    for cid, tool_call in zip(ids, tool_calls, strict=True):
        failed = cid in run.errors
        error = run.errors.get(cid)
        content = f"{type(error).__name__}: {error}" if failed else result_text(run.results[cid])
        messages.append(
            ToolMessage(
                content,
                tool_call_id=tool_call["id"],
                name=tool_call["name"],
                status="error" if failed else "success",
                response_metadata={TRANSCRIPT_KEY: True},
            )
        )
    return messages


def is_transcript(message: Any) -> bool:
    """Whether `message` is one of the tool-use messages an LLMOrch run added."""
    metadata = getattr(message, "response_metadata", None) or {}
    return bool(metadata.get(TRANSCRIPT_KEY))


def conversation(messages: Sequence[AnyMessage]) -> list[AnyMessage]:
    """The messages without LLMOrch's tool-use transcript: what was said, verbatim."""
    return [m for m in messages if not is_transcript(m)]


__all__ = ["TRANSCRIPT_KEY", "call_messages", "conversation", "is_transcript"]

"""A callback handler that records a run's LLM requests as spans, for the Gantt charts.

The benchmark runner attaches it to every technique's run (`config={"callbacks": [...]}`),
so the agent and the baselines need no change: every chat-model request of the agent
itself (LLMOrch's plan, repair and joiner nodes; a baseline's planner, joiner or
tool-calling turns) becomes a record shaped like a trace record, of kind `"llm"`.
Requests made inside a tool, and bare prompts (no system message, no tools: a
`self(prompt)` call wherever it runs) are left out: the call's own record shows them.

Example:
    ```python
    spans = LLMSpans()
    await agent.ainvoke(inputs, {"callbacks": [spans]})
    gantt([*trace, *spans.records()])
    ```
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage, SystemMessage
from langchain_core.outputs import LLMResult

__all__ = ["LLM_KIND", "LLMSpans"]

LLM_KIND = "llm"
"""The `kind` of an LLM request's record."""


@dataclass
class _Span:
    label: str
    started_at: float
    ended_at: float | None = None
    status: str = "finished"


def _is_a_prompt(batches: list[list[BaseMessage]], params: Any) -> bool:
    """A bare prompt (no system message, no tools): a `self(prompt)` call, not the agent's."""
    tools = params.get("tools") if isinstance(params, dict) else None
    messages = batches[0] if batches else []
    return not tools and not any(isinstance(m, SystemMessage) for m in messages)


class LLMSpans(BaseCallbackHandler):
    """Records when each of the agent's own chat-model requests started and ended."""

    run_inline = True  # time stamps taken where the request is made, not in an executor

    def __init__(self) -> None:
        """Start with no spans."""
        self._lock = threading.Lock()
        self._spans: dict[UUID, _Span] = {}
        self._chains: dict[UUID, str] = {}
        self._tools: set[UUID] = set()
        self._parents: dict[UUID, UUID | None] = {}

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the chain (a graph node) by name, to label the requests it makes."""
        name = kwargs.get("name") or (serialized or {}).get("name") or ""
        with self._lock:
            self._chains[run_id] = str(name)
            self._parents[run_id] = parent_run_id

    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the tool run: requests under it belong to the tool."""
        with self._lock:
            self._tools.add(run_id)
            self._parents[run_id] = parent_run_id

    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Open a span, unless the request comes from inside a tool."""
        now = time.time()
        if _is_a_prompt(messages, kwargs.get("invocation_params")):
            return
        with self._lock:
            if self._inside_tool(parent_run_id):
                return
            label = self._chains.get(parent_run_id, "") if parent_run_id else ""
            self._spans[run_id] = _Span(label or LLM_KIND, now)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Close the span."""
        self._close(run_id, "finished")

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Close the span as failed."""
        self._close(run_id, "failed")

    def records(self) -> list[dict[str, Any]]:
        """The closed spans as trace-shaped records (`kind="llm"`), in start order."""
        with self._lock:
            spans = sorted(
                (s for s in self._spans.values() if s.ended_at is not None),
                key=lambda s: s.started_at,
            )
        return [
            {
                "id": span.label,
                "tool": LLM_KIND,
                "kind": LLM_KIND,
                "processor": None,
                "scheduled_at": span.started_at,
                "started_at": span.started_at,
                "ended_at": span.ended_at,
                "status": span.status,
            }
            for span in spans
        ]

    def _inside_tool(self, run_id: UUID | None) -> bool:
        seen = 0
        while run_id is not None and seen < 100:  # a cycle guard
            if run_id in self._tools:
                return True
            run_id = self._parents.get(run_id)
            seen += 1
        return False

    def _close(self, run_id: UUID, status: str) -> None:
        with self._lock:
            span = self._spans.get(run_id)
            if span is not None:
                span.ended_at, span.status = time.time(), status

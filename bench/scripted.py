"""The scripted LLM's brain: what a correct model answers to each technique's request.

The benchmark's OpenAI-compatible server hands every chat request here. From the
messages we tell which query it belongs to; what is asked comes from the request's
`x-llmorch-request` header for LLMOrch (`bench.llm_server.current_request`), and from the
prompt for the baselines:

- LLMOrch's plan, repair, recover and join requests, and LLMCompiler's planner and
  joiner: answered from the query's plan;
- a `self(prompt)` call: answered by the query's `self_answer`;
- a tool-calling turn (ReAct, parallel function calling, `create_agent`): the next
  ready calls of the plan, all of them, or one for ReAct; the final answer once
  every call has a result. The plan's `self` steps are the agent's own reasoning
  there: no tool call, the turn that follows does them. After a plan-first turn of
  `LLMOrchMiddleware` (tool call ids `llmorch-<plan>-<call>`) the answering turn is the
  joiner's: it replies what LLMOrch's joiner gets, so both wait as long.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bench.llm_server import current_request
from bench.suites import Query
from langchain_llmorch.plan.frg import FRG, build_frg
from langchain_llmorch.plan.language import Template, evaluate, parse_plan
from langchain_llmorch.tools import SELF_TOOL

Reply = str | dict[str, Any]

_COMPILER_PLANNER = "You plan how to answer a question with the functions below"
_COMPILER_JOINER = "Answer the question from the results of the function calls"
_PLANNED_ID = re.compile(r"^llmorch-[0-9a-f]+-(.+)$")
"""A tool call id `LLMOrchMiddleware(plan_first=True)` gives a call of its plan."""


def _call_id(tool_call_id: Any) -> tuple[str, bool]:
    """The plan's call id behind a tool call id, and whether it came from a plan-first turn."""
    match = _PLANNED_ID.match(str(tool_call_id))
    return (match.group(1), True) if match else (str(tool_call_id), False)


def _text(message: Mapping[str, Any]) -> str:
    content = message.get("content") or ""
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content)


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return text


class ScriptedBrain:
    """Answers chat requests for a set of queries as a correct planner would."""

    def __init__(self, queries: Sequence[Query]) -> None:
        """Index the queries by question and by the opening of their `self` prompts."""
        self.parallel = True
        """False while a ReAct run asks: one tool call per turn."""
        self.by_question = {q.question.strip(): q for q in queries}
        self.graphs: dict[str, FRG] = {}
        self.self_prompts: list[tuple[str, Query]] = []
        for q in queries:
            frg = self.graph(q)
            for call in frg.calls.values():
                if call.tool == SELF_TOOL:
                    prompt = frg.bound_args[call.id].get("prompt")
                    head = _opening(prompt)
                    if head:
                        self.self_prompts.append((head, q))

    def graph(self, q: Query) -> FRG:
        """The query's FRG (cached)."""
        if q.qid not in self.graphs:
            self.graphs[q.qid] = build_frg(parse_plan(q.plan), list(q.tools))
        return self.graphs[q.qid]

    def __call__(self, messages: list[dict[str, Any]]) -> Reply:
        """The reply to one chat-completions request, from its messages."""
        system = " ".join(_text(m) for m in messages if m.get("role") == "system")
        query = self._query(messages)
        if query is None:
            return self._self_answer(messages)
        kind = current_request().kind
        if kind == "recover":
            return query.repairs.get(current_request().call or "", "")  # "": keep the call
        if kind in ("plan", "repair") or _COMPILER_PLANNER in system:
            return query.plan
        if kind == "join" or _COMPILER_JOINER in system:
            return self.answer(query)
        return self._turn(query, messages, parallel=self.parallel)

    def answer(self, query: Query) -> str:
        """What the joiner answers for `query` (LLMOrch's and LLMCompiler's alike)."""
        return self._final(query, {})

    # -- requests -------------------------------------------------------------------

    def _query(self, messages: Sequence[Mapping[str, Any]]) -> Query | None:
        for message in messages:
            if message.get("role") == "user":
                text = _text(message).strip()
                if text in self.by_question:
                    return self.by_question[text]
                for question, q in self.by_question.items():
                    if text.startswith("Question: " + question):
                        return q
        return None

    def _self_answer(self, messages: Sequence[Mapping[str, Any]]) -> str:
        prompt = _text(messages[-1]) if messages else ""
        for head, q in self.self_prompts:
            if prompt.startswith(head):
                return q.self_answer(prompt)
        return f"(no script for: {prompt[:80]})"

    def _final(self, query: Query, results: Mapping[str, Any]) -> str:
        if query.label is not None:
            return query.label
        last = list(self.graph(query).calls)[-1]
        return str(results.get(last, "Done."))

    def _turn(
        self, query: Query, messages: Sequence[Mapping[str, Any]], *, parallel: bool
    ) -> Reply:
        frg = self.graph(query)
        results = {
            _call_id(m.get("tool_call_id"))[0]: _value(_text(m))
            for m in messages
            if m.get("role") == "tool"
        }
        ids = [
            _call_id(call.get("id"))
            for m in messages
            if m.get("role") == "assistant"
            for call in m.get("tool_calls") or []
        ]
        asked = {cid for cid, _ in ids}
        # A tool-calling agent does the plan's `self` steps in its own turns: it reads the
        # results and writes the answer, so they are not tool calls here.
        done = set(results) | {c for c, call in frg.calls.items() if call.tool == SELF_TOOL}
        ready = [
            cid
            for cid in frg.calls
            if cid not in asked
            and frg.calls[cid].tool != SELF_TOOL
            and all(p in done for p in _tool_ancestors(frg, cid))
        ]
        if not ready:
            planned = any(from_plan for _, from_plan in ids)
            return self.answer(query) if planned else self._final(query, results)
        calls = []
        for cid in ready if parallel else ready[:1]:
            args = {k: _arg(v, results) for k, v in frg.bound_args[cid].items()}
            calls.append({"id": cid, "name": frg.calls[cid].tool, "args": args})
        return {"tool_calls": calls}


def _tool_ancestors(frg: FRG, cid: str) -> list[str]:
    """The nearest non-`self` ancestors of a call (through `self` steps)."""
    out: list[str] = []
    for parent in frg.parents(cid):
        if frg.calls[parent].tool == SELF_TOOL:
            out += _tool_ancestors(frg, parent)
        else:
            out.append(parent)
    return out


def _arg(expr: Any, results: Mapping[str, Any]) -> Any:
    try:
        return evaluate(expr, results)
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return str(expr)


def _opening(prompt: Any) -> str:
    """The literal text a `self` prompt starts with, before its first reference."""
    if isinstance(prompt, str):
        return prompt[:40]
    if isinstance(prompt, Template) and prompt.parts and isinstance(prompt.parts[0], str):
        return prompt.parts[0][:40]
    return ""

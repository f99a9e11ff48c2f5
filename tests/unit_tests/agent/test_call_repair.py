"""The repair node's rewrites of failed calls: when it gives up, which rewrites it keeps."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_llmorch import Orchestrator, build_frg, compute, inout, parse_plan
from langchain_llmorch.agent.call_repair import checked_rewrite, exhausted
from langchain_llmorch.agent.options import AgentOptions
from langchain_llmorch.agent.requests import Reply
from langchain_llmorch.agent.state import AgentContext
from langchain_llmorch.testing import planner_or


@inout
def lookup(city: str) -> int:
    """Look up a city's population."""
    return len(city)


@inout
def geocode(city: str) -> str:
    """Look up a city's coordinates."""
    return city


@compute
def square(n: int) -> int:
    """Square a number (CPU-bound)."""
    return n * n


PLAN = 's1: lookup(city="Paris")\ns2: square(n=s1)'


def _ctx(max_recoveries: int = 2) -> AgentContext:
    tools = [lookup, geocode, square]
    return AgentContext.build(
        planner_or(PLAN),
        tools,
        Orchestrator(tools),
        AgentOptions(max_recoveries=max_recoveries),
    )


def _state(**extra: Any) -> dict[str, Any]:
    return {"errors": {"s1": "timed out"}, "recoveries": 0, "rewrites": []} | extra


def test_a_first_failure_is_tried_again() -> None:
    assert exhausted(_state(), _ctx()) is None  # type: ignore[arg-type]


def test_no_more_tries_once_the_recoveries_are_spent() -> None:
    reason = exhausted(_state(recoveries=2), _ctx(max_recoveries=2))  # type: ignore[arg-type]
    assert reason is not None
    assert "after 2 recovery attempt(s)" in reason
    assert "- s1: timed out" in reason


@pytest.mark.parametrize(
    "extra",
    [
        {"unrecoverable": ["s1"]},
        {"rewrites": [{"id": "s1", "kept": False}]},
    ],
)
def test_no_try_when_no_rewrite_can_fix_the_failed_calls(extra: dict[str, Any]) -> None:
    reason = exhausted(_state(**extra), _ctx())  # type: ignore[arg-type]
    assert reason is not None
    assert "no rewrite can fix them" in reason


def test_a_kept_rewrite_of_the_same_call_does_not_end_the_tries() -> None:
    state = _state(rewrites=[{"id": "s1", "kept": True}])
    assert exhausted(state, _ctx()) is None  # type: ignore[arg-type]


def _rewrite(reply: str) -> tuple[str, bool]:
    ctx = _ctx()
    plan = parse_plan(PLAN)
    frg = build_frg(plan, ctx.tools, self_kind=ctx.self_kind)
    rewrite = checked_rewrite(frg.calls["s1"], Reply(text=reply), plan, frg, ctx)
    return rewrite.call.render(), rewrite.changed


def test_a_usable_rewrite_is_kept() -> None:
    assert _rewrite('s1: lookup(city="Paris, France")') == (
        's1: lookup(city="Paris, France")',
        True,
    )


@pytest.mark.parametrize(
    "reply",
    [
        "I cannot fix this call.",  # no call in the reply
        's1: nosuch(city="Paris")',  # a tool that does not exist breaks the plan
        "s1: square(n=3)",  # inout -> compute: the paper forbids switching kinds
    ],
)
def test_an_unusable_rewrite_keeps_the_original_call(reply: str) -> None:
    assert _rewrite(reply) == ('s1: lookup(city="Paris")', False)

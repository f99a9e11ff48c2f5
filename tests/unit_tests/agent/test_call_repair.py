"""The repair node's rewrites of failed calls: when it gives up, which rewrites it keeps."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_llmorch import (
    Orchestrator,
    build_frg,
    compute,
    create_llmorch_agent,
    inout,
    parse_plan,
)
from langchain_llmorch.agent.call_repair import checked_rewrite, exhausted
from langchain_llmorch.agent.options import AgentOptions
from langchain_llmorch.agent.requests import Reply
from langchain_llmorch.agent.state import AgentContext
from langchain_llmorch.errors import RecoveryExhaustedError
from langchain_llmorch.testing import ScriptedChatModel, planner_or, request_kind


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


# ---------------------------------------------- the same call again, after it failed


@inout
def tank_fish(tank: str) -> int:
    """Look up how many fish live in an aquarium tank."""
    if tank == "Slow":
        raise TimeoutError
    return {"Reef": 85}[tank]


def _run_same_call_back(failing: str, **options: Any) -> tuple[dict[str, Any], int]:
    asked: list[str] = []

    def script(messages: list[Any]) -> str:
        kind = request_kind(messages)
        if kind in {"plan", "repair"}:
            return f's1: tank_fish(tank="Reef")\ns2: tank_fish(tank="{failing}")'
        if kind == "recover":  # the failed call, as it was
            asked.append(kind)
            return f's2: tank_fish(tank="{failing}")'
        return "The Reef has 85 fish."

    agent = create_llmorch_agent(
        ScriptedChatModel(script), [tank_fish], check_plans=False, max_recoveries=2, **options
    )
    out: dict[str, Any] = agent.invoke({"messages": [("user", "How many fish?")]})
    return out, len(asked)


def test_a_call_that_was_not_found_is_not_run_again_unchanged() -> None:
    out, recoveries = _run_same_call_back("Kelp")
    assert recoveries == 1  # not once per recovery turn
    assert "same call" in out["failure"]
    assert "- s2: KeyError" in out["failure"]
    assert out["results"] == {"s1": 85}
    assert "Kelp" in out["messages"][-1].text  # named as unavailable


def test_unchanged_and_out_of_turns_raises_when_asked() -> None:
    with pytest.raises(RecoveryExhaustedError, match="same call"):
        _run_same_call_back("Kelp", raise_on_failure=True)


def test_a_call_that_may_pass_on_a_retry_is_run_again() -> None:
    out, recoveries = _run_same_call_back("Slow")
    assert recoveries == 2  # every recovery turn
    assert "after 2 recovery attempt(s)" in out["failure"]

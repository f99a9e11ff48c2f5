"""The set-up the sync and async durability tests share: agents, plans, a ledger's tasks.

`durable_agent` builds an agent on a scripted planner, checkpointed in memory;
`invoke` runs it with `invoke` or `ainvoke`; `fake_tasks` swaps the ledger's sync
LangGraph task for futures the test ends; `plan_frg` builds a plan's FRG on the test tools.
The plans several durability test modules run are here too.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool
from langgraph.checkpoint.memory import InMemorySaver

from langchain_llmorch import build_frg, create_llmorch_agent, parse_plan
from langchain_llmorch.agent import durable
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.testing import planner_or
from tests.unit_tests._work import ALL
from tests.unit_tests.agent._durable_tools import folded_answer

QUESTION = {"messages": [("user", "q")]}

# s3 and s4 wait for s2, which pauses the first run; s4 pauses the second.
TWO_PAUSES = """\
s1: fetch(key="a")
s2: ask_human(question="one")
s3: fetch(key=s2)
s4: ask_human(question=s3)
s5: self(prompt="{s1} {s4}")"""

PARALLEL_ASKS = """\
s1: ask_human(question="one")
s2: ask_human(question="two")
s3: self(prompt="{s1} {s2}")"""

FOUR = "s1: add(a=1)\ns2: add(a=2)\ns3: add(a=3)\ns4: add(a=4)"


def durable_agent(
    plan: str | BaseChatModel,
    tool_list: Sequence[BaseTool],
    *,
    script: Mapping[str, Any] | None = None,
    **options: Any,
) -> Any:
    """An agent checkpointed in memory (unless `checkpointer` is given).

    A `plan` string is planned by a scripted model that answers with the last folded step
    (`script`: its other replies, e.g. `recover`); a model is used as it is.
    """
    model = (
        planner_or(plan, answer=folded_answer, **(script or {})) if isinstance(plan, str) else plan
    )
    options.setdefault("checkpointer", InMemorySaver())
    return create_llmorch_agent(model, tool_list, **options)


async def invoke(graph: Any, inputs: Any, config: Any, mode: str) -> dict[str, Any]:
    """Run `graph` with `invoke` (`mode="sync"`) or `ainvoke`."""
    out: dict[str, Any] = (
        graph.invoke(inputs, config) if mode == "sync" else await graph.ainvoke(inputs, config)
    )
    return out


def plan_frg(plan: str) -> FRG:
    """The FRG of `plan` on the test tools."""
    return build_frg(parse_plan(plan), ALL)


def fake_tasks(
    monkeypatch: pytest.MonkeyPatch, saved: Mapping[str, dict[str, Any]] | None = None
) -> dict[str, concurrent.futures.Future[Any]]:
    """Make each call's sync task a future the test ends; those in `saved` hand it back."""
    tasks: dict[str, concurrent.futures.Future[Any]] = {}

    def record(slot: Any) -> concurrent.futures.Future[Any]:
        tasks[slot.id] = concurrent.futures.Future()
        if slot.id in (saved or {}):
            tasks[slot.id].set_result(saved[slot.id])  # type: ignore[index]
        return tasks[slot.id]

    monkeypatch.setattr(durable, "record", record)
    return tasks

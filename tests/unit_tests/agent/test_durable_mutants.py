"""Durable calls (`agent/durable.py`): what identifies a saved call, and how errors settle.

Written for the mutants of `agent/durable.py` that the rest of the suite let live. A saved
result counts only for the same call fed by the same lines; what stands for "the lines it
depends on" must not depend on which calls of the plan were issued in this run (after a
recovery, finished calls are kept and only the rest are issued).
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.func import entrypoint

from langchain_llmorch import build_frg, parse_plan
from langchain_llmorch.agent.durable import CallLedger, InterruptInComputeError, settle
from langchain_llmorch.engine.events import RunResult
from langchain_llmorch.plan.frg import FRG
from tests.unit_tests._work import ALL

PLAN = "s1: add(a=1)\ns2: add(a=s1)\ns3: add(a=s1, b=s2)\ns4: add(a=s3)"


def _inputs(frg: FRG, ids: list[str], thread: str) -> dict[str, str]:
    """What the ledger records as the inputs of calls `ids` issued in a graph."""

    @entrypoint(checkpointer=InMemorySaver())
    def issue(ids: list[str], config: RunnableConfig) -> dict[str, str]:
        ledger = CallLedger.open(config)
        assert ledger is not None
        ledger.issue(frg, ids)
        for cid in ids:
            ledger.save(cid, cid)
        ledger.close()
        return dict(ledger.inputs)

    out: dict[str, str] = issue.invoke(ids, {"configurable": {"thread_id": thread}})
    return out


def test_a_calls_inputs_are_the_same_whichever_calls_were_issued_before() -> None:
    frg = build_frg(parse_plan(PLAN), ALL)
    every = _inputs(frg, ["s1", "s2", "s3", "s4"], "all")
    assert _inputs(frg, ["s4"], "last") == {"s4": every["s4"]}
    assert _inputs(frg, ["s3", "s4"], "two") == {"s3": every["s3"], "s4": every["s4"]}
    # Calls fed by different lines have different inputs.
    assert len(set(every.values())) == len(every)


def test_a_changed_ancestor_changes_the_inputs_of_every_descendant() -> None:
    before = _inputs(build_frg(parse_plan(PLAN), ALL), ["s4"], "before")
    changed = PLAN.replace("s1: add(a=1)", "s1: add(a=2)")
    assert _inputs(build_frg(parse_plan(changed), ALL), ["s4"], "after") != before


def test_only_the_graph_context_error_of_a_compute_call_is_explained() -> None:
    frg = build_frg(parse_plan("s1: add(a=1)\ns2: add(a=2)\ns3: add(a=3)"), ALL)
    own = RuntimeError("the tool's own failure")
    outside = RuntimeError("Called get_config outside of a runnable context")
    other = ValueError("outside of a runnable context")
    run = settle(RunResult(errors={"s1": own, "s2": outside, "s3": other}), frg)
    assert run.errors["s1"] is own
    assert isinstance(run.errors["s2"], InterruptInComputeError)
    assert "s2: compute tool 'add' called interrupt()" in str(run.errors["s2"])
    assert run.errors["s3"] is other


def test_no_ledger_without_a_checkpointer() -> None:
    config: Any = {"configurable": {}}
    assert CallLedger.open(config) is None

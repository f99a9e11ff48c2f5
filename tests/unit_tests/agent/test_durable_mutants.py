"""Durable calls (`agent/durable.py`): what identifies a saved call, and how errors settle.

Written for the mutants of `agent/durable.py` that the rest of the suite let live. A saved
result counts only for the same call fed by the same lines; what stands for "the lines it
depends on" must not depend on which calls of the plan were issued in this run (after a
recovery, finished calls are kept and only the rest are issued).
"""

from __future__ import annotations

from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph._internal._constants import CONFIG_KEY_CHECKPOINTER as KEY
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.func import entrypoint

from langchain_llmorch import build_frg, parse_plan
from langchain_llmorch.agent.durable import (
    CallLedger,
    InterruptInComputeError,
    ResultNotStorableError,
    settle,
)
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
    text = 's1: add(a=1)\ns2: add(a=2)\ns3: add(a=3)\ns4: self(prompt="x")'
    frg = build_frg(parse_plan(text), ALL)
    own = RuntimeError("the tool's own failure")
    outside = RuntimeError("Called get_config outside of a runnable context")
    other = ValueError("outside of a runnable context")
    inout = RuntimeError("Called get_config outside of a runnable context")
    run = settle(RunResult(errors={"s1": own, "s2": outside, "s3": other, "s4": inout}), frg)
    assert run.errors["s1"] is own
    assert isinstance(run.errors["s2"], InterruptInComputeError)
    said = str(run.errors["s2"])
    assert said.startswith("s2: compute tool 'add' called interrupt()")
    assert said.endswith("Make the tool inout, or ask before the plan runs (approve_plan=True).")
    assert run.errors["s3"] is other
    assert run.errors["s4"] is inout  # an inout call runs in the graph: its error stands


class _Refuses:
    """A serializer that cannot store anything."""

    def dumps_typed(self, value: object) -> tuple[str, bytes]:
        msg = f"cannot store {type(value).__name__}"
        raise TypeError(msg)


class _Saver:
    serde = _Refuses()


def test_a_result_the_checkpointer_cannot_store_names_its_call_and_tool() -> None:
    frg = build_frg(parse_plan('s1: echo(value="k:v (x")'), ALL)

    @entrypoint(checkpointer=InMemorySaver())
    def issue(_: str, config: RunnableConfig) -> str:
        ledger = CallLedger(_Refuses())
        ledger.issue(frg, ["s1"])
        try:
            ledger.save("s1", object())
        except ResultNotStorableError as err:
            return str(err)
        finally:
            ledger.close()
        return ""

    said = str(issue.invoke("go", {"configurable": {"thread_id": "refused"}}))
    assert said.startswith("the result of s1 (echo) cannot be saved by the checkpointer: ")
    assert "TypeError: cannot store dict" in said
    assert said.endswith("opt in to pickling with serde=JsonPlusSerializer(pickle_fallback=True)")


def test_no_ledger_without_a_checkpointer() -> None:
    for config in (
        {},
        {"configurable": {}},
        *({"configurable": {KEY: v}} for v in (None, True, False)),
    ):
        assert CallLedger.open(cast("Any", config)) is None
    ledger = CallLedger.open(cast("Any", {"configurable": {KEY: object()}}))
    assert ledger is not None
    assert ledger.serde is None  # a checkpointer without a serializer: nothing checked
    ledger = CallLedger.open(cast("Any", {"configurable": {KEY: _Saver()}}))
    assert ledger is not None
    assert isinstance(ledger.serde, _Refuses)

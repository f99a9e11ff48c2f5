"""A call's own config (`CALL_CONFIG_KEY`, `engine/calls.py`): waited for on the loop, holding nothing.

The durable agent hands each inout call the config of its own LangGraph task. A call
whose config is not known yet waits for it before it takes anything (a thread, a limit),
so while it waits every other call still runs; once known, its tool runs with it.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from langchain_core.runnables import RunnableConfig

from langchain_llmorch import Orchestrator, build_frg, inout, parse_plan
from langchain_llmorch.engine.calls import CALL_CONFIG_KEY


class _Configs:
    """Call `s1` waits for `known`; its config then says `own`; other calls keep the run's."""

    def __init__(self) -> None:
        self.known: Future[Any] = Future()
        self.asked: list[str] = []

    def pending(self, cid: str) -> Future[Any] | None:
        self.asked.append(cid)
        return self.known if cid == "s1" else None

    def config(self, cid: str) -> RunnableConfig | None:
        if cid == "s1" and self.known.done():
            return {"configurable": {"whose": self.known.result()}}
        return None


CONFIGS = _Configs()


@inout
def whose(config: RunnableConfig) -> str:
    """Say whose config the call runs with."""
    return str(config.get("configurable", {}).get("whose", "the run's"))


@inout
def release(config: RunnableConfig) -> str:
    """Make s1's config known (from this call's thread), then say whose config it has."""
    CONFIGS.known.set_result("s1's own")
    return str(config.get("configurable", {}).get("whose", "the run's"))


def _run(config: RunnableConfig) -> Any:
    frg = build_frg(parse_plan("s1: whose()\ns2: release()"), [whose, release])
    return Orchestrator([whose, release], max_threads=1).run(frg, config=config)


def test_a_call_waiting_for_its_config_holds_no_limit_and_runs_with_it_once_known() -> None:
    # One call at a time (max_concurrency=1) and one thread: s1 can run only after s2 made
    # its config known. Were it to wait holding the limit or the thread, s2 never ran.
    global CONFIGS  # noqa: PLW0603 - the tools read the module's
    CONFIGS = _Configs()
    result = _run({"max_concurrency": 1, "configurable": {CALL_CONFIG_KEY: CONFIGS}})
    assert result.results == {"s1": "s1's own", "s2": "the run's"}
    s1, s2 = (next(r for r in result.trace if r.id == cid) for cid in ("s1", "s2"))
    assert s2.ended_at <= s1.started_at  # s1 started (its tool ran) only once it was known
    assert "s1" in CONFIGS.asked


def test_a_direct_call_waiting_for_its_config_goes_through_the_loop() -> None:
    # Without max_concurrency a sync tool goes straight to a thread, unless it must wait.
    global CONFIGS  # noqa: PLW0603
    CONFIGS = _Configs()
    result = _run({"configurable": {CALL_CONFIG_KEY: CONFIGS}})
    assert result.results == {"s1": "s1's own", "s2": "the run's"}
    s1, s2 = (next(r for r in result.trace if r.id == cid) for cid in ("s1", "s2"))
    assert s2.started_at <= s1.started_at  # s1 started only once s2 had made it known

"""Nothing of the machine-wide slots blocks the event loop (what `langgraph dev` refuses).

`blockbuster` raises `BlockingError` for a blocking system call (os.stat, os.mkdir, file
reads and writes, ...) made on the running event loop: the same detector LangGraph's server
runs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from blockbuster import BlockingError, blockbuster_ctx

from langchain_llmorch import create_llmorch_agent
from langchain_llmorch.processes.slots import SlotGroup
from langchain_llmorch.testing import planner_or
from tests.unit_tests._work import add, busy

pytestmark = pytest.mark.timeout(120)


async def test_async_agent_with_compute_calls_and_a_self_step_never_blocks_the_loop() -> None:
    plan = (
        "s1: add(a=1, b=2)\n"
        "s2: busy(seconds=0.05)\n"
        "s3: add(a=s1, b=10)\n"
        's4: self(prompt="Say s3")\n'
        "join()"
    )
    agent = create_llmorch_agent(planner_or(plan, "ok"), [add, busy], max_processors=2)
    with blockbuster_ctx():
        result = await agent.ainvoke({"messages": [("user", "go")]})
    assert not result["errors"], result["errors"]
    assert result["results"]["s3"] == 13.0


async def test_slot_wait_cancel_and_release_never_block_the_loop(tmp_path: Path) -> None:
    group = SlotGroup(1, tmp_path / "slots")
    with blockbuster_ctx():
        held = await group.acquire()
        waiter = asyncio.ensure_future(group.acquire(priority=1.0))
        await asyncio.sleep(0.05)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        await group.arelease(held)
        again = await asyncio.wait_for(group.acquire(), 10)
        await group.arelease(again)
    assert group.holding() == 0


async def test_the_detector_sees_a_blocking_call() -> None:
    """The two tests above would pass vacuously if the detector were off."""
    with blockbuster_ctx(), pytest.raises(BlockingError):
        Path(__file__).stat()  # noqa: ASYNC240 - the call the detector must refuse

"""The worker pool's guarantees that the mutation run of `processes.pool` found untested."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import pytest

from langchain_llmorch.errors import BrokenPoolError
from langchain_llmorch.processes import pool as pool_module
from langchain_llmorch.processes.pool import ProcessPool, get_pool
from langchain_llmorch.processes.slots import SLOT_DIR_ENV
from tests.unit_tests import _pool_funcs as funcs
from tests.unit_tests.processes._helpers import PATIENCE, wait_until

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize("processors", [True, 1.5, 0, -1, "2"])
def test_a_pool_size_must_be_a_positive_integer(processors: object) -> None:
    """Booleans, floats, strings and sizes below 1 are refused with ValueError."""
    with pytest.raises(ValueError, match="processors must be a positive integer"):
        ProcessPool(processors)  # type: ignore[arg-type]


def test_a_pool_without_machine_wide_slots_has_no_slot_limit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With the slots off there is no share to hold; with them on it is the pool's size."""
    monkeypatch.setenv(SLOT_DIR_ENV, str(tmp_path))
    off = ProcessPool(2, slot_group="off")
    assert (off.slots, off.slot_limit) == (None, None)
    on = ProcessPool(2, slot_group=f"limit-{os.getpid()}")
    assert on.slots is not None
    assert on.slot_limit is not None
    assert on.slot_limit.size == 2


def test_a_shut_down_pool_refuses_to_start_again() -> None:
    """start() after shutdown() says the pool was shut down (BrokenPoolError)."""
    pool = ProcessPool(2)
    pool.shutdown()
    with pytest.raises(BrokenPoolError, match="the pool was shut down"):
        pool.start()


def test_a_pool_whose_workers_cannot_start_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    """start() fails with BrokenPoolError naming the first worker's error, and shuts down."""
    monkeypatch.setattr(sys, "executable", "")
    pool = ProcessPool(1)
    with pytest.raises(
        BrokenPoolError, match=r"could not start the worker processes: sys\.executable is unknown"
    ):
        pool.start()
    assert pool.shut_down


def test_get_pool_keeps_one_pool_per_slot_group(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Pools of the same size in different slot groups are different pools, each its own."""
    monkeypatch.setenv(SLOT_DIR_ENV, str(tmp_path))
    named = get_pool(1, slot_group=f"pools-{os.getpid()}")
    off = get_pool(1, slot_group="off")
    try:
        assert off is not named
        assert off.slots is None
        assert named.slots is not None
        assert named.slots.directory == tmp_path / f"pools-{os.getpid()}"
        assert get_pool(1, slot_group="off") is off
    finally:
        named.shutdown()
        off.shutdown()


def test_on_start_hears_where_the_call_runs(pool: ProcessPool) -> None:
    """on_start is called once, before the result, with the call's pid and processor."""
    heard: list[tuple[int, int]] = []
    future = pool.submit(funcs.return_value, (1,), on_start=lambda *where: heard.append(where))
    outcome = future.result()
    assert heard == [(outcome.pid, outcome.processor)]


def test_a_worker_that_cannot_be_pinned_reports_its_slot_as_processor(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Where no core is known, each worker's processor is its slot index: 0 and 1."""
    monkeypatch.setattr(pool_module, "allowed_cores", list)
    pool = ProcessPool(2, slot_group="off")
    try:
        gate = tmp_path / "gate"
        futures = [pool.submit(funcs.wait_for_file, (str(gate),)) for _ in range(2)]
        wait_until(lambda: pool.running() == 2, "both workers run a call")
        gate.touch()
        assert {f.result(timeout=PATIENCE).processor for f in futures} == {0, 1}
    finally:
        pool.shutdown()

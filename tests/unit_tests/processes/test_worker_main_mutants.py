"""The worker program's guarantees that the mutation sample of `processes.worker_main` found
untested (its mutants run inside the worker, so they were applied by hand)."""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING

import pytest

from langchain_llmorch.errors import UnpicklableCallError
from langchain_llmorch.processes.records import RemoteTraceback

if TYPE_CHECKING:
    from langchain_llmorch.processes.pool import ProcessPool


def test_a_function_that_never_loaded_has_no_run_time_span(
    pool: ProcessPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call whose function cannot be loaded never started: its cause carries no span."""
    ghost = types.ModuleType("llmorch_ghost_for_spans")  # here, not in the worker
    exec(compile("def f():\n    return 1\n", "<ghost>", "exec"), ghost.__dict__)  # noqa: S102
    monkeypatch.setitem(sys.modules, ghost.__name__, ghost)
    with pytest.raises(UnpicklableCallError) as caught:
        pool.submit(ghost.f).result()
    cause = caught.value.__cause__
    assert isinstance(cause, RemoteTraceback)
    assert (cause.started_at, cause.ended_at) == (0.0, 0.0)

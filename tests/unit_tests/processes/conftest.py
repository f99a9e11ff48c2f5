"""The module-wide pool of P workers that the worker-pool tests share."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from langchain_llmorch.processes.pool import ProcessPool
from tests.unit_tests.processes._helpers import P

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPool]:
    pool = ProcessPool(P)
    pool.start()
    yield pool
    pool.shutdown()

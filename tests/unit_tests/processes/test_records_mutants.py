"""A call record's guarantees that the mutation sample of `processes.records` found untested."""

from __future__ import annotations

import math

import pytest

from langchain_llmorch.processes.records import Job
from tests.unit_tests import _pool_funcs as funcs


def test_a_nan_priority_is_refused_with_a_plain_message() -> None:
    """The whole message, as a user reads it."""
    with pytest.raises(ValueError, match=r"^priority must be a number, not NaN$"):
        Job.create(
            funcs.return_value,
            (),
            None,
            call_id=0,
            priority=math.nan,
            timeout=None,
            on_start=None,
        )

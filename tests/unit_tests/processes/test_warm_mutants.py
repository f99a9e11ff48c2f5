"""Background warming's guarantees that the mutation run of `processes.warm` found untested."""

from __future__ import annotations

import logging

import pytest

from langchain_llmorch import compute
from langchain_llmorch.processes.warm import WARM_ENV, warm_in_background


@compute
def square(x: int) -> int:
    """x squared."""
    return x * x


class FailsToWarm:
    """A target whose workers cannot start."""

    def warm(self) -> None:
        msg = "no interpreter"
        raise RuntimeError(msg)


def test_a_failed_background_warm_is_logged_quietly_with_its_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The warming thread does not raise; it logs the failure at debug level, with the error."""
    monkeypatch.delenv(WARM_ENV, raising=False)
    with caplog.at_level(logging.DEBUG, logger="langchain_llmorch.processes.warm"):
        thread = warm_in_background(FailsToWarm(), [square])
        assert thread is not None
        thread.join()
    (record,) = [  # other tests' warming threads may log too
        r for r in caplog.records if r.exc_info and str(r.exc_info[1]) == "no interpreter"
    ]
    assert record.name == "langchain_llmorch.processes.warm"
    assert record.levelno == logging.DEBUG
    assert record.getMessage() == "background warming failed"

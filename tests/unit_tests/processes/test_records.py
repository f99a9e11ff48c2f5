"""Guarantees of a call's records in the parent (`processes.records`), without processes."""

from __future__ import annotations

import math
import pickle
import signal
import threading

import cloudpickle
import pytest

from langchain_llmorch.errors import (
    BrokenPoolError,
    CallTimeoutError,
    UnpicklableCallError,
    WorkerCrashedError,
)
from langchain_llmorch.processes.records import (
    CallOutcome,
    Job,
    JobState,
    RemoteCallError,
    RemoteTraceback,
)
from langchain_llmorch.processes.worker_main import Reply, Status
from tests.unit_tests import _pool_funcs as funcs


def make_job(fn: object = funcs.return_value, *, timeout: float | None = None) -> Job:
    return Job.create(
        fn,  # type: ignore[arg-type]
        (1,),
        {"b": 2},
        call_id=4,
        priority=0.5,
        timeout=timeout,
        on_start=None,
    )


def test_a_job_carries_its_call_pickled_and_a_pending_future() -> None:
    """Job.create pickles function and arguments up front; the digest names the function."""
    job = make_job()
    assert cloudpickle.loads(job.fn_pickle) is funcs.return_value
    assert cloudpickle.loads(job.args_pickle) == ((1,), {"b": 2})
    assert job.fn_digest == make_job().fn_digest != make_job(funcs.sleep_for).fn_digest
    assert (job.name, job.call_id, job.priority, job.state) == (
        "return_value",
        4,
        0.5,
        JobState.QUEUED,
    )
    assert not job.future.done()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"timeout": 0.0}, ValueError, "timeout must be positive"),
        ({"priority": math.nan}, ValueError, "NaN"),
        ({"args": (threading.Lock(),)}, UnpicklableCallError, "Pass plain data"),
    ],
    ids=["zero-timeout", "nan-priority", "unpicklable-argument"],
)
def test_a_call_that_cannot_be_sent_is_refused_before_it_exists(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    """Bad timeouts, NaN priorities and unpicklable arguments raise from Job.create."""
    options: dict[str, object] = {"priority": 0.0, "timeout": None, **kwargs}
    args = options.pop("args", ())
    with pytest.raises(error, match=match):
        Job.create(funcs.return_value, args, None, call_id=0, on_start=None, **options)  # type: ignore[arg-type]


def test_an_ok_reply_settles_the_value_and_where_it_ran() -> None:
    """Status OK: the future's result is a CallOutcome with the worker's pid, core and times."""
    job = make_job()
    job.settle_reply(Reply(4, Status.OK, cloudpickle.dumps([1, 2]), 1.0, 2.0), 99, 1)
    assert job.future.result(timeout=0) == CallOutcome([1, 2], 1, 99, 1.0, 2.0)


def test_a_raised_exception_comes_back_with_the_remote_traceback_as_cause() -> None:
    """Status RAISED: the tool's exception itself, chained to a RemoteTraceback."""
    job = make_job()
    payload = cloudpickle.dumps(KeyError("k"))
    job.settle_reply(Reply(4, Status.RAISED, payload, 1.0, 2.0, "Traceback: here"), 99, 1)
    error = job.future.exception(timeout=0)
    assert isinstance(error, KeyError)
    cause = error.__cause__
    assert isinstance(cause, RemoteTraceback)
    assert (cause.text, cause.pid, cause.processor) == ("Traceback: here", 99, 1)


@pytest.mark.parametrize(
    ("status", "payload", "error", "match"),
    [
        (Status.RAISED, b"", RemoteCallError, "SystemExit: 3"),
        (Status.RESULT_UNSENDABLE, b"", UnpicklableCallError, "cannot be sent back"),
        (Status.LOAD_FAILED, b"", UnpicklableCallError, "register_pickle_by_value"),
        (Status.OK, b"not a pickle", UnpicklableCallError, "could not be unpickled here"),
    ],
    ids=["exception-lost", "result-unsendable", "load-failed", "result-garbled"],
)
def test_replies_that_carry_no_usable_value_become_typed_errors(
    status: Status, payload: bytes, error: type[Exception], match: str
) -> None:
    """Each failure the worker reports maps to one of the package's error types."""
    job = make_job()
    job.settle_reply(Reply(4, status, payload, summary="SystemExit: 3"), 99, 1)
    with pytest.raises(error, match=match):
        job.future.result(timeout=0)


@pytest.mark.parametrize(
    ("reason", "returncode", "error", "match"),
    [
        ("timeout", -signal.SIGKILL, CallTimeoutError, "past its 2 s timeout; worker 99"),
        ("shutdown", -signal.SIGKILL, BrokenPoolError, "shut down while return_value"),
        (None, -signal.SIGSEGV, WorkerCrashedError, r"killed by SIGSEGV\) while running"),
        (None, 3, WorkerCrashedError, r"exit code 3\)"),
    ],
    ids=["timeout", "shutdown", "signal", "exit-code"],
)
def test_a_dead_worker_settles_its_call_by_why_it_died(
    reason: str | None, returncode: int, error: type[Exception], match: str
) -> None:
    """A kill reason picks the error; without one the worker crashed (signal or exit code)."""
    job = make_job(timeout=2.0)
    job.settle_death(reason, 99, returncode)  # type: ignore[arg-type]
    with pytest.raises(error, match=match):
        job.future.result(timeout=0)


def test_a_settled_future_keeps_its_first_outcome() -> None:
    """Settling twice (a cancel racing a reply, say) neither raises nor overwrites."""
    job = make_job()
    job.future.cancel()
    job.settle(error=ValueError("late"))
    job.settle_death(None, 99, 1)
    assert job.future.cancelled()
    done = make_job()
    done.settle(CallOutcome("first", 0, 1, 0.0, 0.0))
    done.settle(error=ValueError("late"))
    assert done.future.result(timeout=0).value == "first"


def test_remote_traceback_pickles_as_plain_text() -> None:
    """The cause renders as the worker's traceback, framed, and survives pickling."""
    cause = RemoteTraceback("Traceback: here", 5, 0, 1.0, 2.0)
    assert str(cause) == '\n"""\nTraceback: here\n"""'
    assert str(pickle.loads(pickle.dumps(cause))) == str(cause)  # noqa: S301 -- our own bytes

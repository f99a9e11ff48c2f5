"""Inout calls are as isolated as compute ones.

A sync inout call past `call_timeout` fails with `CallTimeoutError`, gives its pool
slot back (within a bound) and never blocks interpreter exit; a `BaseException`
raised by a tool fails only its call; a real Ctrl-C still stops the run and leaves
no worker behind; arguments that cannot be built fail only their call.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from langchain_llmorch import Orchestrator, build_frg, inout, parse_plan
from langchain_llmorch.engine.backend import InoutThreads
from langchain_llmorch.errors import CallFailedError, CallTimeoutError, DependencyFailedError
from langchain_llmorch.plan.expressions import ExpressionError

RELEASE = threading.Event()


@inout
def stuck(tag: str = "") -> str:
    """Block until the test releases it (a hung HTTP call without a timeout)."""
    RELEASE.wait(60)
    return tag


@inout
def quick(tag: str = "") -> str:
    """Return at once."""
    return tag


@inout
def echo(x: Any = None) -> Any:
    """Return x."""
    return x


@inout
async def aecho(x: Any = None) -> Any:
    """Return x, async."""
    return x


RAISED: dict[str, type[BaseException]] = {
    "system_exit": SystemExit,
    "keyboard_interrupt": KeyboardInterrupt,
    "generator_exit": GeneratorExit,
}


@inout
def raise_sync(what: str) -> str:
    """Raise a BaseException from a thread."""
    raise RAISED[what]


@inout
async def raise_async(what: str) -> str:
    """Raise a BaseException on the event loop."""
    await asyncio.sleep(0)
    raise RAISED[what]


TOOLS = [stuck, quick, echo, aecho, raise_sync, raise_async]


def frg_of(text: str) -> Any:
    return build_frg(parse_plan(text), TOOLS)


@pytest.fixture
def released() -> Any:
    RELEASE.clear()
    yield
    RELEASE.set()


def test_a_timed_out_sync_call_fails_typed_and_the_pool_goes_on(released: None) -> None:
    orch = Orchestrator(TOOLS, max_threads=3, call_timeout=0.3)
    threads = orch.threads
    hung = frg_of("\n".join(f"s{i}: stuck(tag='{i}')" for i in range(5)))
    result = orch.run(hung)
    assert sorted(result.errors) == [f"s{i}" for i in range(5)]
    assert all(isinstance(e, CallTimeoutError) for e in result.errors.values())
    assert threads.stuck == 3  # the three that ran; the two queued were cancelled
    # The pool replaced its stuck threads: new calls run.
    after = orch.run(frg_of("s1: quick(tag='a')\ns2: quick(tag='b')"))
    assert after.results == {"s1": "a", "s2": "b"}
    # A second hung batch: no more threads are given up than the bound allows.
    orch.run(hung)
    assert threads.stuck <= threads.max_stuck
    alive = [t for t in threading.enumerate() if t.name == "llmorch-inout" and t.is_alive()]
    assert all(t.daemon for t in alive)
    RELEASE.set()  # the stuck tools return; their threads end
    deadline = time.monotonic() + 10
    while threads.stuck and time.monotonic() < deadline:
        time.sleep(0.02)
    assert threads.stuck == 0
    assert orch.run(frg_of("s1: quick(tag='c')")).results == {"s1": "c"}


def test_the_pool_bounds_the_threads_a_stuck_call_may_hold() -> None:
    gate = threading.Event()
    pool = InoutThreads(2, max_stuck=1)
    futures = [pool.submit(gate.wait, 30) for _ in range(3)]
    deadline = time.monotonic() + 10
    while sum(f.running() for f in futures) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    pool.abandon(futures[0])
    pool.abandon(futures[1])  # over max_stuck: keeps its slot
    assert pool.stuck == 1
    while not futures[2].running() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert futures[2].running()  # took the abandoned thread's slot
    gate.set()
    assert [f.result(timeout=10) for f in futures] == [True, True, True]
    pool.shutdown()


def test_a_stuck_sync_tool_does_not_block_interpreter_exit(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            """
            import time
            from langchain_llmorch import Orchestrator, build_frg, inout, parse_plan

            @inout
            def hang(x: int) -> int:
                \"\"\"Hang.\"\"\"
                time.sleep(3600)
                return x

            frg = build_frg(parse_plan("s1: hang(x=1)\\ns2: hang(x=2)"), [hang])
            result = Orchestrator([hang], call_timeout=0.5).run(frg)
            print(sorted(type(e).__name__ for e in result.errors.values()), flush=True)
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['CallTimeoutError', 'CallTimeoutError']"


@pytest.mark.parametrize("tool", ["raise_sync", "raise_async"])
@pytest.mark.parametrize("what", sorted(RAISED))
def test_a_base_exception_from_a_tool_fails_only_its_call(tool: str, what: str) -> None:
    frg = frg_of(f"s1: quick(tag='a')\ns2: {tool}(what='{what}')\ns3: echo(x=s1)\ns4: echo(x=s2)")
    result = Orchestrator(TOOLS).run(frg)
    assert result.results == {"s1": "a", "s3": "a"}
    assert isinstance(result.errors["s2"], CallFailedError)
    assert isinstance(result.errors["s2"].__cause__, RAISED[what])
    assert result.skipped == ["s4"]


async def test_a_base_exception_from_an_async_tool_fails_only_its_call_in_arun() -> None:
    frg = frg_of("s1: aecho(x=1)\ns2: raise_async(what='system_exit')")
    result = await Orchestrator(TOOLS).arun(frg)
    assert result.results == {"s1": 1}
    assert isinstance(result.errors["s2"], CallFailedError)


def test_a_timed_out_async_call_fails_with_call_timeout_error() -> None:
    @inout
    async def slow(x: int) -> int:
        """Sleep long."""
        await asyncio.sleep(30)
        return x

    frg = build_frg(parse_plan("s1: slow(x=1)"), [slow])
    result = Orchestrator([slow], call_timeout=0.2).run(frg)
    assert isinstance(result.errors["s1"], CallTimeoutError)


def test_a_tools_own_timeout_error_is_not_a_call_timeout() -> None:
    @inout
    async def times_out(x: int) -> int:
        """Raise the built-in TimeoutError, as an HTTP client does."""
        raise TimeoutError(x)

    frg = build_frg(parse_plan("s1: times_out(x=1)"), [times_out])
    result = Orchestrator([times_out], call_timeout=5).run(frg)
    assert type(result.errors["s1"]) is TimeoutError


def test_ctrl_c_stops_a_run_with_a_stuck_sync_tool_and_leaves_no_worker(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            """
            import signal
            import time
            from langchain_llmorch import Orchestrator, build_frg, inout, parse_plan
            from tests.unit_tests._work import ALL

            # As in a terminal, even when the tests run in the background (a shell's `&`
            # hands its children SIGINT ignored).
            signal.signal(signal.SIGINT, signal.default_int_handler)

            @inout
            def hang(x: int) -> int:
                \"\"\"Hang.\"\"\"
                time.sleep(3600)
                return x

            tools = [*ALL, hang]
            orch = Orchestrator(tools, max_processors=2)
            orch.warm()
            print(*orch.executor.worker_pids(), flush=True)
            plan = "s1: busy(seconds=60)\\ns2: busy(seconds=60)\\ns3: hang(x=1)"
            orch.run(build_frg(parse_plan(plan), tools))
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert len(pids) == 2
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=90) != 0  # stopped by the interrupt, not blocked by `hang`
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(psutil.pid_exists(p) for p in pids):
        time.sleep(0.1)
    assert not [p for p in pids if psutil.pid_exists(p)]


# ------------------------------------------------------------- argument evaluation


def test_doubling_results_fail_one_call_and_keep_the_finished_ones() -> None:
    lines = ['d0: aecho(x="' + "a" * 1000 + '")']
    lines += [f"d{i}: aecho(x=d{i - 1} + d{i - 1})" for i in range(1, 26)]
    result = Orchestrator(TOOLS).run(frg_of("\n".join(lines)))
    failed = next(iter(result.errors))
    assert isinstance(result.errors[failed], ExpressionError)
    assert len(result.results) == int(failed[1:])  # every call before it finished
    assert len(result.results[f"d{int(failed[1:]) - 1}"]) <= 4_000_000
    assert len(result.skipped) == 25 - int(failed[1:])


def test_the_calls_of_one_run_share_a_value_budget() -> None:
    @inout
    def big() -> str:
        """Three and a half million characters."""
        return "x" * 3_500_000

    tools = [*TOOLS, big]
    copies = "\n".join(f"c{i}: echo(x=s1 + '')" for i in range(6))
    result = Orchestrator(tools).run(build_frg(parse_plan(f"s1: big()\n{copies}"), tools))
    assert len(result.results) == 6  # s1 and five copies: 17.5 M of the 20 M budget
    (failed,) = result.errors.values()
    assert isinstance(failed, ExpressionError)
    assert "whole run" in str(failed)


def test_a_deep_result_put_into_text_fails_only_that_call() -> None:
    @inout
    def deep() -> Any:
        """A result nested 100,000 levels deep."""
        value: Any = 1
        for _ in range(100_000):
            value = [value]
        return value

    tools = [*TOOLS, deep]
    frg = build_frg(parse_plan('s1: deep()\ns2: echo(x=s1)\ns3: echo(x="{s1}")'), tools)
    result = Orchestrator(tools).run(frg)
    assert "s1" in result.results
    assert "s2" in {*result.results, *result.errors}  # LangChain may choke on it: its own error
    assert isinstance(result.errors["s3"], ExpressionError)


def test_any_failure_while_filling_arguments_is_the_calls_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from langchain_llmorch.engine import _coordinator as coordinator

    real = coordinator.evaluate_args

    def failing(exprs: Any, results: Any, **kwargs: Any) -> Any:
        if "x" in exprs and results:
            raise MemoryError
        return real(exprs, results, **kwargs)

    monkeypatch.setattr(coordinator, "evaluate_args", failing)
    result = Orchestrator(TOOLS).run(frg_of("s1: quick(tag='a')\ns2: echo(x=s1)"))
    assert result.results == {"s1": "a"}
    assert isinstance(result.errors["s2"], ExpressionError)
    assert isinstance(result.errors["s2"].__cause__, MemoryError)


def test_a_missing_result_is_still_a_dependency_failure() -> None:
    frg = frg_of("s1: quick(tag='a')\ns2: echo(x=s1)")
    result = Orchestrator(TOOLS).run(frg, results={"s1": "kept"})
    assert result.results["s2"] == "kept"
    assert DependencyFailedError  # the error kept for a result that vanished

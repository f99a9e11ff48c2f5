"""Running one call (`engine/calls.py`): arguments, where a call runs, and its errors.

Written for the mutants of `engine/calls.py` that the run-level tests let live. Each test
states one rule of the module: arguments are validated by the tool's schema (validated
values replace the given ones, nothing is added); a compute call that runs in this
process holds a machine-wide slot while it runs (and runs as an inout call with the slots
off); which calls go straight to a thread; the error texts of unknown tools, timeouts and
`BaseException`s raised by a tool.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field
from pydantic.v1 import BaseModel as BaseModelV1

from langchain_llmorch import Orchestrator, build_frg, compute, inout, parse_plan
from langchain_llmorch.engine.backend import InoutThreads
from langchain_llmorch.engine.calls import (
    CallRunner,
    ToolArgumentsError,
    compute_payload,
    has_async_impl,
    validated_args,
)
from langchain_llmorch.engine.events import RunResult, TraceRecord
from langchain_llmorch.errors import CallFailedError, LLMOrchError
from langchain_llmorch.processes.cpus import MAX_PROCESSORS_ENV
from langchain_llmorch.tools import COMPUTE, IN_PROCESS
from tests.unit_tests.engine._helpers import max_concurrent

HOLDING: list[int] = []
"""Slots this process held, seen from inside each in-process compute call."""
SLOTS: list[Any] = []


def _think(prompt: str) -> str:
    if SLOTS:
        HOLDING.append(SLOTS[0].holding())
    threading.Event().wait(0.05)
    return prompt.upper()


# Like `self` over a local model: a compute call that runs in this process, not on the pool.
local = StructuredTool.from_function(
    func=_think, name="local", description="answer from a local model"
).model_copy(update={"tags": [COMPUTE], "metadata": {IN_PROCESS: True}})


@inout
def add(a: float, b: float = 0) -> float:
    """Add two numbers."""
    return a + b


class _Aliased(BaseModel):
    count: int = Field(alias="from")


def _aliased(**kwargs: Any) -> str:
    return str(kwargs)


aliased = StructuredTool.from_function(
    func=_aliased, name="aliased", description="an argument named by an alias", args_schema=_Aliased
)


@inout
async def asleep(x: int = 0) -> int:
    """An async tool."""
    return x


def _both_sync(x: int = 0) -> str:
    return "sync"


async def _both_async(x: int = 0) -> str:
    return "async"


both = StructuredTool.from_function(
    func=_both_sync, coroutine=_both_async, name="both", description="sync and async"
).model_copy(update={"tags": ["inout"]})


class Custom(BaseTool):
    """A tool of its own class (no function attribute)."""

    name: str = "custom"
    description: str = "a custom tool"

    def _run(self, x: int = 0) -> int:
        return x + 1


class CustomAsync(Custom):
    """A tool of its own class with a native coroutine."""

    name: str = "custom_async"

    async def _arun(self, x: int = 0) -> int:
        return x + 2


@pytest.fixture
def slots_seen() -> Any:
    HOLDING.clear()
    yield HOLDING
    SLOTS.clear()
    HOLDING.clear()


def run_local(orch: Orchestrator, text: str) -> RunResult:
    frg = build_frg(parse_plan(text), [local])
    return orch.run(frg)


def test_validated_values_replace_the_given_ones_and_nothing_is_added() -> None:
    assert validated_args(add, {"a": "2"}) == {"a": 2.0}  # b's default is not added
    assert validated_args(add, {"a": "2", "b": "3"}) == {"a": 2.0, "b": 3.0}
    assert validated_args(aliased, {"from": "5"}) == {"from": 5}  # keyed by the alias


def test_arguments_that_do_not_fit_the_schema_are_a_typed_error() -> None:
    with pytest.raises(ToolArgumentsError, match="arguments of add do not fit its schema"):
        validated_args(add, {"a": "two"})
    assert issubclass(ToolArgumentsError, LLMOrchError)


def test_a_compute_payload_is_the_function_or_the_tools_bound_run() -> None:
    fn, kwargs = compute_payload(add, {"a": "1", "b": 2})
    assert fn(**kwargs) == 3.0
    assert kwargs == {"a": 1.0, "b": 2.0}
    tool = Custom()
    fn, kwargs = compute_payload(tool, {"x": "4"})
    assert fn(**kwargs) == 5
    assert kwargs == {"x": 4}


def test_which_tools_have_a_native_coroutine() -> None:
    assert has_async_impl(asleep)
    assert not has_async_impl(add)
    assert has_async_impl(CustomAsync())
    assert not has_async_impl(Custom())


def runner_of(*tools: BaseTool, config: dict[str, Any] | None = None) -> CallRunner:
    return CallRunner({t.name: t for t in tools}, InoutThreads(1), None, 0.5, config or {})  # type: ignore[arg-type]


def record_of(cid: str, tool: str, kind: str = "inout") -> TraceRecord:
    return TraceRecord(cid, tool, kind, None, 0, 0.0, 0.0, 0.0, "running")  # type: ignore[arg-type]


def test_sync_inout_calls_go_to_a_thread_and_others_do_not() -> None:
    runner = runner_of(add, asleep, both, Custom(), CustomAsync())
    assert runner.threaded(record_of("s1", "add")) is add
    assert runner.threaded(record_of("s1", "custom")) is runner.tools["custom"]
    assert runner.threaded(record_of("s1", "asleep")) is None
    assert runner.threaded(record_of("s1", "custom_async")) is None
    assert runner.threaded(record_of("s1", "both")) is None  # an async run awaits it
    assert runner.threaded(record_of("s1", "missing")) is None  # fails on its own path
    assert runner.threaded(record_of("s1", "add", COMPUTE)) is None
    runner.prefer_sync = True  # a sync run calls the sync implementation of `both`
    assert runner.threaded(record_of("s1", "both")) is both
    assert runner.threaded(record_of("s1", "asleep")) is None  # it has no sync one
    limited = runner_of(add, config={"max_concurrency": 2})
    assert limited.threaded(record_of("s1", "add")) is None  # the limit is awaited


def test_a_sync_run_calls_the_sync_implementation_and_an_async_run_the_async_one() -> None:
    frg = build_frg(parse_plan("s1: both(x=1)"), [both])
    orch = Orchestrator([both])
    assert orch.run(frg).results == {"s1": "sync"}
    assert asyncio.run(orch.arun(frg)).results == {"s1": "async"}


def test_an_unknown_tool_is_named_in_the_error() -> None:
    runner = runner_of(add)
    assert runner.tool("add") is add
    with pytest.raises(LLMOrchError, match="no tool named 'nope' was given") as err:
        runner.tool("nope")
    assert "make_self_tool" not in str(err.value)
    with pytest.raises(LLMOrchError, match=r"\(give the Orchestrator make_self_tool\(model\)\)"):
        runner.tool("self")


def test_the_timeout_error_names_the_call_and_the_timeout() -> None:
    runner = runner_of(add)
    error = runner.timed_out(record_of("s7", "add"))
    assert str(error) == "s7 (add) ran past call_timeout=0.5s"


def test_a_base_exception_of_a_threaded_call_is_that_calls_failure() -> None:
    runner = runner_of(add)
    record = record_of("s2", "add")
    future: Future[Any] = Future()
    future.set_exception(KeyboardInterrupt("stop"))
    with pytest.raises(CallFailedError, match=r"the tool raised KeyboardInterrupt\(stop\)") as err:
        runner.threaded_value(record, future)
    assert isinstance(err.value.__cause__, KeyboardInterrupt)
    assert record.ended_at > 0
    plain: Future[Any] = Future()
    plain.set_exception(ValueError("own"))
    with pytest.raises(ValueError, match="own"):
        runner.threaded_value(record, plain)


def test_an_in_process_compute_call_holds_a_slot_while_it_runs(
    slots_seen: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MAX_PROCESSORS_ENV, "2")
    orch = Orchestrator([local], max_processors=2, slot_group="calls-mutants")
    assert orch.slots is not None
    SLOTS.append(orch.slots)
    result = run_local(orch, 's1: local(prompt="a")')
    assert result.results == {"s1": "A"}
    assert slots_seen == [1]
    assert orch.slots.holding() == 0  # given back
    (record,) = result.trace
    assert record.kind == COMPUTE
    assert record.processor is None  # no pool worker
    assert record.ended_at >= record.started_at > 0


def test_in_process_compute_calls_keep_to_the_orchestrators_processors(
    slots_seen: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MAX_PROCESSORS_ENV, "2")
    orch = Orchestrator([local], max_processors=1, slot_group="calls-mutants")
    text = "\n".join(f's{i}: local(prompt="{i}")' for i in range(3))
    frg = build_frg(parse_plan(text), [local], self_kind=COMPUTE)

    async def runs() -> list[RunResult]:
        return list(await asyncio.gather(orch.arun(frg), orch.arun(frg)))

    results = asyncio.run(runs())
    assert all(r.results == {f"s{i}": str(i) for i in range(3)} for r in results)
    assert max_concurrent([rec for r in results for rec in r.trace]) == 1


def test_an_in_process_compute_call_runs_as_an_inout_call_with_the_slots_off(
    slots_seen: list[int],
) -> None:
    orch = Orchestrator([local], max_processors=1, slot_group="off")
    assert orch.slots is None
    result = run_local(orch, 's1: local(prompt="a")\ns2: local(prompt="b")')
    assert result.results == {"s1": "A", "s2": "B"}
    assert all(r.ended_at >= r.started_at > 0 for r in result.trace)


class _Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.starts: list[dict[str, Any]] = []
        self.errors: list[str] = []

    def on_tool_start(self, serialized: dict[str, Any], input_str: str, **kwargs: Any) -> None:
        self.starts.append({**kwargs, "tool": serialized["name"], "input": input_str})

    def on_tool_error(self, error: BaseException, **kwargs: Any) -> None:
        self.errors.append(type(error).__name__)


@compute
def fails(x: int = 0) -> int:
    """A compute tool that raises."""
    msg = f"bad {x}"
    raise ValueError(msg)


def test_compute_callbacks_get_the_run_name_inputs_and_metadata() -> None:
    recorder = _Recorder()
    tool = fails.model_copy(update={"metadata": {"team": "a"}})
    frg = build_frg(parse_plan("s1: fails(x=1)"), [tool])
    config = {"callbacks": [recorder], "run_name": "named", "metadata": {"run": "r"}}
    result = Orchestrator([tool], max_processors=1).run(frg, config=config)  # type: ignore[arg-type]
    assert isinstance(result.errors["s1"], ValueError)
    (start,) = recorder.starts
    assert start["tool"] == "fails"
    assert start["name"] == "named"  # the run's name
    assert start["inputs"] == {"x": 1}
    assert start["input"] == "{'x': 1}"
    assert start["metadata"] == {"run": "r", "team": "a"}
    assert recorder.errors == ["ValueError"]


@pytest.mark.parametrize("tool", [add, asleep], ids=["threaded", "awaited"])
def test_an_inout_call_gets_the_runs_config(tool: BaseTool) -> None:
    recorder = _Recorder()
    frg = build_frg(
        parse_plan(f"s1: {tool.name}(a=1)" if tool is add else "s1: asleep(x=1)"), [tool]
    )
    config = {"callbacks": [recorder], "tags": ["run-tag"]}
    result = Orchestrator([tool]).run(frg, config=config)  # type: ignore[arg-type]
    assert result.ok
    (start,) = recorder.starts
    assert start["tool"] == tool.name
    assert "run-tag" in start["tags"]


@inout
def exits(code: int = 0) -> int:
    """Raise SystemExit from the tool's own code (in its thread)."""
    raise SystemExit(code)


@inout
async def interrupts(code: int = 0) -> int:
    """Raise KeyboardInterrupt from an async tool's own code."""
    msg = f"stop {code}"
    raise KeyboardInterrupt(msg)


@pytest.mark.parametrize(
    ("call", "text", "raised"),
    [
        ("exits(code=3)", "the tool raised SystemExit(3)", SystemExit),
        ("interrupts(code=4)", "the tool raised KeyboardInterrupt(stop 4)", KeyboardInterrupt),
    ],
)
def test_a_base_exception_of_an_awaited_call_fails_that_call_with_its_text(
    call: str, text: str, raised: type[BaseException]
) -> None:
    # max_concurrency makes even a sync call awaited (no direct thread): `_inout_now`.
    frg = build_frg(parse_plan(f"s1: {call}\ns2: add(a=1)"), [exits, interrupts, add])
    result = Orchestrator([exits, interrupts, add]).run(frg, config={"max_concurrency": 2})
    assert result.results == {"s2": 1.0}
    error = result.errors["s1"]
    assert isinstance(error, CallFailedError)
    assert str(error) == f"s1 ({call.split('(', maxsplit=1)[0]}) failed: {text}"
    assert isinstance(error.__cause__, raised)
    (record,) = [r for r in result.trace if r.id == "s1"]
    assert record.ended_at >= record.started_at > 0


RUN_VAR: contextvars.ContextVar[str] = contextvars.ContextVar("RUN_VAR", default="unset")


@dataclass
class _Outcome:
    value: Any
    processor: int
    pid: int
    started_at: float
    ended_at: float
    node: str | None = None


class _Backend:
    """A compute backend of one processor that runs calls in a thread (like a remote node)."""

    processors = 1

    def submit(
        self,
        fn: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        priority: float = 0.0,
        timeout: float | None = None,
        on_start: Any = None,
    ) -> Future[Any]:
        del priority, timeout
        future: Future[Any] = Future()

        def work() -> None:
            on_start(4321, 7)
            value = fn(*args, **(kwargs or {}))
            future.set_result(_Outcome(value, 7, 4321, 100.0, 101.5, node="10.0.0.7"))

        threading.Thread(target=work).start()
        return future

    def abort(self, future: Future[Any]) -> None:
        future.cancel()


@compute
def triple(x: int) -> int:
    """Three times x."""
    return 3 * x


def test_a_compute_backends_outcome_fills_the_record_and_its_start_is_heard_in_the_run() -> None:
    orch = Orchestrator([triple], executor=_Backend())  # type: ignore[arg-type]
    frg = build_frg(parse_plan("s1: triple(x=2)"), [triple])
    heard: list[tuple[str, str, Any]] = []

    async def go() -> RunResult:
        RUN_VAR.set("the run's")  # a listener (a graph's stream writer) reads such variables
        return await orch.arun(
            frg, on_event=lambda e: heard.append((e["event"], RUN_VAR.get(), e.get("pid")))
        )

    result = asyncio.run(go())
    assert result.results == {"s1": 6}
    assert heard == [
        ("scheduled", "the run's", None),
        ("started", "the run's", 4321),
        ("finished", "the run's", 4321),
    ]
    (record,) = result.trace
    assert (record.processor, record.pid, record.node) == (7, 4321, "10.0.0.7")
    assert (record.started_at, record.ended_at) == (100.0, 101.5)


def test_a_verbose_compute_tool_prints_its_output_as_langchain_tools_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    quiet = Orchestrator([triple], executor=_Backend())  # type: ignore[arg-type]
    quiet.run(build_frg(parse_plan("s1: triple(x=5)"), [triple]))
    assert "15" not in capsys.readouterr().out
    tool = triple.model_copy(update={"verbose": True})
    orch = Orchestrator([tool], executor=_Backend())  # type: ignore[arg-type]
    assert orch.run(build_frg(parse_plan("s1: triple(x=5)"), [tool])).results == {"s1": 15}
    assert "15" in capsys.readouterr().out


class _OldSchema(BaseModelV1):
    n: int


def _old(n: int) -> int:
    return n + 1


old_style = StructuredTool.from_function(
    func=_old, name="old_style", description="a pydantic v1 schema", args_schema=_OldSchema
)


def test_a_tool_with_a_pydantic_v1_schema_gets_its_arguments_as_given() -> None:
    # Not a pydantic v2 model: nothing is validated here (LangChain does, when it runs).
    assert validated_args(old_style, {"n": "3"}) == {"n": "3"}
    result = Orchestrator([old_style]).run(build_frg(parse_plan("s1: old_style(n=3)"), [old_style]))
    assert result.results == {"s1": 4}

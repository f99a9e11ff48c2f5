"""Tools and a plan generator for the property tests of the coordinator and recovery.

The tools are module-level (worker processes import them by name). Each returns `mix`
of its tag and its inputs, so a sequential reference run in plain Python predicts every
result, and a call runs for `ms` milliseconds, so parents finish at different times.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

from langchain_llmorch import compute, inout
from langchain_llmorch.processes.records import CallOutcome

MODULUS = 1_000_003


def mix(tag: int, inputs: Sequence[int]) -> int:
    """The value every test tool returns: a hash of its tag and its inputs, in order."""
    acc = tag
    for value in inputs:
        acc = (acc * 31 + value) % MODULUS
    return acc


class InjectedError(RuntimeError):
    """The failure a test tool raises when its `fail` argument is true."""


def _work(tag: int, inputs: list[int], *, fail: bool) -> int:
    if fail:
        msg = f"injected failure of tag {tag}"
        raise InjectedError(msg)
    return mix(tag, inputs)


@compute
def cpu(tag: int, inputs: list[int], ms: int = 0, fail: bool = False) -> int:
    """A compute call: holds a worker for `ms` milliseconds."""
    time.sleep(ms / 1000)
    return _work(tag, inputs, fail=fail)


@inout
async def aio(tag: int, inputs: list[int], ms: int = 0, fail: bool = False) -> int:
    """An async inout call."""
    await asyncio.sleep(ms / 1000)
    return _work(tag, inputs, fail=fail)


@inout
def sio(tag: int, inputs: list[int], ms: int = 0, fail: bool = False) -> int:
    """A sync inout call (runs in the thread pool)."""
    time.sleep(ms / 1000)
    return _work(tag, inputs, fail=fail)


TOOLS = [cpu, aio, sio]


@dataclass(frozen=True)
class Spec:
    """One call of a generated plan."""

    id: str
    tool: str
    tag: int
    parents: tuple[str, ...]
    ms: int
    fail: bool

    def line(self) -> str:
        """The call's line in the plan language."""
        inputs = ", ".join(self.parents)
        return (
            f"{self.id}: {self.tool}(tag={self.tag}, inputs=[{inputs}], ms={self.ms}, "
            f"fail={self.fail})"
        )


def plan_text(specs: Sequence[Spec]) -> str:
    """The plan of `specs`, one line per call."""
    return "\n".join(s.line() for s in specs)


@dataclass
class Reference:
    """What a sequential run of a plan gives: results, failed and skipped calls."""

    results: dict[str, int]
    failed: set[str]
    skipped: set[str]


def reference_run(specs: Sequence[Spec], kept: Mapping[str, int] | None = None) -> Reference:
    """Run the plan in plan order, one call at a time, in plain Python."""
    ref = Reference(results=dict(kept or {}), failed=set(), skipped=set())
    for spec in specs:
        if spec.id in ref.results:
            continue
        if any(p in ref.failed or p in ref.skipped for p in spec.parents):
            ref.skipped.add(spec.id)
        elif spec.fail:
            ref.failed.add(spec.id)
        else:
            ref.results[spec.id] = mix(spec.tag, [ref.results[p] for p in spec.parents])
    return ref


def descendants(specs: Sequence[Spec], roots: set[str]) -> set[str]:
    """Every call that uses, directly or not, a result of `roots` (not the roots)."""
    out: set[str] = set()
    for spec in specs:
        if any(p in roots or p in out for p in spec.parents):
            out.add(spec.id)
    return out


@st.composite
def plans(
    draw: st.DrawFn,
    *,
    max_calls: int = 7,
    fail_weight: int = 6,
    tools: Sequence[str] = ("cpu", "aio", "sio"),
) -> list[Spec]:
    """Random plans: fan-in and fan-out, mixed kinds and durations, some failing calls."""
    n = draw(st.integers(min_value=1, max_value=max_calls))
    specs: list[Spec] = []
    for i in range(1, n + 1):
        earlier = [s.id for s in specs]
        parents = (
            draw(st.lists(st.sampled_from(earlier), max_size=3, unique=True)) if earlier else []
        )
        specs.append(
            Spec(
                id=f"s{i}",
                tool=draw(st.sampled_from(tools)),
                tag=i,
                parents=tuple(sorted(parents, key=lambda p: int(p[1:]))),
                ms=draw(st.sampled_from([0, 2, 8, 20])),
                fail=draw(st.integers(min_value=1, max_value=fail_weight)) == 1,
            )
        )
    return specs


def without_failures(specs: Sequence[Spec]) -> list[Spec]:
    """The same plan with no injected failure."""
    return [replace(s, fail=False) for s in specs]


class CappedExecutor:
    """A pool that tells the coordinator it has fewer processors than it has workers.

    The pool alone would keep compute calls within its workers; with this, a trace
    showing more than `processors` compute calls at once is the coordinator's fault.
    """

    def __init__(self, pool: Any, processors: int) -> None:
        self.pool = pool
        self._processors = processors

    @property
    def processors(self) -> int:
        """The coordinator's P."""
        return self._processors

    def submit(
        self, fn: Any, args: tuple[Any, ...] = (), kwargs: Any = None, **options: Any
    ) -> Future[CallOutcome]:
        """Submit to the real pool."""
        return self.pool.submit(fn, args, kwargs, **options)

    def abort(self, future: Future[CallOutcome]) -> None:
        """Abort on the real pool."""
        self.pool.abort(future)

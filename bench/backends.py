"""Overhead per compute call of each backend: the local pool, Dask and Ray, on this machine.

`python -m bench.backends [--calls 200] [--processors 2]` runs the
same trivial compute tool (it returns its argument) through an `Orchestrator` on each
backend and prints, per call:

- **chain**: N calls, each needing the one before (one call in flight: the round trip);
- **flat**: N independent calls (P in flight: the throughput cost);

plus the backend's start-up time and its first P calls (cold workers). Dask runs on a
`LocalCluster` (one thread per worker process), Ray on a local `ray.init(num_cpus=P)`.
The median of `--repeats` runs is shown; the machine's load average is printed with it,
because on a shared machine only the ratios within one run mean much.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from bench.engine import noop_compute
from langchain_llmorch import Orchestrator, build_frg, parse_plan
from langchain_llmorch.engine.backend import ComputeExecutor
from langchain_llmorch.processes.cpus import usable_cpus
from langchain_llmorch.processes.pool import ProcessPool

BACKENDS = ("local", "dask", "ray")


@dataclass(frozen=True)
class BackendTiming:
    """One backend's numbers (milliseconds per call, seconds to start)."""

    backend: str
    processors: int
    startup_s: float
    first_calls_ms: float
    chain_ms: float
    flat_ms: float


@contextmanager
def local_pool(processors: int) -> Iterator[ComputeExecutor]:
    """This machine's worker pool (a fresh one, so its start-up is measured)."""
    pool = ProcessPool(processors)
    try:
        pool.start()
        yield pool
    finally:
        pool.shutdown()


@contextmanager
def dask_cluster(processors: int) -> Iterator[ComputeExecutor]:
    """A Dask `LocalCluster` of P single-threaded worker processes."""
    from distributed import Client, LocalCluster  # noqa: PLC0415 - optional dependency

    from langchain_llmorch.backends.dask import DaskExecutor  # noqa: PLC0415

    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=processors, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        yield DaskExecutor(client)
    finally:
        client.close()  # type: ignore[no-untyped-call]
        cluster.close()


@contextmanager
def ray_cluster(processors: int) -> Iterator[ComputeExecutor]:
    """A local Ray instance with P CPUs."""
    import ray  # noqa: PLC0415 - optional dependency

    from langchain_llmorch.backends.ray import RayExecutor  # noqa: PLC0415

    ray.init(
        num_cpus=processors,
        num_gpus=0,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    try:
        with RayExecutor() as executor:
            yield executor
    finally:
        ray.shutdown()


STARTERS: dict[str, Callable[[int], AbstractContextManager[ComputeExecutor]]] = {
    "local": local_pool,
    "dask": dask_cluster,
    "ray": ray_cluster,
}


def _seconds(orchestrator: Orchestrator, plan: str) -> float:
    frg = build_frg(parse_plan(plan), [noop_compute])
    start = time.perf_counter()
    result = orchestrator.run(frg)
    elapsed = time.perf_counter() - start
    if not result.ok:
        msg = f"the benchmark plan failed: {result.errors}"
        raise RuntimeError(msg)
    return elapsed


def measure(name: str, processors: int, calls: int, repeats: int) -> BackendTiming:
    """Start backend `name`, run the chain and flat plans `repeats` times, stop it."""
    chain = "\n".join(
        ["s0: noop_compute(i=0)"] + [f"s{i}: noop_compute(i=s{i - 1})" for i in range(1, calls)]
    )
    flat = "\n".join(f"s{i}: noop_compute(i={i})" for i in range(calls))
    first = "\n".join(f"s{i}: noop_compute(i={i})" for i in range(processors))
    start = time.perf_counter()
    with STARTERS[name](processors) as executor:
        startup = time.perf_counter() - start
        orchestrator = Orchestrator([noop_compute], executor=executor)
        first_ms = _seconds(orchestrator, first) * 1000 / processors
        chains = [_seconds(orchestrator, chain) for _ in range(repeats)]
        flats = [_seconds(orchestrator, flat) for _ in range(repeats)]
    return BackendTiming(
        backend=name,
        processors=processors,
        startup_s=startup,
        first_calls_ms=first_ms,
        chain_ms=statistics.median(chains) * 1000 / calls,
        flat_ms=statistics.median(flats) * 1000 / calls,
    )


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def table(timings: Sequence[BackendTiming], calls: int) -> str:
    """The Markdown table of the page "Beyond one machine"."""
    local = next((t for t in timings if t.backend == "local"), None)
    header = (
        f"| backend (P={timings[0].processors}) | start-up | first P calls | "
        f"chain of {calls}, per call | {calls} independent, per call | chain vs local |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|"]
    for t in timings:
        ratio = f"{t.chain_ms / local.chain_ms:.1f}x" if local else "-"
        lines.append(
            f"| {t.backend} | {t.startup_s:.1f} s | {t.first_calls_ms:.1f} ms | "
            f"{t.chain_ms:.2f} ms | {t.flat_ms:.2f} ms | {ratio} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> list[BackendTiming]:
    """Measure the backends the command line names; print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.backends")
    parser.add_argument("--calls", type=int, default=200, help="calls per plan (N)")
    parser.add_argument("--processors", type=int, default=None, help="P (default: usable CPUs)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per plan; the median counts")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    args = parser.parse_args(argv)
    processors = args.processors or usable_cpus()
    timings: list[BackendTiming] = []
    for name in args.backends:
        try:
            timings.append(measure(name, processors, args.calls, args.repeats))
        except ImportError as err:
            print(f"skipping {name}: {err}")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"usable CPUs {usable_cpus()}, P={processors}, load average {load}; "
        f"distributed {_version('distributed')}, ray {_version('ray')}"
    )
    if timings:
        print(table(timings, args.calls))
    return timings


if __name__ == "__main__":
    main()

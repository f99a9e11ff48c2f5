# ruff: noqa: T201 -- a helper process: it reports on stdout
"""One process with its own Orchestrator: warm up, wait at a gate, run N compute calls.

Run as `python -m tests.unit_tests.processes._slot_run --calls 4 --loops 3000000` (CPU-bound
calls) or `--seconds 0.2` (sleeping calls); with `--gate PATH` it prints `ready` once its
workers are warm and starts its calls only when PATH exists, so several processes contend for
the slots at the same moment. Prints one JSON line: its pid, the compute trace and whether
every result was right.

`--processes 3` drives: it starts 3 such processes with one gate, opens the gate when all are
ready, and prints the peak number of compute calls running at once across them (from the
calls' own timestamps), and whether every run was right.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from langchain_llmorch import Orchestrator, build_frg, compute, parse_plan

MODULUS = 1_000_003
GATE_POLL = 0.002


def expected(n: int, loops: int) -> int:
    """What `work` returns: n plus the sum of squares below `loops`, modulo MODULUS."""
    return (n + (loops - 1) * loops * (2 * loops - 1) // 6) % MODULUS


@compute
def work(n: int, loops: int = 0, seconds: float = 0.0) -> int:
    """Spin through `loops` squares (CPU-bound) or sleep `seconds`; return a checkable value."""
    total = n
    for i in range(loops):
        total = (total + i * i) % MODULUS
    if seconds:
        time.sleep(seconds)
    return total


def peak(spans: list[tuple[float, float]]) -> int:
    """The most spans open at once (an end at the same instant as a start comes first)."""
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    level = most = 0
    for _, step in edges:
        level += step
        most = max(most, level)
    return most


def drive(
    processes: int, options: list[str], gate: Path, env: dict[str, str] | None = None
) -> dict[str, object]:
    """Start `processes` runs that contend from one moment on; return the peak and the runs."""
    command = [sys.executable, "-m", "tests.unit_tests.processes._slot_run", "--gate", str(gate)]
    children = [
        subprocess.Popen([*command, *options], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(processes)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            if child.stdout.readline().strip() != "ready":
                msg = f"run {child.pid} did not get ready"
                raise RuntimeError(msg)
        gate.touch()
        runs = [json.loads(child.communicate()[0]) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    spans = [(r["started_at"], r["ended_at"]) for run in runs for r in run["records"]]
    return {
        "peak": peak(spans),
        "all_ok": all(run["ok"] for run in runs) and all(c.returncode == 0 for c in children),
        "calls": len(spans),
        "seconds": max(e for _, e in spans) - min(s for s, _ in spans),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=4)
    parser.add_argument("--loops", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=0.0)
    parser.add_argument("--gate", default="")
    parser.add_argument("--max-processors", type=int, default=0)
    parser.add_argument("--processes", type=int, default=0)
    args = parser.parse_args()
    if args.processes:
        with tempfile.TemporaryDirectory() as folder:
            summary = drive(args.processes, _child_options(args), Path(folder) / "go")
        summary.pop("runs")
        print(json.dumps(summary))
        return

    orch = Orchestrator([work], max_processors=args.max_processors or None)
    orch.warm()
    lines = [
        f"s{i}: work(n={i}, loops={args.loops}, seconds={args.seconds})" for i in range(args.calls)
    ]
    frg = build_frg(parse_plan("\n".join(lines)), [work])
    if args.gate:
        print("ready", flush=True)
        while not Path(args.gate).exists():
            time.sleep(GATE_POLL)
    result = orch.run(frg)
    ok = not result.errors and all(
        result.results[f"s{i}"] == expected(i, args.loops) for i in range(args.calls)
    )
    records = [
        {
            "id": r.id,
            "pid": r.pid,
            "processor": r.processor,
            "started_at": r.started_at,
            "ended_at": r.ended_at,
        }
        for r in result.trace
        if r.kind == "compute"
    ]
    out = {"pid": os.getpid(), "ok": ok, "processors": orch.processors, "records": records}
    print(json.dumps(out), flush=True)
    sys.exit(0 if ok else 1)


def _child_options(args: argparse.Namespace) -> list[str]:
    return [
        f"--calls={args.calls}",
        f"--loops={args.loops}",
        f"--seconds={args.seconds}",
        f"--max-processors={args.max_processors}",
    ]


if __name__ == "__main__":
    main()

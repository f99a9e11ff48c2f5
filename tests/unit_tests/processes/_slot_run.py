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

`--kill-after 1.0` measures crash safety: a first process runs P long calls (holding every
slot), a second one asks for a slot, then the first is killed with SIGKILL; prints how long
after the kill the second process's call started.
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
    parser.add_argument("--kill-after", type=float, default=0.0)
    args = parser.parse_args()
    if args.kill_after:
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(measure_kill(Path(folder), args.kill_after)))
        return
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


def measure_kill(folder: Path, wait: float) -> dict[str, float]:
    """Seconds from `kill -9` of a process holding every slot to the next process's call."""
    command = [sys.executable, "-m", "tests.unit_tests.processes._slot_run"]
    holder = subprocess.Popen(
        [*command, "--calls=8", "--seconds=60", f"--gate={folder / 'a'}"],
        stdout=subprocess.PIPE,
        text=True,
    )
    waiter = subprocess.Popen(
        [*command, "--calls=1", f"--gate={folder / 'b'}"], stdout=subprocess.PIPE, text=True
    )
    try:
        for proc in (holder, waiter):
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        (folder / "a").touch()
        time.sleep(wait)  # the holder's calls take every slot
        (folder / "b").touch()
        time.sleep(wait)  # the waiter waits for a slot
        if waiter.poll() is not None:
            msg = "the second process did not wait: the first did not hold the slots"
            raise RuntimeError(msg)
        killed_at = time.time()
        holder.kill()
        holder.wait()
        run = json.loads(waiter.communicate(timeout=120)[0])
    finally:
        for proc in (holder, waiter):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    started = min(r["started_at"] for r in run["records"])
    return {"seconds_from_kill_to_next_call": started - killed_at, "ok": run["ok"]}


def _child_options(args: argparse.Namespace) -> list[str]:
    return [
        f"--calls={args.calls}",
        f"--loops={args.loops}",
        f"--seconds={args.seconds}",
        f"--max-processors={args.max_processors}",
    ]


if __name__ == "__main__":
    main()

"""Old and new side by side: two agents, each in its own process, asked in turn.

The machine is shared, so a run of the old code now and of the new code later measures
the load as much as the code. Here each configuration runs in a worker process of its
own (its own `PYTHONPATH`, hence its own copy of the package, and its own embedded
server), and the driver asks every question of the sets to each worker in turn,
alternating which goes first, so both see the same load.

    git archive <old commit> langchain_llmorch | tar -x -C /tmp/old
    python -m bench.local_ab --sets science travel \\
        --config old=/tmp/old --config new=.

A configuration is `label=PATH[:MODEL][@PLANNING][#THREADS]`: `PATH` is put before this
repository on the worker's `PYTHONPATH` (`.` for this checkout), `MODEL` an embedded model
name, `PLANNING` the agent's `planning` (default: `--planning`), `THREADS` the server's
prompt-processing threads (`n_threads_batch`; default 1, as `local_chat_model`). A worker
is this repository's `bench.local_ab` run in `PATH`, so an old checkout runs its own.

Each question's line shows its seconds and where they went (first plan: prefill and
decode; repair and recovery requests; the answer requests), and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.local_questions import SETS, RequestLog, Score, report, run, totals

_REPO = Path(__file__).resolve().parent.parent


def worker(model_name: str | None, planning: str, threads_batch: int | None = None) -> int:
    """Answer `{"set": ..., "index": ...}` lines from stdin with one JSON `Score` a line."""
    import langchain_llmorch  # noqa: PLC0415
    from langchain_llmorch.local import local_chat_model  # noqa: PLC0415

    sys.stderr.write(f"worker: langchain_llmorch from {Path(langchain_llmorch.__file__).parent}\n")
    log = RequestLog()
    model = local_chat_model(
        model_name,
        n_threads_batch=threads_batch,
        max_tokens=400,
        timeout=300,
        http_client=log.client(),
    )
    for line in sys.stdin:
        ask = json.loads(line)
        tools, questions = SETS[ask["set"]]
        (scored,) = run(model, planning, [questions[ask["index"]]], tools, log)
        print(json.dumps(asdict(scored)), flush=True)
    return 0


class _Worker:
    def __init__(
        self, label: str, path: str, model: str | None, planning: str, threads: str = ""
    ) -> None:
        self.label = label
        self.scores: dict[str, list[Score]] = {}
        root = str(Path(path).resolve())
        env = dict(os.environ)
        # `-m` puts the working directory first on sys.path: run in PATH, so PATH's copy
        # of the package is the one imported.
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([root, str(_REPO)]))
        command = [sys.executable, "-m", "bench.local_ab", "--worker", "--planning", planning]
        if model:
            command += ["--model", model]
        if threads:
            command += ["--threads-batch", threads]
        self.process = subprocess.Popen(  # noqa: S603 - our own module
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=root
        )

    def ask(self, name: str, index: int) -> Score:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps({"set": name, "index": index}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            msg = f"worker {self.label} stopped"
            raise RuntimeError(msg)
        scored = Score(**json.loads(line))
        self.scores.setdefault(name, []).append(scored)
        return scored

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=120)


def _parts(scored: Score) -> str:
    """Where one question's seconds went: first plan, other plan requests, answers."""
    plan = next((r for r in scored.requests if r["kind"] in {"plan", "?"}), None)
    first = f"plan {plan['prefill']:.1f}+{plan['decode']:.1f}" if plan else "plan -"
    joins = [r["wall"] for r in scored.requests if r["kind"] == "join"]
    others = [r["wall"] for r in scored.requests if r is not plan and r["kind"] != "join"]
    return (
        f"{first} s, {len(others)} repairs {sum(others):.1f} s, "
        f"{len(joins)} answers {sum(joins):.1f} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sets on every configuration, question by question, alternating the order."""
    parser = argparse.ArgumentParser(prog="python -m bench.local_ab")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--planning", default="auto")
    parser.add_argument("--threads-batch", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--sets", nargs="+", default=["science", "travel"], choices=sorted(SETS))
    parser.add_argument("--json", default=None, help="write every score (and request) here")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        help="label=PATH[:MODEL][@PLANNING][#THREADS] (repeat it)",
    )
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.model, args.planning, args.threads_batch)
    configs = args.config or ["new=."]
    workers: list[_Worker] = []
    for config in configs:
        label, _, rest = config.partition("=")
        rest, _, threads = rest.partition("#")
        rest, _, planning = rest.partition("@")
        path, _, model = rest.partition(":")
        workers.append(
            _Worker(label, path or ".", model or None, planning or args.planning, threads)
        )
    turn = 0
    try:
        for name in args.sets:
            for index in range(len(SETS[name][1])):
                order = workers[turn % len(workers) :] + workers[: turn % len(workers)]
                turn += 1
                for one in order:
                    scored = one.ask(name, index)
                    marks = f"{'calls ok' if scored.calls_right else 'CALLS WRONG'}, " + (
                        "answer ok" if scored.answer_right else "ANSWER WRONG"
                    )
                    print(f"{one.label:>6} {scored.seconds:6.1f} s  {marks:26} {scored.question}")
                    print(f"{'':>16}{_parts(scored)}, load {os.getloadavg()[0]:.1f}")
                    print(f"{'':>16}answer: {scored.answer[:300]!r}", flush=True)
    finally:
        for one in workers:
            one.close()
    every: dict[str, list[Any]] = {}
    for one in workers:
        for name, scores in one.scores.items():
            print(report(f"{one.label}: {name} set", scores))
            every.setdefault(one.label, []).extend(scores)
    for label, scores in every.items():
        print(f"{label}, all sets:\n{totals(scores)}")
    if args.json:
        dumped = {label: [asdict(s) for s in scores] for label, scores in every.items()}
        Path(args.json).write_text(json.dumps(dumped, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The long fuzz campaign (the suite's `test_fuzz.py` is its CI-sized sibling).

    PYTHONPATH=. python -m tests.unit_tests.plan.fuzz_campaign --cases 3000 --seed 1
    PYTHONPATH=. python -m tests.unit_tests.plan.fuzz_campaign --cases 2000 --hostile --run

Every case is a mutated plan (`_fuzz.case`), or with `--hostile` a plan that
validates and attacks at run time (`_fuzz.hostile`). Each goes through `parse_plan` +
`build_frg` + evaluation of every call's arguments, timed and with its peak traced
memory; with `--run`, every plan that validates is also run by an `Orchestrator`
(`call_timeout` 5 s), which must return, never raise. Prints cases outside the
contract (goal 0), the slowest case and the largest peak memory.
"""

# ruff: noqa: T201 - a command-line report

from __future__ import annotations

import argparse
import contextlib
import random
import time
import tracemalloc
from dataclasses import dataclass, field

from langchain_llmorch import Orchestrator, PlanSyntaxError, PlanValidationError
from tests.unit_tests.plan._fuzz import TOOLS, case, compile_text, evaluate_all, hostile


@dataclass
class Tally:
    cases: int = 0
    rejected: int = 0
    validated: int = 0
    ran: int = 0
    outside: list[tuple[str, str]] = field(default_factory=list)
    max_seconds: float = 0.0
    slowest: str = ""
    max_mb: float = 0.0
    largest: str = ""
    max_run_seconds: float = 0.0


def one(text: str, tally: Tally, orch: Orchestrator | None) -> None:
    tally.cases += 1
    start = time.perf_counter()
    frg = None
    try:
        frg = compile_text(text)
        evaluate_all(frg)
        tally.validated += 1
    except (PlanSyntaxError, PlanValidationError):
        tally.rejected += 1
    except BaseException as err:
        tally.outside.append((f"{type(err).__name__}: {str(err)[:100]}", text[:300]))
    seconds = time.perf_counter() - start
    if seconds > tally.max_seconds:
        tally.max_seconds, tally.slowest = seconds, text[:200]
    tracemalloc.start()  # again, traced: tracing slows the code, so not timed
    with contextlib.suppress(BaseException):  # counted above
        evaluate_all(compile_text(text))
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    if peak > tally.max_mb:
        tally.max_mb, tally.largest = peak, text[:200]
    if orch is not None and frg is not None:
        start = time.perf_counter()
        try:
            orch.run(frg)
            tally.ran += 1
        except BaseException as err:
            tally.outside.append((f"run: {type(err).__name__}: {str(err)[:100]}", text[:300]))
        tally.max_run_seconds = max(tally.max_run_seconds, time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--run", action="store_true", help="also run validated plans")
    parser.add_argument(
        "--hostile", action="store_true", help="plans that validate and attack at run time"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    orch = Orchestrator(TOOLS, max_processors=1, call_timeout=5) if args.run else None
    tally = Tally()
    for _ in range(args.cases):
        one(hostile(rng) if args.hostile else case(rng), tally, orch)
        if tally.cases % 250 == 0:
            print(f"... {tally.cases} cases, {len(tally.outside)} outside", flush=True)
    print(
        f"cases {tally.cases}: rejected {tally.rejected}, validated {tally.validated}, ran {tally.ran}"
    )
    print(f"outside the contract: {len(tally.outside)}")
    for what, text in tally.outside[:20]:
        print(f"  {what}\n    {text!r}")
    print(f"max seconds (parse+FRG+evaluate): {tally.max_seconds:.3f}  {tally.slowest[:80]!r}")
    print(f"max peak MB: {tally.max_mb:.1f}  {tally.largest[:80]!r}")
    if args.run:
        print(f"max run seconds: {tally.max_run_seconds:.3f}")


if __name__ == "__main__":
    main()

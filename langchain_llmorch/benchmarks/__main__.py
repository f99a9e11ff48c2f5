"""`python -m langchain_llmorch.benchmarks`: every technique side by side, offline.

Examples:
    python -m langchain_llmorch.benchmarks                       # every suite
    python -m langchain_llmorch.benchmarks --suite kitti movierec --queries 2
    python -m langchain_llmorch.benchmarks engine                # the engine benchmark only
    python -m langchain_llmorch.benchmarks --size tiny           # a CI-sized run
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from langchain_llmorch.benchmarks import engine
from langchain_llmorch.benchmarks.harness import SUITES, Options, run_benchmark
from langchain_llmorch.processes.cpus import usable_cpus


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m langchain_llmorch.benchmarks")
    parser.add_argument("command", nargs="?", choices=["run", "engine"], default="run")
    parser.add_argument("--suite", nargs="+", choices=SUITES, help="suites to run (default: all)")
    parser.add_argument("--techniques", nargs="+", help="techniques to run (default: all)")
    parser.add_argument("--processors", type=int, default=None, help="P (default: usable CPUs)")
    parser.add_argument("--queries", type=int, default=None, help="queries per suite")
    parser.add_argument("--size", choices=["tiny", "small", "default"], default="default")
    parser.add_argument("--latency-scale", type=float, default=1.0, help="scale LLM/search latency")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmark_results", help="folder for JSON and charts")
    parser.add_argument("--model", default=None, help="a real OpenAI-compatible model name")
    parser.add_argument("--no-charts", action="store_true", help="skip the Gantt charts")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run what the command line asks for; print the tables."""
    args = parse_args(argv)
    processors = args.processors or usable_cpus()
    if args.command == "engine":
        engine.main(processors=processors)
        return 0
    options = Options(
        suites=tuple(args.suite or SUITES),
        techniques=tuple(args.techniques or ()),
        processors=processors,
        queries=args.queries,
        size=args.size,
        latency_scale=args.latency_scale,
        seed=args.seed,
        out=args.out,
        model=args.model,
        charts=not args.no_charts,
    )
    print(run_benchmark(options))
    return 0


if __name__ == "__main__":
    sys.exit(main())

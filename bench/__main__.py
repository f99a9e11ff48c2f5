"""`python -m bench`: every technique side by side, offline.

Examples:
    python -m bench                       # every suite
    python -m bench --suite kitti movierec --queries 2
    python -m bench engine                # the engine benchmark only
    python -m bench --size tiny           # a CI-sized run
    python -m bench --help                # modes, suites, sizes, techniques

Needs the `bench` extra (`pip install "langchain-llmorch[bench]"`); without it the command
prints that line and exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from bench import BENCH_INSTALL, engine
from bench.harness import (
    SCALING_TECHNIQUES,
    SIZES,
    SUITES,
    Options,
    run_benchmark,
)
from bench.report import technique_name
from bench.runner import TECHNIQUES
from bench.workloads import agnews
from langchain_llmorch.processes.cpus import usable_cpus

PROG = "python -m bench"
_WIDTH = 88

COMMANDS: dict[str, str] = {
    "run": (
        "(default) run the suites with every technique: the same tools, the same scripted "
        "LLM (an OpenAI-compatible server on 127.0.0.1, replying what a correct planner "
        "writes) and the same seeded latencies; print the tables and write report.md, "
        "results.json and Gantt charts to --out"
    ),
    "engine": (
        "this engine's own costs, as ratios taken in one run: makespan / lower bound of 8 "
        "equal compute calls, 6 CPU-bound calls through create_agent vs LLMOrch, dispatch "
        "overhead per call, parsing and scheduling a 1,000-call plan (only --processors "
        "applies)"
    ),
}
"""The two modes of the command line."""

SUITE_HELP: dict[str, str] = {
    "kitti": "KITTI-like (RQ2, compute): 8 stereo steering-angle calls (OpenCV), 3 self steps",
    "agnews": (
        "AGNews-like (RQ2, compute): read Wikipedia paragraphs, t-SNE and LDA at once "
        "(scikit-learn), write the results"
    ),
    "movierec": "movie recommendation (RQ1, I/O): search 4 liked movies at once, then choose",
    "hotpotqa": "HotpotQA comparison (RQ1, I/O): search 2 entities at once, then compare",
    "recovery": "ParallelQA #83 (RQ3): a search returns too little, math fails, the plan is fixed",
    "scaling": "the KITTI queries again at every P from 1 to --processors",
    "cases": "the RQ5 case studies: purchase-intent analysis, end-to-end encryption",
    "dags": "random plans, no LLM: dataflow vs paper policy vs the lower bound",
}
"""One line per suite of `harness.SUITES`."""

TECHNIQUE_HELP: dict[str, str] = {
    "react": "one tool call per LLM turn",
    "parallel_fc": "one LLM turn per layer; the layer's calls together under asyncio",
    "llmcompiler": "the whole plan; every ready call started at once on one event loop",
    "llmcompiler_stream": "LLMCompiler's headline mode: calls start as the plan streams",
    "create_agent": "langchain.agents.create_agent, the real one",
    "create_agent_mw": "turn by turn as create_agent; compute tools on LLMOrch's workers",
    "create_agent_plan_first": (
        "plan_first=True, stream_plan=True: one turn plans (streamed: compute calls start "
        "as their lines arrive), the calls run as dataflow in the tool tasks, an ordinary "
        "turn answers"
    ),
    "llmorch_paper": 'this project, policy="paper" (the paper\'s Algorithms 2-3 as written)',
    "llmorch": 'this project, policy="dataflow" (the default), stream_plan=True',
}
"""One line per technique of `runner.TECHNIQUES`."""

SIZE_HELP: dict[str, str] = {
    "tiny": "for CI and smoke tests",
    "small": "a quick look",
    "default": "the paper's sizes",
}
"""What each of `harness.SIZES` is for; the numbers are added from `SIZES` itself."""


def _size_line(name: str) -> str:
    size: dict[str, Any] = SIZES[name]
    few, many = size["n"]
    docs = (size["agnews"] or agnews.DEFAULT)["n"]
    return (
        f"{SIZE_HELP.get(name, '')}. {few} quer{'y' if few == 1 else 'ies'} per compute suite, "
        f"{many} per I/O suite; KITTI image scale {size['kitti']}, AGNews {docs} documents, "
        f"case studies at scale {size['case']} ({size['mb']} MiB to encrypt)"
    )


def _wrap(text: str, indent: int = 0) -> str:
    return textwrap.fill(text, _WIDTH, subsequent_indent=" " * indent)


def _section(title: str, entries: Mapping[str, str]) -> str:
    width = max(len(name) for name in entries) + 4
    lines = [f"{title}:"]
    lines += [_wrap(f"  {name:<{width - 2}}{text}", width) for name, text in entries.items()]
    return "\n".join(lines)


def _epilog() -> str:
    techniques: dict[str, str] = {
        name: f"{technique_name(name)}: {TECHNIQUE_HELP.get(name, '')}" for name in TECHNIQUES
    }
    suites = {name: SUITE_HELP.get(name, "") for name in SUITES}
    if "scaling" in suites:
        names = ", ".join(technique_name(t) for t in SCALING_TECHNIQUES)
        suites["scaling"] += f" ({names} only)"
    return "\n\n".join(
        [
            _section("modes", COMMANDS),
            _section("suites (--suite)", suites),
            _section("sizes (--size)", {name: _size_line(name) for name in SIZES}),
            _section("techniques (--techniques)", techniques),
            (
                "examples:\n"
                f"  {PROG} --size tiny --suite hotpotqa recovery --queries 2\n"
                f"  {PROG} --suite kitti --techniques react llmorch\n"
                f"  {PROG} engine --processors 2"
            ),
            _wrap(
                "With --model NAME (or OPENAI_API_KEY / OPENAI_BASE_URL set) the suites run "
                "against a real model, and the tables add accuracy with LLMCompiler's scorer. "
                f"Needs the bench extra: {BENCH_INSTALL}"
            ),
        ]
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"must be a whole number of at least 1, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        msg = f"must be a number of at least 0, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser; `--help` explains every mode, suite, size and technique."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_wrap(
            "Benchmark plan-first parallel tool orchestration (LLMOrch) against ReAct, "
            "parallel function calling, an LLMCompiler-style executor and LangChain's "
            "create_agent, offline, on the paper's workloads."
        ),
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=list(COMMANDS),
        default="run",
        help="run (default) or engine; see 'modes' below",
    )
    parser.add_argument(
        "--suite",
        nargs="+",
        choices=SUITES,
        metavar="SUITE",
        help="suites to run (default: all); see 'suites' below",
    )
    parser.add_argument(
        "--techniques",
        nargs="+",
        choices=TECHNIQUES,
        metavar="TECHNIQUE",
        help="techniques to run (default: all); see 'techniques' below",
    )
    parser.add_argument(
        "--processors",
        type=_positive_int,
        default=None,
        metavar="P",
        help="processors for compute calls (default: the usable CPUs)",
    )
    parser.add_argument(
        "--queries",
        type=_positive_int,
        default=None,
        metavar="N",
        help="queries per suite (default: set by --size); for dags, random plans",
    )
    parser.add_argument(
        "--size",
        choices=list(SIZES),
        default="default",
        help="work per query (default: default); see 'sizes' below",
    )
    parser.add_argument(
        "--latency-scale",
        type=_non_negative_float,
        default=1.0,
        metavar="X",
        help="multiply the scripted LLM's and the searches' latencies (0: none; default 1)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the latencies (default 0)")
    parser.add_argument(
        "--out",
        default="benchmark_results",
        help="folder for report.md, results.json and charts (default: benchmark_results)",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="a real OpenAI-compatible model name instead of the scripted LLM",
    )
    parser.add_argument("--no-charts", action="store_true", help="skip the Gantt charts")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line; a bad value exits with a usage error (status 2).

    Args:
        argv: the arguments (default: `sys.argv[1:]`).

    Returns:
        The parsed options.
    """
    return build_parser().parse_args(argv)


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

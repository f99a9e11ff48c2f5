"""Run a scripted LLMOrch agent from an installed wheel: no extras, no key, no network.

`make wheel-check` builds the wheel, installs it into a fresh virtual environment with only
its runtime dependencies, and runs this file there. It checks that the core wheel works on
its own: an inout and a compute call planned, run in parallel and answered; and that it ships
the integration only: no `bench` (benchmarks, baselines, demo), no data files, under 450 KB.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import langchain_llmorch
from langchain_llmorch import compute, create_llmorch_agent, inout
from langchain_llmorch.testing import planner_or

MAX_WHEEL_BYTES = 450_000  # code only; benchmarks or data would be megabytes
CODE_FILES = {".py", ".typed"}  # modules, and the py.typed marker
DIST = Path(__file__).resolve().parents[1] / "dist"  # where `make wheel-check` builds the wheel


@inout
def lookup(city: str) -> int:
    """The population of a city, in thousands."""
    return {"Paris": 2103, "Rome": 2749}[city]


@compute
def square(n: int) -> int:
    """The square of n (CPU-bound)."""
    return n * n


def contents_problem(package: Path) -> str | None:
    """What the installed wheel ships beyond the integration, or None when it is lean."""
    if importlib.util.find_spec("bench") is not None:
        return "`bench` is importable: the laboratory must stay out of the wheel"
    extra = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in CODE_FILES
    )
    if extra:
        return f"the wheel ships files other than code: {extra}"
    for wheel in DIST.glob("*.whl"):
        size = wheel.stat().st_size
        if size >= MAX_WHEEL_BYTES:
            return f"{wheel.name} is {size:,} bytes (at most {MAX_WHEEL_BYTES:,})"
        print(f"{wheel.name}: {size:,} bytes")
    return None


def main() -> int:
    """Plan, run and answer once; exit non-zero on any surprise."""
    here = Path(langchain_llmorch.__file__).resolve()
    if "site-packages" not in here.parts:
        print(f"langchain_llmorch came from {here}, not from the installed wheel")
        return 1
    problem = contents_problem(here.parent)
    if problem:
        print(problem)
        return 1
    model = planner_or(
        's1: lookup(city="Paris")\ns2: lookup(city="Rome")\ns3: square(n=s1)',
        answer=lambda prompt: "answered",
    )
    agent = create_llmorch_agent(model, [lookup, square])
    out = agent.invoke({"messages": [("user", "Paris and Rome, and Paris squared?")]})
    results = dict(out.get("results", {}))
    print(f"langchain-llmorch {langchain_llmorch.__version__} from {here.parent}")
    print(f"results: {results}; answer: {out['messages'][-1].content!r}")
    expected = {"s1": 2103, "s2": 2749, "s3": 2103 * 2103}
    if {key: results.get(key) for key in expected} != expected:
        print(f"expected {expected}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

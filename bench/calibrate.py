"""How many processors this machine really gives us right now.

The machines here are shared: a busy neighbour halves a 2-core result. Before a
benchmark we time one pure-Python CPU call alone, then P copies at once on the
worker pool; `effective cores = P * alone / together` (P when nothing else runs).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.engine import cpu_work, loops_for
from langchain_llmorch import Orchestrator, build_frg, parse_plan


@dataclass(frozen=True)
class Calibration:
    """The machine as measured at the start of a run."""

    processors: int
    """P, the workers the engine uses."""
    effective: float
    """Processors' worth of CPU the P workers actually got."""
    call_seconds: float
    """One calibration call alone."""


def calibrate(processors: int, *, seconds: float = 0.3) -> Calibration:
    """Time one CPU-bound call alone, then `processors` of them at once."""
    orch = Orchestrator([cpu_work], max_processors=processors)
    orch.warm()
    loops = loops_for(seconds)
    one = build_frg(parse_plan(f"s1: cpu_work(loops={loops})"), [cpu_work])
    orch.run(one)  # workers import the tool's module on first use: keep it out
    alone = orch.run(one).trace[0].duration
    text = "\n".join(f"s{i}: cpu_work(loops={loops})" for i in range(processors))
    together = orch.run(build_frg(parse_plan(text), [cpu_work]))
    slowest = max(r.duration for r in together.trace)
    return Calibration(processors, processors * alone / slowest, alone)

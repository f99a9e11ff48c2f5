"""Measurements of issue 12 and the streaming planner: kill -9 resume, a tool interrupt,
plan approval, and when calls start relative to the plan's end with a streaming model.

Run from the repository root:
    PYTHONPATH=. .venv/bin/python scripts/streaming_plans.py
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from langchain_llmorch import create_llmorch_agent, inout
from langchain_llmorch.testing import planner_or
from tests.unit_tests.agent import _durable_tools as tools
from tests.unit_tests.agent._durable_tools import RUNS
from tests.unit_tests.agent.test_streaming_plans import LineStreamer

ROOT = Path.cwd()


def kill_scenario() -> None:
    tmp = Path(tempfile.mkdtemp())
    db, log, go = tmp / "s.sqlite", tmp / "calls.log", tmp / "go"
    cmd = [sys.executable, "-m", "tests.unit_tests.agent._killable_run", str(db), str(log), str(go)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(cmd, env=env, cwd=ROOT)
    def saved() -> int:
        if not db.exists():
            return 0
        with SqliteSaver.from_conn_string(str(db)) as saver:
            t = saver.get_tuple({"configurable": {"thread_id": "killable"}})
        return sum(1 for _, c, v in (t.pending_writes or []) if c == "__return__" and v) if t else 0
    while saved() < 3:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before = sorted(l for l in log.read_text().splitlines() if l.startswith("done"))
    go.touch()
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    runs = Counter(log.read_text().splitlines())
    rerun = sum(runs[f"start {n}"] - 1 for n in (1, 2, 3))
    print(f"kill -9: finished before kill={done_before}; answer={out.stdout.strip()!r}; "
          f"finished calls re-run on resume: {rerun} (goal 0); "
          f"starts per call: {[runs[f'start {n}'] for n in range(1, 7)]}")


def interrupt_scenario() -> None:
    RUNS.clear()
    plan = 's1: fetch(key="a")\ns2: ask_human(question="go?")\ns3: fetch(key="b")\ns4: self(prompt="{s1} {s2} {s3}")'
    model = planner_or(plan, answer=lambda t: t.rsplit("\n", 1)[-1])
    agent = create_llmorch_agent(model, [tools.fetch, tools.ask_human], checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "i"}}
    out = agent.invoke({"messages": [("user", "q")]}, cfg)
    paused = (out.get("__interrupt__"), agent.get_state(cfg).next, dict(RUNS))
    out = agent.invoke(Command(resume="yes"), cfg)
    print(f"interrupt: paused with {[i.value for i in paused[0]]}, next={paused[1]}, runs then={paused[2]}; "
          f"after resume answer={out['messages'][-1].content!r}, runs={dict(RUNS)} "
          f"(finished calls re-run: {RUNS['fetch:a'] - 1 + RUNS['fetch:b'] - 1})")


def approval_scenario() -> None:
    RUNS.clear()
    plan = 's1: fetch(key="a")\ns2: fetch(key="b")\ns3: self(prompt="{s1} {s2}")'
    model = planner_or(plan, answer=lambda t: t.rsplit("\n", 1)[-1])
    agent = create_llmorch_agent(model, [tools.fetch], checkpointer=InMemorySaver(), approve_plan=True)
    cfg = {"configurable": {"thread_id": "a"}}
    agent.invoke({"messages": [("user", "q")]}, cfg)
    before = sum(RUNS.values())
    out = agent.invoke(Command(resume=True), cfg)
    print(f"approval: tool runs before approval={before} (goal 0); after={dict(RUNS)}; "
          f"answer={out['messages'][-1].content!r}")


SECONDS_PER_LINE = 0.25  # ~100 tokens/s at ~25 tokens per plan line
TOOL_SECONDS = 1.0


@inout
async def lookup(key: str) -> str:
    """A slow lookup (I/O-bound)."""
    await asyncio.sleep(TOOL_SECONDS)
    return key


class SlowLines(LineStreamer):
    """Streams one plan line every SECONDS_PER_LINE; answers at once otherwise."""

    def _wait(self, i: int) -> None:
        time.sleep(SECONDS_PER_LINE)

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
        from langchain_llmorch.runs import REQUEST_KEY

        metadata = run_manager.metadata if run_manager is not None else {}
        if metadata.get(REQUEST_KEY) == "plan":  # the same model, not streamed: the whole plan at once
            time.sleep(SECONDS_PER_LINE * len(self.plan.splitlines()))
        return super()._generate(messages, stop, run_manager, **kw)


def streaming_scenario(chain: bool = False) -> None:
    n = 6
    # flat: 6 independent lookups; chain: s1 -> s2 -> s3 (each uses the previous result), s4-s6 flat
    calls = [f's{i}: lookup(key="k{i}")' if not (chain and 1 < i <= 3) else f"s{i}: lookup(key=s{i - 1})"
             for i in range(1, n + 1)]
    plan = "\n".join([*calls, f's{n + 1}: self(prompt="' + "".join(f"{{s{i}}}" for i in range(1, n + 1)) + '")'])
    q = {"messages": [("user", "q")]}
    print("chain s1->s2->s3 + 3 flat:" if chain else "6 flat calls:")
    for stream in (False, True):
        model = SlowLines(plan=plan)
        agent = create_llmorch_agent(model, [lookup], stream_plan=stream)
        t0 = time.time()
        events = list(agent.stream(q, stream_mode="custom"))
        total = time.time() - t0
        planned = [e for e in events if e["event"] == "planned"]
        ahead = planned[0]["scheduled_before_end"] if planned else {}
        print(f"stream_plan={stream}: total {total:.2f} s (plan alone {(n + 1) * SECONDS_PER_LINE:.2f} s, "
              f"one call {TOOL_SECONDS} s); "
              + (f"plan took {planned[0]['plan_seconds']:.2f} s; seconds each call was scheduled before the plan's end: "
                 + ", ".join(f"{k}={v:+.2f}" for k, v in ahead.items()) if planned else "all calls scheduled after the plan"))


if __name__ == "__main__":
    kill_scenario()
    interrupt_scenario()
    approval_scenario()
    streaming_scenario()
    streaming_scenario(chain=True)

"""Three processes, each a create_agent app with LLMOrchMiddleware: one machine-wide bound."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.unit_tests.agent.test_middleware import max_overlap

ROOT = Path(__file__).resolve().parents[3]
P = 2


@pytest.mark.timeout(180)
def test_three_agent_processes_never_run_more_than_p_compute_calls_at_once(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    env["LLMORCH_MAX_PROCESSORS"] = str(P)
    outs = [str(tmp_path / f"p{i}.json") for i in range(3)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.unit_tests.agent._mw_child", out, "300000"],
            cwd=ROOT,
            env=env,
        )
        for out in outs
    ]
    try:
        deadline = time.monotonic() + 120
        while not all(Path(o + ".ready").exists() for o in outs):
            assert all(p.poll() is None for p in procs), "a process ended before it was ready"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        for out in outs:
            Path(out + ".go").touch()
        for proc in procs:
            assert proc.wait(timeout=120) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    spans = [tuple(s) for o in outs for s in json.loads(Path(o).read_text())]
    assert len(spans) == 18
    assert max_overlap(spans) <= P
    assert max_overlap(spans) == P  # the machine's P slots were all in use at some point

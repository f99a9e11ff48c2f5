"""The example served for real: `langgraph dev` on examples/langgraph_server, driven by the SDK.

One server (the in-memory runtime, no browser, no reload, a free port of 127.0.0.1, the
scripted model) takes 20 concurrent runs on 20 threads, half with only inout calls and half
with compute calls, streamed with `stream_mode=["custom", "values"]`; a thread of the
approval graph pauses with its plan and is resumed; a second turn on a thread sees the
first. Every answer is checked, the compute calls of all runs never overlap more than P at
once (from the runs' traces), and when the server is stopped no worker process is left.
The figures are printed (run with `-s` to see them).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sdk = pytest.importorskip("langgraph_sdk", reason="langgraph-sdk is not installed")
pytest.importorskip("langgraph_api", reason="langgraph-cli[inmem] is not installed")
psutil = pytest.importorskip("psutil")

from langchain_llmorch.processes.cpus import usable_cpus  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
SERVER_DIR = ROOT / "examples" / "langgraph_server"
POPULATIONS = {"Paris": 2_102_650, "Rome": 2_748_109, "Madrid": 3_332_035, "Berlin": 3_596_999}
RUNS = 20
RESULT_LINE = re.compile(r"(\w+)\((\w+)=\"?(\w+)\"?\) = (\d+)")


def _prime_count(limit: int) -> int:
    """Primes below `limit`, by a plain list sieve (not the example's bytearray one)."""
    flags = [True] * max(limit, 2)
    flags[0] = flags[1] = False
    n = 2
    while n * n < limit:
        if flags[n]:
            for multiple in range(n * n, limit, n):
                flags[multiple] = False
        n += 1
    return sum(flags[:limit])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _langgraph() -> str:
    found = Path(sys.executable).with_name("langgraph")
    if not found.exists():
        pytest.skip(f"the langgraph CLI is not installed beside {sys.executable}")
    return str(found)


class Server:
    """`langgraph dev` in its own session, with its log in a file."""

    def __init__(self, workdir: Path) -> None:
        # A copy of the example: the server resolves its paths from, and writes its state
        # (.langgraph_api/) into, the directory it runs in.
        for name in ("agent.py", "langgraph.json", "requirements.txt"):
            shutil.copy(SERVER_DIR / name, workdir / name)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "server.log"
        env = {
            **os.environ,
            "LLMORCH_MODEL": "scripted",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        command = [
            _langgraph(),
            "dev",
            "--config",
            "langgraph.json",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--no-browser",
            "--no-reload",
            # No --allow-blocking: the server's blocking-call detector stays on, so a
            # blocking call of LLMOrch's on the event loop fails the runs of this test.
            "--n-jobs-per-worker",
            str(RUNS + 4),
        ]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(  # its own session: the test can stop it all
                command,
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 120) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                pytest.fail(f"langgraph dev exited: {self.log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.2)
                continue
            if "Application started up" in self.log.read_text():
                return time.monotonic() - started
            time.sleep(0.2)
        pytest.fail(f"langgraph dev did not start: {self.log.read_text()[-3000:]}")

    def descendants(self) -> list[Any]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def stop(self, timeout: float = 60) -> float:
        """Ctrl-C, as a developer stops it; the seconds until the server process ended."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                pytest.fail(f"langgraph dev ignored Ctrl-C for {timeout} s")
        return time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    try:
        yield running
    finally:
        running.kill()
        for child in running.descendants():  # only on failure: the test checks for these
            child.kill()


def _answer_facts(answer: str) -> dict[str, int]:
    """`population(city="Paris") = 2102650; ...` -> {"Paris": 2102650, ...}."""
    return {match[2]: int(match[3]) for match in RESULT_LINE.findall(answer)}


def _expected(question: str) -> dict[str, int]:
    facts = {city: n for city, n in POPULATIONS.items() if city in question}
    facts |= {str(n): _prime_count(n) for n in map(int, re.findall(r"\b\d+\b", question))}
    return facts


def _questions() -> list[str]:
    cities = list(POPULATIONS)
    questions = []
    for n in range(RUNS):
        if n % 2:  # compute: two sieves each, so calls of different runs overlap
            questions.append(f"Primes below {300_000 + n} and below {350_000 + n}?")
        else:  # inout only
            questions.append(f"Populations of {cities[n % 4]} and {cities[(n + 1) % 4]}?")
    return questions


async def _stream_run(client: Any, question: str) -> dict[str, Any]:
    thread = await client.threads.create()
    started = time.monotonic()
    custom: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    errors: list[Any] = []
    async for part in client.runs.stream(
        thread["thread_id"],
        "llmorch",
        input={"messages": [{"role": "user", "content": question}]},
        stream_mode=["custom", "values"],
    ):
        if part.event == "custom":
            custom.append(part.data)
        elif part.event == "values":
            values.append(part.data)
        elif part.event == "error":
            errors.append(part.data)
    return {
        "question": question,
        "thread": thread["thread_id"],
        "seconds": time.monotonic() - started,
        "custom": custom,
        "values": values,
        "errors": errors,
    }


def _last_answer(state: dict[str, Any]) -> str:
    return str(state["messages"][-1]["content"])


async def _approval_thread(client: Any) -> dict[str, Any]:
    thread = await client.threads.create()
    question = "Population of Madrid and primes below 90000?"
    inputs = {"messages": [{"role": "user", "content": question}]}
    await client.runs.wait(thread["thread_id"], "llmorch_approval", input=inputs)
    paused = await client.threads.get_state(thread["thread_id"])
    (task,) = [t for t in paused["tasks"] if t.get("interrupts")]
    (review,) = task["interrupts"]
    resumed = await client.runs.wait(
        thread["thread_id"], "llmorch_approval", command={"resume": True}
    )
    return {"question": question, "paused": paused, "review": review["value"], "out": resumed}


async def _two_turns(client: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    thread = await client.threads.create()
    first = await client.runs.wait(
        thread["thread_id"],
        "llmorch",
        input={"messages": [{"role": "user", "content": "Population of Berlin?"}]},
    )
    second = await client.runs.wait(
        thread["thread_id"],
        "llmorch",
        input={"messages": [{"role": "user", "content": "And of Rome?"}]},
    )
    return first, second


async def _drive(url: str) -> dict[str, Any]:
    client = sdk.get_client(url=url)
    questions = _questions()
    started = time.monotonic()
    runs, approval, turns = await asyncio.gather(
        asyncio.gather(*(_stream_run(client, q) for q in questions)),
        _approval_thread(client),
        _two_turns(client),
    )
    return {
        "runs": runs,
        "approval": approval,
        "turns": turns,
        "seconds": time.monotonic() - started,
    }


def _peak(intervals: list[tuple[float, float]]) -> int:
    points = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    level = peak = 0
    for _, step in points:
        level += step
        peak = max(peak, level)
    return peak


def test_the_example_served_by_langgraph_dev(server: Server) -> None:
    test_started = time.monotonic()
    startup = server.wait_ready()
    driven = asyncio.run(_drive(server.url))
    workers = server.descendants()

    runs = driven["runs"]
    assert len({run["thread"] for run in runs}) == RUNS
    assert [run["errors"] for run in runs] == [[]] * RUNS
    compute_intervals: list[tuple[float, float]] = []
    compute_pids: set[int] = set()
    for run in runs:
        final = run["values"][-1]
        assert not final.get("errors"), final.get("errors")
        assert final.get("failure") is None
        assert _answer_facts(_last_answer(final)) == _expected(run["question"])
        finished = [e for e in run["custom"] if e["event"] == "finished"]
        assert len(finished) == len(_expected(run["question"]))  # a streamed event per call
        assert len(run["values"]) >= 2  # the input, the plan, ..., the answer
        for record in final["trace"]:
            if record["kind"] == "compute":
                compute_intervals.append((record["started_at"], record["ended_at"]))
                compute_pids.add(record["pid"])
    kinds = [sorted({e["kind"] for e in run["custom"] if e["event"] == "finished"}) for run in runs]
    assert sorted(kinds) == [["compute"]] * (RUNS // 2) + [["inout"]] * (RUNS // 2)
    processors = usable_cpus()
    peak = _peak(compute_intervals)
    assert len(compute_intervals) == RUNS  # 10 runs of 2 sieves
    assert 1 <= peak <= processors
    # The compute calls ran in the server's worker processes, not in the server itself.
    assert server.process.pid not in compute_pids
    assert compute_pids <= {p.pid for p in workers}

    approval = driven["approval"]
    assert approval["paused"]["next"] == ["approve"]
    assert not approval["paused"]["values"].get("results")  # nothing ran before the yes
    assert [c["tool"] for c in approval["review"]["calls"]] == ["population", "count_primes"]
    assert _answer_facts(_last_answer(approval["out"])) == _expected(approval["question"])

    first, second = driven["turns"]
    assert _answer_facts(_last_answer(first)) == {"Berlin": POPULATIONS["Berlin"]}
    # The second turn planned from the whole thread: Berlin came from the first turn.
    assert _answer_facts(_last_answer(second)) == {
        "Berlin": POPULATIONS["Berlin"],
        "Rome": POPULATIONS["Rome"],
    }
    said = [m for m in second["messages"] if not m.get("tool_calls") and m["type"] != "tool"]
    assert [m["type"] for m in said] == ["human", "ai", "human", "ai"]  # tool use aside
    assert "tool" in [m["type"] for m in second["messages"]]  # each run's calls are shown

    shutdown = server.stop()
    time.sleep(0.5)  # let the kernel reap what the server's exit released
    left = [p for p in workers if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, f"left running after the server stopped: {left}"
    latencies = sorted(run["seconds"] for run in runs)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * len(latencies)) - 1)]
    print(  # noqa: T201 - the figures of the run, for the docs
        f"\nlanggraph dev: startup {startup:.1f} s; {RUNS} streamed runs on {RUNS} threads "
        f"+ 1 approval thread + 2 turns in {driven['seconds']:.1f} s; errors 0; "
        f"compute calls {len(compute_intervals)}, peak at once {peak} (P={processors}); "
        f"latency p50 {statistics.median(latencies):.2f} s, p95 {p95:.2f} s; "
        f"worker processes {len(workers)}, left after stop {len(left)}; "
        f"shutdown {shutdown:.1f} s; test {time.monotonic() - test_started:.1f} s"
    )

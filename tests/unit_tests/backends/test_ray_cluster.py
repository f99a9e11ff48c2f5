"""A two-node Ray cluster on this machine loses its second node in the middle of a run.

`ray start --head` and a second `ray start --address=...` (1 CPU each, so P = 2) make a
real multi-node cluster: two raylets, each with its own workers. The driver runs in its
own process (`_ray_node_loss`); once a call runs on each node, the test kills the second
node (its raylet and its workers, SIGKILL). Ray 2.5x turns token authentication on for a
`ray start --head`, so every process gets `RAY_AUTH_MODE=token` and the same
`RAY_AUTH_TOKEN` (without them the second node is refused: "InvalidAuthToken").
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.unit_tests.backends._cluster_tools import starts

pytest.importorskip("ray", reason="ray is not installed (pip install 'langchain-llmorch[ray]')")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]
ROOT = Path(__file__).resolve().parents[3]
OBJECT_STORE = str(80 * 1024 * 1024)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A head node and a second node, in a private temp dir (short: Ray's socket paths)."""

    def __init__(self) -> None:
        ray_cli = Path(sys.executable).with_name("ray")
        if not ray_cli.exists():
            pytest.skip(f"the ray CLI is not installed beside {sys.executable}")
        self.dir = tempfile.mkdtemp(prefix="llmorch-ray-", dir="/tmp")
        self.port, self.node_port = _free_port(), _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RAY_")},
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": secrets.token_hex(16),
            "RAY_USAGE_STATS_ENABLED": "0",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        common = ["--num-cpus=1", "--num-gpus=0", f"--object-store-memory={OBJECT_STORE}"]
        head = [str(ray_cli), "start", "--head", f"--port={self.port}", f"--temp-dir={self.dir}"]
        self._ray(*head, "--include-dashboard=false", "--disable-usage-stats", *common)
        # The second node joins while the test's driver starts (the driver waits for it).
        self.joining = subprocess.Popen(
            [str(ray_cli), "start", f"--address={self.address}", "--disable-usage-stats",
             f"--node-manager-port={self.node_port}", *common],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def joined(self) -> None:
        """Wait for the second node's `ray start` to finish; fail if it did not join."""
        try:
            _, err = self.joining.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            self.joining.kill()
            pytest.fail("the second Ray node did not join in 240 s")
        if self.joining.returncode != 0:
            pytest.fail(f"the second Ray node did not join: {err[-2000:]}")

    def _ray(self, *command: str) -> None:
        done = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=240, check=False
        )
        if done.returncode != 0:
            self.stop()
            pytest.fail(f"{' '.join(command[1:3])} failed: {done.stderr[-2000:]}")

    def mine(self) -> list[Any]:
        """Every process of this cluster: their command lines name its temp dir."""
        return [
            process
            for process in psutil.process_iter(["cmdline"])
            if any(self.dir in part for part in process.info["cmdline"] or [])
        ]

    def second_node(self) -> list[Any]:
        """The second node's raylet and everything it started (its workers)."""
        flag = f"--node_manager_port={self.node_port}"
        (raylet,) = [
            p for p in self.mine() if flag in (p.info["cmdline"] or []) and "raylet" in p.name()
        ]
        return [raylet, *raylet.children(recursive=True)]

    def stop(self) -> None:
        """Kill this cluster's processes only (`ray stop` would stop every Ray here)."""
        joining = getattr(self, "joining", None)
        if joining is not None and joining.poll() is None:
            joining.kill()
            joining.communicate()
        for process in self.mine():
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(self.mine(), timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    started = time.monotonic()
    running = Cluster()
    running.started = started  # type: ignore[attr-defined]
    try:
        yield running
    finally:
        running.stop()


def test_losing_a_node_mid_run_loses_no_result(cluster: Cluster, tmp_path: Path) -> None:
    log, gate = tmp_path / "calls.log", tmp_path / "gate"
    command = [sys.executable, "-m", "tests.unit_tests.backends._ray_node_loss",
               cluster.address, str(log), str(gate)]  # fmt: skip
    started = time.monotonic()
    driver = subprocess.Popen(
        command, env=cluster.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        cluster.joined()
        cluster.startup = time.monotonic() - cluster.started  # type: ignore[attr-defined]
        deadline = time.monotonic() + 240
        while len({pid for _, pid in starts(log)}) < 2:  # a call running on each node
            assert driver.poll() is None, driver.communicate()[1][-3000:]
            assert time.monotonic() < deadline, f"two calls did not start: {starts(log)}"
            time.sleep(0.05)
        node = cluster.second_node()
        on_node = {p.pid for p in node}
        running = starts(log)[:2]
        (victim,) = [(n, pid) for n, pid in running if pid in on_node]
        for process in node:
            process.kill()  # the node is lost: its raylet and its workers, at once
        killed_at = time.monotonic()
        gate.touch()
        out, err = driver.communicate(timeout=120)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.communicate()
    assert driver.returncode == 0, err[-3000:]
    seconds, after_kill = time.monotonic() - started, time.monotonic() - killed_at
    report = json.loads(out.strip().splitlines()[-1])

    assert report["processors"] == 2
    assert report["results"] == {f"s{n}": n * 10 for n in range(1, 5)}  # 0 results lost
    assert not report["errors"]
    lost = f"s{victim[0]}"
    failed = [r for r in report["trace"] if r["error"]]
    # The call on the lost node failed as a worker crash (Ray does not retry: max_retries=0)
    # and went into recovery, which ran it again on the node that was left.
    assert [r["id"] for r in failed] == [lost]
    assert failed[0]["error"].startswith("WorkerCrashedError")
    assert report["recoveries"] == 1
    runs = Counter(n for n, _ in starts(log))
    assert runs == {n: 2 if n == victim[0] else 1 for n in range(1, 5)}
    done = [line.split() for line in log.read_text().splitlines() if line.startswith("done")]
    ran_on = {int(n): int(pid) for _, n, pid in done}
    assert not on_node & set(ran_on.values())  # nothing finished on the lost node
    per_process = Counter(ran_on.values())
    print(  # noqa: T201 - the figures for the docs
        f"\nray node loss: cluster up in {cluster.startup:.1f} s; calls started per node: "  # type: ignore[attr-defined]
        f"head {sum(1 for _, pid in starts(log) if pid not in on_node)}, "
        f"second {sum(1 for _, pid in starts(log) if pid in on_node)}; {lost} lost with the "
        f"node -> WorkerCrashedError -> recovery -> rerun; finished per worker "
        f"{dict(per_process)}; results 4/4; run {seconds:.1f} s ({after_kill:.1f} s after "
        "the kill)"
    )

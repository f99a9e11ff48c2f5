"""Real Postgres and Redis servers for the tests: from the environment, or started here.

`.ci/run` starts both with `scripts/services.sh` and exports `LLMORCH_TEST_POSTGRES_URI`
and `LLMORCH_TEST_REDIS_URL`. Without them, `service_url` starts the one asked for in a
private directory (when its binaries are installed) and stops it at the end of the test
session; when it cannot, the test skips and says why.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "scripts" / "services.sh"
ENV = {"postgres": "LLMORCH_TEST_POSTGRES_URI", "redis": "LLMORCH_TEST_REDIS_URL"}

_started: dict[str, tuple[str, str]] = {}  # service -> (url, its directory)


def service_url(service: str) -> str:
    """The URL of a running `service` ("postgres" or "redis"), or skip the test."""
    name = ENV[service]
    if os.environ.get(name):
        return os.environ[name]
    if service in _started:
        return _started[service][0]
    directory = tempfile.mkdtemp(prefix=f"llmorch-{service}-")
    env = {**os.environ, "LLMORCH_SERVICES_DIR": directory}
    done = subprocess.run(
        [str(SERVICES), "start", service],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    exports = dict(
        line.removeprefix("export ").split("=", 1)
        for line in done.stdout.splitlines()
        if line.startswith("export ")
    )
    if done.returncode != 0 or name not in exports:
        subprocess.run([str(SERVICES), "stop"], env=env, capture_output=True, check=False)
        why = done.stderr.strip().splitlines()[-1:] or ["no output"]
        pytest.skip(f"{name} is not set and no {service} server could be started: {why[0]}")
    _started[service] = (exports[name], directory)
    return exports[name]


def stop_started_services() -> None:
    """Stop the servers `service_url` started (call at the end of the session)."""
    for _, directory in _started.values():
        env = {**os.environ, "LLMORCH_SERVICES_DIR": directory}
        subprocess.run([str(SERVICES), "stop"], env=env, capture_output=True, check=False)
    _started.clear()

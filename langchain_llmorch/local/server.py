"""`LocalLLMServer`: llama.cpp's OpenAI-compatible server for a GGUF model, on loopback.

See `langchain_llmorch.local` for the whole story (what to install, what the model can do);
`LocalLLMServer` is re-exported there, import it from there. The child process itself is
`langchain_llmorch.local.server_main`; probing and stopping it is `langchain_llmorch.local.process`.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Self

from langchain_openai import ChatOpenAI

from langchain_llmorch.errors import OptionTypeError
from langchain_llmorch.local.cpu_slots import ModelSlots, slot_clients
from langchain_llmorch.local.process import (
    LOOPBACK,
    LocalServerError,
    free_port,
    log_tail,
    probe,
    spawn,
    stop_process,
)
from langchain_llmorch.local.requirements import DEFAULT_MODEL_FILE, check_local_requirements
from langchain_llmorch.local.weights import MODELS
from langchain_llmorch.processes.slots import SlotGroup, machine_slots

if TYPE_CHECKING:
    from types import TracebackType

_POLL_INTERVAL = 0.05
_HTTP_OK = 200

HOLD_CPU_SLOTS = False
"""The default of `hold_cpu_slots`: off. Measured on 2 shared cores (docs/local-model.md),
holding them made no question faster: the same at low load, 4-10% slower (median per pair)
for the agent that asked under load, as a streamed plan's compute calls waited for the
model's slot and then left a core idle."""


class LocalLLMServer:
    """llama.cpp's OpenAI-compatible server for a GGUF model, in a child process on loopback.

    The server is a context manager; `start()` blocks until the model is loaded
    and `GET /v1/models` answers 200. Each instance runs its own process; use
    `local_chat_model()` to share one per interpreter.

    Args:
        model_path: a GGUF file or the name of an embedded model in `MODELS` (default:
            Qwen2.5-Coder-0.5B-Instruct, Q4_K_M, assembled and checked on first start).
        port: loopback port (default: a free one, chosen at `start()`).
        n_threads: CPU threads for generation. Keep 1 on a small machine: with 2
            threads on 2 busy cores generation dropped from ~60 to ~5 tokens/s.
        n_threads_batch: CPU threads for prompt processing (prefill), which works on
            many tokens at once and so loses less to a busy core (default: `n_threads`).
        n_ctx: context window in tokens.
        startup_timeout: seconds `start()` waits for the model before giving up.
        native_tool_calls: format prompts with the model's Jinja chat template and parse
            tool calls out of its replies (`bind_tools`). Off by default: the agent plans
            through structured output or text, and with Jinja on, llama.cpp's reply
            parser rejected schema-valid plans of the 0.5B model with HTTP 500 ("does not
            match the expected peg-native format"). Off, llama.cpp applies the model's
            built-in chat format (ChatML for Qwen) and returns the reply as it is.
        hold_cpu_slots: count the server's CPU in the machine-wide compute slots: while a
            request is in flight its chat models hold `cpu_threads` slots (at most the
            machine's), so compute calls and the model never ask for more cores than
            exist (`langchain_llmorch.local.cpu_slots`). Off by default (`HOLD_CPU_SLOTS`):
            measured, it sped the model's decoding up but made questions slower.
            `chat_model()` can override it.

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
        n_threads_batch: int | None = None,
        n_ctx: int = 2048,
        startup_timeout: float = 120.0,
        native_tool_calls: bool = False,
        hold_cpu_slots: bool = HOLD_CPU_SLOTS,
    ) -> None:
        """Describe a server; nothing starts before `start()`."""
        _check_flag("hold_cpu_slots", hold_cpu_slots)
        checked = [("n_threads", n_threads), ("n_ctx", n_ctx)]
        if n_threads_batch is not None:
            checked.append(("n_threads_batch", n_threads_batch))
        for name, value in checked:
            if value < 1:
                msg = f"{name} must be at least 1, got {value}"
                raise ValueError(msg)
        if startup_timeout <= 0:
            msg = f"startup_timeout must be positive, got {startup_timeout}"
            raise ValueError(msg)
        self.model_path: str | Path | None = (
            model_path if model_path is None or _is_name(model_path) else Path(model_path)
        )
        self.port = port
        self.n_threads = n_threads
        self.n_threads_batch = n_threads_batch
        self.n_ctx = n_ctx
        self.startup_timeout = startup_timeout
        self.native_tool_calls = native_tool_calls
        self.hold_cpu_slots = hold_cpu_slots
        self._model_slots: dict[SlotGroup, ModelSlots] = {}
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
        return f"http://{LOOPBACK}:{self.port}/v1"

    @property
    def cpu_threads(self) -> int:
        """How many threads the server computes with: `max(n_threads, n_threads_batch)`."""
        return max(self.n_threads, self.n_threads_batch or self.n_threads)

    def model_slots(self) -> ModelSlots | None:
        """The server's share of the machine-wide slots (`None` when the slot group is off).

        One per slot group (`LLMORCH_SLOT_GROUP`), shared by every chat model of the server.

        Example:
            ```python
            from langchain_llmorch.local import LocalLLMServer

            slots = LocalLLMServer(n_threads_batch=2).model_slots()
            print(slots.count if slots else "slots off")  # 2 on a machine of 2 or more cores
            ```
        """
        group = machine_slots()
        if group is None:
            return None
        with self._lock:
            found = self._model_slots.get(group)
            if found is None:
                found = self._model_slots[group] = ModelSlots(group, threads=self.cpu_threads)
            return found

    @property
    def model_name(self) -> str:
        """The name the server reports for its model (the GGUF file's stem)."""
        if isinstance(self.model_path, str):
            return Path(MODELS[self.model_path].file_name).stem
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
            self.port = self._requested_port or free_port()
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
            str(Path(__file__).with_name("server_main.py")),
            "--model",
            str(self.model_path),
            "--port",
            str(self.port),
            "--threads",
            str(self.n_threads),
            "--threads-batch",
            str(self.n_threads_batch or self.n_threads),
            "--ctx",
            str(self.n_ctx),
            "--alias",
            self.model_name,
            *(["--jinja"] if self.native_tool_calls else []),
        ]

    def _spawn(self) -> None:
        command = self._child_command()
        # A file, not a pipe, for the child's log: nobody reads it while it runs,
        # and a full pipe would block llama.cpp's threads.
        self._log = tempfile.TemporaryFile(prefix="llmorch-llama-")  # noqa: SIM115
        try:
            self._process = spawn(command, self._log)
        except OSError as err:
            self._log.close()
            self._log = None
            msg = f"cannot start the local llama.cpp server process {command[0]}: {err}"
            raise LocalServerError(msg) from err
        self._finalizer = weakref.finalize(self, stop_process, self._process, self._log)
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
                    f"(model {self.model_path}, port {self.port}). Its log:\n{log_tail(self._log)}"
                )
                raise LocalServerError(msg)
            status = probe(url)
            if status == _HTTP_OK:
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(_POLL_INTERVAL)
        answer = "no answer" if status is None else f"last answer HTTP {status}"
        msg = (
            f"the local llama.cpp server was not ready after {self.startup_timeout:g}s "
            f"({answer} from {url}); raise startup_timeout for a bigger model. "
            f"Its log:\n{log_tail(self._log)}"
        )
        raise LocalServerError(msg)

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
        self._model_slots = {}  # the parent's holds are the parent's
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
        hold_cpu_slots: bool | None = None,
        **kwargs: Any,
    ) -> ChatOpenAI:
        """A `ChatOpenAI` that talks to this server.

        Args:
            temperature: sampling temperature (0 makes replies repeatable).
            max_tokens: cap on generated tokens; always keep one, since a small
                model may otherwise ramble until the context is full.
            timeout: client timeout per request, in seconds; it also bounds a request's
                wait for a CPU slot (past it, the request goes on without one).
            hold_cpu_slots: whether requests hold the machine-wide slots while in flight
                (None: the server's `hold_cpu_slots`). An `http_client` or
                `http_async_client` given in `kwargs` is kept: requests pass through it.
            **kwargs: any other `ChatOpenAI` argument (`max_retries` defaults to 1).

        Returns:
            A chat model bound to `base_url`, with a dummy API key.

        Raises:
            LocalServerError: the server is not running.
            OptionTypeError: `hold_cpu_slots` is not a bool (or None), or a given HTTP
                client is not an `httpx` client of its kind.

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
        if hold_cpu_slots is not None:
            _check_flag("hold_cpu_slots", hold_cpu_slots)
        if not self.running:
            raise LocalServerError("the local server is not running: call start() first")
        hold = self.hold_cpu_slots if hold_cpu_slots is None else hold_cpu_slots
        model_slots = self.model_slots() if hold else None
        if model_slots is not None:
            kwargs["http_client"], kwargs["http_async_client"] = slot_clients(
                model_slots,
                http_client=kwargs.get("http_client"),
                http_async_client=kwargs.get("http_async_client"),
            )
        kwargs.setdefault("max_retries", 1)
        kwargs.setdefault("use_responses_api", False)
        # Marks a small embedded model, for the agent's defaults (`check_plans`).
        kwargs["metadata"] = {**(kwargs.get("metadata") or {}), EMBEDDED_MARK: self.model_name}
        return ChatOpenAI(
            model=self.model_name,
            base_url=self.base_url,
            api_key=kwargs.pop("api_key", "not-needed"),
            temperature=temperature,
            max_tokens=max_tokens,
            timeout=timeout,
            **kwargs,
        )


EMBEDDED_MARK = "langchain_llmorch_embedded_model"
"""Metadata key of the chat models `chat_model` makes; its value is the model's name."""


def _check_flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        msg = f"{name} must be True or False, not {value!r}"
        raise OptionTypeError(msg)


def _is_name(model: str | Path) -> bool:
    return isinstance(model, str) and model in MODELS


# Every server started in this process; a forked child disowns them (see `local`).
_servers: weakref.WeakSet[LocalLLMServer] = weakref.WeakSet()

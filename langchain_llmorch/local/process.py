"""The local llama.cpp server's child process, seen from the parent: start, probe, stop.

`LocalLLMServer` (in `langchain_llmorch.local.server`) runs
`langchain_llmorch.local.server_main` in a child process on a free loopback port (`free_port`),
starts it (`spawn`), polls it over HTTP without any proxy (`probe`) until the model answers,
reads the end of its log for errors (`log_tail`), and stops it with
`stop_process`: close its standard input (the child then exits on its own), then terminate,
then kill. `LocalServerError` is re-exported by `langchain_llmorch.local`; import it from there.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import urllib.error
import urllib.request
from typing import IO, Any

from langchain_llmorch.errors import LLMOrchError

LOOPBACK = "127.0.0.1"
"""The only address the server listens on."""
_PROBE_TIMEOUT = 2.0
_STOP_GRACE = 2.0
_LOG_TAIL_CHARS = 2000


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


# --------------------------------------------------------------------------- HTTP


# Loopback traffic must never go through an HTTP proxy from the environment.
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def probe(url: str) -> int | None:
    """HTTP status of `GET url`, or None when nothing answers yet.

    Example:
        ```python
        ready = probe("http://127.0.0.1:8080/v1/models") == 200
        ```
    """
    try:
        with _NO_PROXY_OPENER.open(url, timeout=_PROBE_TIMEOUT) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)
    except (urllib.error.URLError, http.client.HTTPException, OSError):
        return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    Example:
        ```python
        url = f"http://{LOOPBACK}:{free_port()}/v1"
        ```
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- the child


def spawn(command: list[str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """Start the child in a session of its own (Ctrl+C in a terminal stays with the parent).

    Its standard input is a pipe (closing it stops the child), its output is dropped and its
    errors go to `log`: a file, not a pipe, since nobody reads it while the child runs and a
    full pipe would block llama.cpp's threads.

    Raises:
        OSError: the process could not be started.
    """
    extra: dict[str, Any] = {}
    if os.name == "posix":
        extra["start_new_session"] = True
    else:  # pragma: no cover - Windows
        extra["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
    return subprocess.Popen(  # noqa: S603 - fixed argv, our own module
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=log,
        **extra,
    )


def log_tail(log: IO[bytes] | None) -> str:
    """The last lines the child wrote to `log` ("(empty)" if none; "" when unreadable)."""
    if log is None:
        return ""
    try:
        log.flush()
        size = log.seek(0, os.SEEK_END)
        log.seek(max(0, size - _LOG_TAIL_CHARS))
        text = log.read().decode("utf-8", "replace").strip()
    except (OSError, ValueError):
        return ""
    return text or "(empty)"


# --------------------------------------------------------------------------- stopping


def stop_process(process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    """Stop the child: close its stdin, then terminate, then kill; close its log. Never raises.

    Example:
        ```python
        weakref.finalize(server, stop_process, server_process, log_file)
        ```
    """
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


__all__ = [
    "LOOPBACK",
    "LocalServerError",
    "free_port",
    "log_tail",
    "probe",
    "spawn",
    "stop_process",
]

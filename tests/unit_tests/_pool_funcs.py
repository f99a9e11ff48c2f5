"""Module-level functions for the worker-pool tests (importable in a fresh worker process)."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

GATE_POLL = 0.005  # seconds between looks at a gate file: short, so tests stay quick
GATE_GIVE_UP = 60.0  # a gate never opened means the test broke; don't hang the worker forever


def return_value(value: object) -> object:
    return value


def sleep_for(seconds: float) -> None:
    time.sleep(seconds)


def wait_for_file(path: str) -> str:
    """Block until `path` exists: lets a test hold a worker busy for as long as it needs."""
    deadline = time.monotonic() + GATE_GIVE_UP
    while not Path(path).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(path)
        time.sleep(GATE_POLL)
    return path


def write_pid_and_hang(path: str) -> None:
    """Say which process runs the call, then never return."""
    Path(path + ".tmp").write_text(str(os.getpid()))
    Path(path + ".tmp").replace(path)
    time.sleep(3600)


def raise_value_error(message: str) -> None:
    raise ValueError(message)


class TwoArgumentError(Exception):
    """Pickles, but does not unpickle: `__init__` needs two arguments, `args` holds one."""

    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"{left}/{right}")


def raise_two_argument_error() -> None:
    raise TwoArgumentError("left", "right")


def call_sys_exit() -> None:
    sys.exit(3)


def exit_now(code: int) -> None:
    os._exit(code)


def kill_self(signum: int) -> None:
    os.kill(os.getpid(), signum)


def return_lock() -> object:
    return threading.Lock()


def chatty(value: object, marker: str) -> object:
    """Write to stdout every way a tool might, far more than a pipe buffer holds."""
    print(marker, "x" * 100_000)  # noqa: T201 -- a tool that prints is the point
    sys.stdout.write(marker + " via sys.stdout\n")
    sys.__stdout__.write(marker + " via sys.__stdout__\n")  # type: ignore[union-attr]
    os.write(1, (marker + " via fd 1\n").encode() * 1000)
    print(marker, "input() reads:", repr(sys.stdin.read()))  # noqa: T201
    return value


def thread_env() -> dict[str, str | None]:
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
    return {name: os.environ.get(name) for name in names}


class DiesOnFirstLoad:
    """An argument whose first unpickling (in a worker) kills that worker, before the call.

    The first load creates `path` and exits; later loads find it and go on.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (_load_or_die, (self.path,))


def _load_or_die(path: str) -> str:
    marker = Path(path)
    if not marker.exists():
        marker.write_text("died")
        os._exit(9)
    return path


def note_and_exit(path: str) -> None:
    """Append a line to `path`, then kill the worker: a call that started and died."""
    with Path(path).open("a") as file:
        file.write("ran\n")
    os._exit(9)

"""Guarantees of the worker program and its wire format (`processes.worker_main`).

The frame and record tests run over a pipe in this process; the others through a pool.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from typing import TYPE_CHECKING

import pytest

from langchain_llmorch.processes.pool import ProcessPool
from langchain_llmorch.processes.worker_main import (
    LRUCache,
    Reply,
    Request,
    Status,
    recv_frame,
    send_frame,
)
from tests.unit_tests import _pool_funcs as funcs
from tests.unit_tests.processes._helpers import PATIENCE, P, gone, wait_until

if TYPE_CHECKING:
    from pathlib import Path


def test_frames_cross_a_pipe_whole_and_in_order() -> None:
    """Empty, small and multi-megabyte parts (past the pipe's buffer) come back as sent."""
    big = os.urandom(3 << 20)
    frames = [[b"", b"a", big], [], [b"xyz" * 1000, b""], [bytearray(b"last")]]
    read_fd, write_fd = os.pipe()
    got: list[list[bytes]] = []

    def read_all() -> None:
        got.extend([bytes(part) for part in recv_frame(read_fd)] for _ in frames)

    reader = threading.Thread(target=read_all)
    reader.start()
    try:
        for frame in frames:
            send_frame(write_fd, frame)
        reader.join(PATIENCE)
    finally:
        os.close(write_fd)
    assert got == [[bytes(part) for part in frame] for frame in frames]
    with pytest.raises(EOFError):  # the writer is closed: the reader is told, never hangs
        recv_frame(read_fd)
    os.close(read_fd)


def test_requests_and_replies_survive_their_encoding() -> None:
    """Request and Reply decode to what was encoded, with plain pickles of builtins only."""
    request = Request(7, b"digest", b"fn", b"args")
    assert Request.from_parts(request.to_parts()) == request
    reply = Reply(7, Status.RAISED, b"payload", 1.5, 2.5, "Traceback ...", "ValueError: x")
    assert Reply.from_parts(reply.to_parts()) == reply
    meta = pickle.loads(reply.to_parts()[0])  # noqa: S301 -- our own bytes
    assert all(isinstance(item, (int, float, str, bytes)) for item in meta)


def test_the_function_cache_forgets_the_least_recently_used() -> None:
    """At capacity the entry used longest ago goes; a read counts as a use."""
    cache: LRUCache[str, int] = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now "b" is the oldest
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == (1, 3)
    cache.discard("a")
    assert cache.get("a") is None


def test_tool_output_on_stdout_does_not_break_the_protocol(
    pool: ProcessPool, capfd: pytest.CaptureFixture[str]
) -> None:
    """print(), writes to fd 1 and reads of stdin in a tool leave the pipe protocol intact."""
    assert pool.submit(funcs.chatty, ({"a": 1}, "shared")).result().value == {"a": 1}

    with ProcessPool(1) as own:  # started under capfd, so its stderr is captured here
        assert own.submit(funcs.chatty, ([1, 2], "mine")).result().value == [1, 2]
    err = capfd.readouterr().err
    assert "mine via fd 1" in err
    assert "mine via sys.__stdout__" in err
    assert "input() reads: ''" in err


def test_workers_run_numeric_libraries_single_threaded(pool: ProcessPool) -> None:
    """Workers set the numeric libraries' thread counts (and OpenCV's) to one."""
    assert set(pool.submit(funcs.thread_env).result().value.values()) == {"1"}
    cv2 = pytest.importorskip("cv2")

    def opencv_threads() -> int:  # unpickling its closure imports OpenCV before the call
        return int(cv2.getNumThreads())

    assert pool.submit(opencv_threads).result().value == 1


SCRIPT = """
import os, signal, sys, time
from langchain_llmorch.processes.pool import get_pool

def square(x):  # a script's own function, and no `if __name__ == "__main__"` guard
    return x * x

def hang():
    time.sleep(3600)

pool = get_pool(2)
print(pool.submit(square, (3,)).result().value)
pool.submit(hang)
while pool.running() < 1:
    time.sleep(0.01)
print(*pool.worker_pids(), flush=True)
if sys.argv[1] == "sigkill":
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("end", ["exit", "sigkill"])
def test_no_worker_outlives_its_parent(tmp_path: Path, end: str) -> None:
    """A script's workers die with it: at normal exit (atexit) and when it is SIGKILLed."""
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), end],
        check=False,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )
    lines = done.stdout.split("\n")
    assert lines[0] == "9", done.stderr  # ran the script's function; no re-import of __main__
    pids = [int(pid) for pid in lines[1].split()]
    assert len(pids) == P
    wait_until(lambda: all(gone(pid) for pid in pids), "the script's workers are dead")

# ruff: noqa: T201 -- a helper process: it reports on stdout
"""A small process that takes machine-wide slots, for the cross-process slot tests.

Run by path (`python _slot_holder.py MODE DIR SIZE ...`): it loads
`langchain_llmorch/processes/slot_files.py` and `slots.py` alone (they need only the standard
library), so it starts in a few milliseconds instead of importing LangChain.

Modes:
- `hold DIR SIZE K`: take K slots, print `held`, then sleep until killed.
- `wait DIR SIZE`: ask for one slot, print `waiting`, print `granted` once it holds it, exit.
- `fork DIR 1`: fork, take the slot, and print whether the child could take it too (`0`: no).
- `cycle DIR SIZE N SECONDS GATE`: wait for the file GATE, then run N threads that each take a
  slot, sleep SECONDS and give it back; print the (start, end) of each hold as JSON.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import time
from pathlib import Path
from types import ModuleType

PROCESSES = Path(__file__).resolve().parents[3] / "langchain_llmorch" / "processes"


def load(name: str) -> ModuleType:
    """Load `langchain_llmorch.processes.<name>` from its file, without the package."""
    full = f"langchain_llmorch.processes.{name}"
    spec = importlib.util.spec_from_file_location(full, PROCESSES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[full] = module  # found there by the next module's import, and by dataclasses
    spec.loader.exec_module(module)
    return module


def load_slots() -> ModuleType:
    load("slot_files")
    return load("slots")


def take(group, *, priority: float = 0.0):
    """Block until `group` grants a slot."""
    box: list[object] = []
    granted = threading.Event()

    def grant(slot: object) -> None:
        box.append(slot)
        granted.set()

    group.request(grant, priority=priority)
    granted.wait()
    return box[0]


def main() -> None:
    mode, directory, size = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    slots = load_slots()
    group = slots.SlotGroup(size, directory)
    if mode == "hold":
        for _ in range(int(sys.argv[4])):
            take(group)
        print("held", flush=True)
        time.sleep(3600)
    elif mode == "wait":
        granted = threading.Event()
        group.request(lambda _slot: granted.set())
        print("granted" if granted.is_set() else "waiting", flush=True)
        granted.wait()
        print(f"granted {time.time()!r}", flush=True)
    elif mode == "fork":
        group.release(take(group))  # the slot file is open, unlocked, when we fork
        go_read, go_write = os.pipe()
        answer_read, answer_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child asks once the parent holds the slot again
            os.read(go_read, 1)
            got: list[object] = []
            group.request(got.append)
            os.write(answer_write, b"1" if got else b"0")
            os._exit(0)
        take(group)
        os.write(go_write, b"!")
        print(os.read(answer_read, 1).decode(), flush=True)
        os.waitpid(pid, 0)
    elif mode == "cycle":
        count, seconds, gate = int(sys.argv[4]), float(sys.argv[5]), Path(sys.argv[6])
        spans: list[tuple[float, float]] = []

        def one() -> None:
            slot = take(group)
            start = time.time()
            time.sleep(seconds)
            end = time.time()
            spans.append((start, end))
            group.release(slot)

        print("ready", flush=True)
        while not gate.exists():
            time.sleep(0.001)
        threads = [threading.Thread(target=one) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(json.dumps(spans), flush=True)


if __name__ == "__main__":
    main()

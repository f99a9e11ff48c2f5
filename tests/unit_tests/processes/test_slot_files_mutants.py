"""The slot files' guarantees that the mutation run of `processes.slot_files` found untested.

The cross-process checks run small helper processes that load only `slot_files.py` and
`slots.py` (see `_slot_holder.py`), so each starts in milliseconds.
"""

from __future__ import annotations

import logging
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from langchain_llmorch.processes.slot_files import (
    DEFAULT_GROUP,
    SLOT_GROUP_ENV,
    SlotFiles,
    group_name,
)
from langchain_llmorch.processes.slots import Slot, SlotGroup

HERE = Path(__file__).parent
HOLDER = HERE / "_slot_holder.py"
PATIENCE = 30.0  # seconds a helper process may take before the test fails instead of hanging

# Loads the slot modules as `_slot_holder` does and prints whether ANOTHER process waits.
PROBE = (
    "import sys; sys.path.insert(0, sys.argv[1]); import _slot_holder as h; "
    "h.load('slot_files'); from langchain_llmorch.processes.slot_files import SlotFiles; "
    "from pathlib import Path; print(SlotFiles(Path(sys.argv[2]), 1).others_waiting())"
)


def holder(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HOLDER), *map(str, args)], stdout=subprocess.PIPE, text=True
    )


def probe(directory: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(HERE), str(directory)],
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=True,
    )
    return done.stdout.strip()


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=PATIENCE)


def test_without_the_env_var_the_group_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """No LLMORCH_SLOT_GROUP at all (not just empty) means the `default` group."""
    monkeypatch.delenv(SLOT_GROUP_ENV, raising=False)
    assert group_name() == DEFAULT_GROUP


def test_another_process_waiting_is_seen_and_our_own_wait_is_not(tmp_path: Path) -> None:
    """others_waiting() is True exactly while a different process waits for a slot."""
    files = SlotFiles(tmp_path, 1)
    assert not files.others_waiting()  # nobody waits (and the `waiting` file is new)

    group = SlotGroup(1, tmp_path)
    held: list[Slot] = []
    group.request(held.append)
    waiter = holder("wait", tmp_path, 1)
    try:
        assert waiter.stdout is not None
        assert waiter.stdout.readline().strip() == "waiting"
        assert files.others_waiting()
        assert files.others_waiting()  # asking does not end the other's wait
    finally:
        group.release(held[0])
        out, _ = waiter.communicate(timeout=PATIENCE)
    assert out.startswith("granted")
    assert not files.others_waiting()  # the waiter got its slot and ended


def test_asking_whether_others_wait_leaves_no_mark_of_our_own(tmp_path: Path) -> None:
    """A process that only asked, or that stopped waiting, does not look like a waiter."""
    files = SlotFiles(tmp_path, 1)
    assert not files.others_waiting()
    assert probe(tmp_path) == "False"
    files.mark_waiting(True)
    assert not files.others_waiting()  # our own wait is not another's
    assert probe(tmp_path) == "True"
    assert not files.others_waiting()
    assert probe(tmp_path) == "True"  # asking kept our mark
    files.mark_waiting(False)
    assert probe(tmp_path) == "False"


def test_a_slot_directory_made_again_is_private(tmp_path: Path) -> None:
    """A removed group directory (a temp cleaner) is made again with mode 700."""
    directory = tmp_path / "group"
    group = SlotGroup(1, directory)
    directory.rmdir()
    held: list[Slot] = []
    group.request(held.append)
    assert len(held) == 1
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert (directory / "slot-0.lock").exists()
    group.release(held[0])


def test_unusable_slot_files_are_reported_once_with_the_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The fall-back to a per-process bound is logged once, naming the directory and error."""
    directory = tmp_path / "gone"
    group = SlotGroup(2, directory)
    directory.rmdir()
    directory.write_text("not a directory")
    held: list[Slot] = []
    with caplog.at_level(logging.WARNING, logger="langchain_llmorch.processes.slots"):
        for _ in range(3):
            group.request(held.append)
    assert len(held) == 2
    warnings = [r for r in caplog.records if str(directory) in r.getMessage()]
    assert len(warnings) == 1
    assert "unusable" in warnings[0].getMessage()
    assert "Errno" in warnings[0].getMessage()  # the OSError's own text
    for slot in held:
        group.release(slot)

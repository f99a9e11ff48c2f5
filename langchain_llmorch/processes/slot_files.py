"""The files behind the machine-wide compute slots: where they live and how they are locked.

A group's directory holds `slot-<i>.lock` for each of its P slots and one `waiting` file.

- A process holds slot i while it holds an exclusive `flock` on `slot-i.lock`, taken without
  blocking. `flock` locks belong to an open file, so two opens conflict even inside one
  process, and the kernel drops them when the process ends, `kill -9` included.
- A process that waits for a slot holds a POSIX read lock (`lockf`) on `waiting`. A process
  that frees a slot tries a write lock on it: POSIX locks of one process never conflict with
  each other, so that fails exactly when *another* process waits.

Like the rest of `processes.slots`, this module needs the standard library only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: slots bound this process only
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("langchain_llmorch.processes.slots")

HAVE_FILE_LOCKS = fcntl is not None
SLOT_GROUP_ENV = "LLMORCH_SLOT_GROUP"
"""Environment variable naming the group of processes that share the slots; `off` disables."""
SLOT_DIR_ENV = "LLMORCH_SLOT_DIR"
"""Environment variable: the directory that holds the groups' slot files."""
DEFAULT_GROUP = "default"
OFF = "off"

_GROUP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def group_name(group: str | None = None) -> str:
    """The slot group in effect: `group`, else `$LLMORCH_SLOT_GROUP`, else `default`.

    Raises:
        ValueError: the name is not 1-64 letters, digits, `.`, `_` or `-`.
    """
    name = (group if group is not None else os.environ.get(SLOT_GROUP_ENV, "")).strip()
    name = name or DEFAULT_GROUP
    if name.lower() == OFF:
        return OFF
    if not _GROUP_NAME.fullmatch(name):
        msg = f"a slot group name is 1-64 letters, digits, '.', '_' or '-', not {name!r}"
        raise ValueError(msg)
    return name


def slot_directory(group: str) -> Path:
    """Where a group's slot files live: `$LLMORCH_SLOT_DIR/<group>`, else a per-user dir.

    The per-user directory is `<tmp>/langchain-llmorch-<uid>` (`tempfile.gettempdir()`, so
    `/tmp` on Linux), private to the user (see `make_private`). It does not follow
    `XDG_RUNTIME_DIR`, which a shell has and a service or cron job often has not: all the
    user's processes must find the same files.
    """
    base = os.environ.get(SLOT_DIR_ENV, "").strip()
    if base:
        return Path(base) / group
    return Path(tempfile.gettempdir()) / f"langchain-llmorch-{os.getuid()}" / group


def make_private(directory: Path) -> None:
    """Create the per-user directory (mode 700); refuse one another user could write to.

    Another user who owns it, or may write to it, could hold or replace our slot files.

    Raises:
        PermissionError: the directory is not private to this user.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        msg = (
            f"{directory} is not private to this user (owner {info.st_uid}, mode {info.st_mode:o})"
        )
        raise PermissionError(msg)


class SlotFiles:
    """This process's open slot files of one group directory (callers serialise the calls)."""

    def __init__(self, directory: Path, size: int) -> None:
        """Use (and create) `directory` for `size` slots."""
        self.directory = directory
        self._fds: list[int | None] = [None] * size
        self._marker: int | None = None
        self._marked = False
        self._broken = False
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def try_lock(self, index: int) -> bool:
        """Take slot `index` if no other holder has it (never blocks).

        If the files cannot be used (the directory was removed and cannot be made again, say),
        every slot counts as free: the slots then bound this process only, and calls never
        wait for a lock nobody can release.
        """
        if self._broken or fcntl is None:
            return True
        try:
            fcntl.flock(self._fd(index), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as err:
            self._broken = True
            logger.warning(
                "compute slot files in %s are unusable (%s): they bound this process only",
                self.directory,
                err,
            )
        return True

    def unlock(self, index: int) -> None:
        """Give slot `index` back to every process."""
        fd = self._fds[index]
        if fd is not None and fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            except OSError:  # pragma: no cover - an open file can always be unlocked
                logger.exception("cannot unlock compute slot file %s", self._path(index))

    def mark_waiting(self, waiting: bool) -> None:  # noqa: FBT001 -- a setter
        """Say whether this process waits for a slot (a shared lock on `waiting`)."""
        if waiting == self._marked or self._broken or fcntl is None:
            return
        try:
            fcntl.lockf(self._marker_fd(), fcntl.LOCK_SH if waiting else fcntl.LOCK_UN)
            self._marked = waiting
        except OSError:
            logger.exception("cannot mark the wait for a compute slot in %s", self.directory)

    def others_waiting(self) -> bool:
        """Whether another process waits for a slot of this group (a hint)."""
        if self._broken or fcntl is None:
            return False
        try:  # our own POSIX locks never conflict: this fails only on another's read lock
            marker = self._marker_fd()
            fcntl.lockf(marker, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.lockf(marker, fcntl.LOCK_SH if self._marked else fcntl.LOCK_UN)
        return False

    def forget_after_fork(self) -> None:
        """In a forked child: close the inherited files (the parent keeps its locks)."""
        for fd in [*self._fds, self._marker]:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fds = [None] * len(self._fds)
        self._marker, self._marked = None, False

    def _path(self, index: int) -> Path:
        return self.directory / f"slot-{index}.lock"

    def _fd(self, index: int) -> int:
        """The slot file, opened once; reopened if it was deleted or replaced meanwhile.

        Called only for slots this process does not hold, so closing loses no lock.
        """
        path = self._path(index)
        fd = self._fds[index]
        if fd is not None:
            try:
                same = path.stat().st_ino == os.fstat(fd).st_ino
            except OSError:
                same = False
            if same:
                return fd
            os.close(fd)
            self._fds[index] = None
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by children
        self._fds[index] = fd
        return fd

    def _marker_fd(self) -> int:
        if self._marker is None:
            self._marker = os.open(self.directory / "waiting", os.O_RDWR | os.O_CREAT, 0o600)
        return self._marker


__all__ = [
    "DEFAULT_GROUP",
    "HAVE_FILE_LOCKS",
    "OFF",
    "SLOT_DIR_ENV",
    "SLOT_GROUP_ENV",
    "SlotFiles",
    "group_name",
    "make_private",
    "slot_directory",
]

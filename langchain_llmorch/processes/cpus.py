"""How many processors compute calls may use: CPU count, affinity, cgroup quota, physical cores.

`usable_cpus()` sizes the process-wide worker pool (`langchain_llmorch.processes.pool.get_pool`);
`LLMORCH_MAX_PROCESSORS` overrides it.
"""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path

import psutil

MAX_PROCESSORS_ENV = "LLMORCH_MAX_PROCESSORS"
"""Environment variable that overrides `usable_cpus()`."""


def usable_cpus() -> int:
    """Return how many processors this process may use for compute calls.

    The minimum of the CPU count, the CPU affinity, the cgroup CPU quota (rounded up) and the
    number of physical cores when known. `LLMORCH_MAX_PROCESSORS` overrides all of them.

    Returns:
        At least 1.

    Raises:
        ValueError: `LLMORCH_MAX_PROCESSORS` is set but is not a positive integer.

    Example:
        ```python
        from langchain_llmorch.processes import usable_cpus

        print(usable_cpus())  # e.g. 2 in a 2-core container on a 64-core host
        ```
    """
    override = os.environ.get(MAX_PROCESSORS_ENV, "").strip()
    if override:
        try:
            value = int(override)
        except ValueError:
            value = 0
        if value < 1:
            msg = f"{MAX_PROCESSORS_ENV} must be a positive integer, not {override!r}"
            raise ValueError(msg)
        return value
    counts = [os.cpu_count() or 1]
    affinity = allowed_cores()
    if affinity:
        counts.append(len(affinity))
    quota = cgroup_cpu_quota()
    if quota is not None:
        counts.append(quota)
    physical: int | None = psutil.cpu_count(logical=False)
    if physical:
        counts.append(physical)
    return max(1, min(counts))


def allowed_cores() -> list[int]:
    """The cores this process may run on, sorted; empty if the OS does not say.

    Example:
        ```python
        from langchain_llmorch.processes.cpus import allowed_cores

        print(allowed_cores())  # e.g. [0, 1]; the pool pins worker i to core i mod len
        ```
    """
    cpus: list[int] = []
    with contextlib.suppress(AttributeError, OSError, psutil.Error):  # no affinity on macOS
        cpus = list(psutil.Process().cpu_affinity())
    if not cpus and hasattr(os, "sched_getaffinity"):
        cpus = list(os.sched_getaffinity(0))
    return sorted(cpus)


def cgroup_cpu_quota(
    root: Path = Path("/sys/fs/cgroup"), self_cgroup: Path = Path("/proc/self/cgroup")
) -> int | None:
    """Return the CPU quota of this process's cgroup (v2 `cpu.max` or v1 CFS), rounded up.

    Looks at the process's own cgroup and its ancestors, and at the mount root (inside a
    container the root is the container's cgroup). `None` when there is no quota.
    """
    dirs = [root, root / "cpu", root / "cpu,cpuacct"]
    with contextlib.suppress(OSError):
        for line in self_cgroup.read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            base = root if not controllers else root / controllers
            here = base / path.lstrip("/")
            while here != base and base in here.parents:
                dirs.append(here)
                here = here.parent
    quotas = [q for d in dirs if (q := _read_quota(d)) is not None]
    return min(quotas) if quotas else None


def _read_quota(directory: Path) -> int | None:
    try:
        if (directory / "cpu.max").is_file():  # v2: "max 100000" or "150000 100000"
            quota, _, period = (directory / "cpu.max").read_text().strip().partition(" ")
        else:  # v1: cpu.cfs_quota_us is -1 when unlimited
            quota = (directory / "cpu.cfs_quota_us").read_text().strip()
            period = (directory / "cpu.cfs_period_us").read_text().strip()
        if quota in {"max", "-1"}:
            return None
        return max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError, ZeroDivisionError):
        return None

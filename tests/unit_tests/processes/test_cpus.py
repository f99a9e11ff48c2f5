"""Guarantees of the usable-processor count (`processes.cpus`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from langchain_llmorch.processes.cpus import (
    MAX_PROCESSORS_ENV,
    allowed_cores,
    cgroup_cpu_quota,
    usable_cpus,
)

if TYPE_CHECKING:
    from pathlib import Path


def test_allowed_cores_are_this_process_affinity_sorted() -> None:
    """The cores the pool pins workers to are exactly those this process may run on."""
    cores = allowed_cores()
    assert cores == sorted(cores)
    if hasattr(os, "sched_getaffinity"):
        assert cores == sorted(os.sched_getaffinity(0))


def test_usable_cpus_honours_the_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """LLMORCH_MAX_PROCESSORS wins; without it the count is within the machine's."""
    monkeypatch.setenv(MAX_PROCESSORS_ENV, "3")
    assert usable_cpus() == 3
    for bad in ("0", "-2", "many"):
        monkeypatch.setenv(MAX_PROCESSORS_ENV, bad)
        with pytest.raises(ValueError, match=MAX_PROCESSORS_ENV):
            usable_cpus()
    monkeypatch.delenv(MAX_PROCESSORS_ENV)
    assert 1 <= usable_cpus() <= (os.cpu_count() or 1)


def test_cgroup_quota_is_read_from_v2_and_v1_files(tmp_path: Path) -> None:
    """cpu.max and CFS quotas round up; the tightest of the cgroup and its ancestors wins."""
    nested = tmp_path / "v2" / "app" / "job"
    nested.mkdir(parents=True)
    (tmp_path / "v2" / "cpu.max").write_text("max 100000\n")
    (tmp_path / "v2" / "app" / "cpu.max").write_text("250000 100000\n")
    (nested / "cpu.max").write_text("150000 100000\n")
    self_cgroup = tmp_path / "self_cgroup"
    self_cgroup.write_text("0::/app/job\n")
    assert cgroup_cpu_quota(tmp_path / "v2", self_cgroup) == 2

    (tmp_path / "v1" / "cpu").mkdir(parents=True)
    (tmp_path / "v1" / "cpu" / "cpu.cfs_quota_us").write_text("300000\n")
    (tmp_path / "v1" / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpu_quota(tmp_path / "v1", tmp_path / "missing") == 3
    (tmp_path / "v1" / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cgroup_cpu_quota(tmp_path / "v1", tmp_path / "missing") is None

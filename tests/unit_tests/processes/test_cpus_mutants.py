"""The processor count's guarantees that the mutation run of `processes.cpus` found untested."""

from __future__ import annotations

import pytest

from langchain_llmorch.processes import cpus


@pytest.mark.parametrize(
    ("cpu_count", "cores", "quota", "physical", "usable"),
    [
        (8, [0, 1, 2, 3], 3, 6, 3),  # the quota is the least
        (8, [5], None, 4, 1),  # one allowed core: 1, not more
        (None, [], None, None, 1),  # nothing known: 1
        (6, [], None, None, 6),
        (8, [0, 1, 2, 3, 4, 5], None, 2, 2),  # two physical cores
    ],
)
def test_usable_cpus_is_the_least_of_what_is_known(
    monkeypatch: pytest.MonkeyPatch,
    cpu_count: int | None,
    cores: list[int],
    quota: int | None,
    physical: int | None,
    usable: int,
) -> None:
    """The minimum of CPU count, allowed cores, cgroup quota and physical cores (at least 1)."""
    monkeypatch.delenv(cpus.MAX_PROCESSORS_ENV, raising=False)
    monkeypatch.setattr(cpus.os, "cpu_count", lambda: cpu_count)
    monkeypatch.setattr(cpus, "allowed_cores", lambda: cores)
    monkeypatch.setattr(cpus, "cgroup_cpu_quota", lambda: quota)
    monkeypatch.setattr(cpus.psutil, "cpu_count", lambda **_: physical)
    assert cpus.usable_cpus() == usable

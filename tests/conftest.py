"""Every test takes machine-wide compute slots in a private directory.

Other test runs and programs on a shared machine then never hold the slots these tests
count on (each session gets its own slots, under pytest's temporary directory).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from langchain_llmorch.processes.slots import SLOT_DIR_ENV, SLOT_GROUP_ENV


@pytest.fixture(autouse=True, scope="session")
def private_slots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in (SLOT_DIR_ENV, SLOT_GROUP_ENV)}
    os.environ[SLOT_DIR_ENV] = str(tmp_path_factory.mktemp("slots"))
    os.environ.pop(SLOT_GROUP_ENV, None)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value

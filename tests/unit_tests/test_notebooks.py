"""Every notebook in notebooks/ runs top to bottom on a clean kernel, offline.

The kernel is this test run's own interpreter (a temporary kernelspec points at
`sys.executable`), so the notebooks see the same installed packages as the tests, and
the OpenAI variables are removed from its environment so the scripted model is used.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from langchain_core.messages import AIMessage, HumanMessage
from nbclient import NotebookClient

from langchain_llmorch.runs import request_config
from langchain_llmorch.testing import ScriptedChatModel, planner_or

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL = "llmorch-test"
CELL_TIMEOUT = 120  # seconds; a whole notebook must also fit in pytest's 120 s
OFFLINE_UNSET = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE")
CHECK_KERNEL = "import sys; print(sys.prefix)"


def test_there_are_exactly_six_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01_quickstart.ipynb",
        "02_migrate_from_agentexecutor.ipynb",
        "03_compute_heavy.ipynb",
        "04_recovery.ipynb",
        "05_durable_runs.ipynb",
        "06_create_agent_middleware.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: clear the outputs before committing"
            assert cell.execution_count is None, f"{path.name}: clear the execution counts"


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kernelspec that runs this interpreter, whatever `python` is on PATH."""
    root = tmp_path_factory.mktemp("kernels")
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "llmorch tests",
        "language": "python",
    }
    (root / KERNEL).mkdir()
    (root / KERNEL / "kernel.json").write_text(json.dumps(spec))
    return root


def _kernel_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_UNSET}
    # The package is importable in the kernel even when it is not installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("MPLBACKEND", None)  # let ipykernel pick the inline backend
    return env


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path, kernel_dir: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CHECK_KERNEL))
    km = AsyncKernelManager(
        kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dir)])
    )
    client = NotebookClient(
        nb,
        km=km,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    start = time.perf_counter()
    client.execute(env=_kernel_env())  # raises CellExecutionError on any error
    elapsed = time.perf_counter() - start
    print(f"{path.name}: {elapsed:.1f} s")  # noqa: T201 - shown with -s or -rP
    check = nb.cells[-1].outputs
    assert check, "the kernel did not answer the check cell"
    assert check[0]["text"].strip() == sys.prefix, "the kernel is not this interpreter"
    assert elapsed < CELL_TIMEOUT


# The scripted model the notebooks run on, against LLMOrch's real prompts: if the prompts'
# wording changes, these say so before the notebooks fail in a less obvious way.


def test_scripted_model_tells_llmorchs_requests_apart() -> None:
    """`planner_or` answers by the request's kind (run metadata), whatever the wording."""
    model = planner_or("s1: f(x=1)", "the answer", repair="s1: f(x=2)", recover={"s3": "s3: g()"})

    def reply(config: Any) -> str:
        return model.invoke([HumanMessage("any words at all")], config).text

    assert reply(request_config("plan")) == "s1: f(x=1)"
    assert reply(request_config("repair")) == "s1: f(x=2)"
    assert reply(request_config("recover", "s3")) == "s3: g()"
    assert reply(request_config("recover", "s4")) == ""  # no rewrite: kept as it is
    assert reply(request_config("join")) == "the answer"
    assert reply(request_config("self")) == "the answer"
    assert reply(None) == "the answer"


def test_planner_or_replies_per_request() -> None:
    model = planner_or(
        "PLAN",
        answer=lambda text: text.upper(),
        repair="FIXED",
        recover={"s2": 's2: search(query="Florida", k=1000)'},
    )
    assert model.invoke("q", request_config("plan")).content == "PLAN"
    assert model.invoke("q", request_config("repair")).content == "FIXED"
    rewrite = model.invoke("q", request_config("recover", "s2")).content
    assert rewrite == 's2: search(query="Florida", k=1000)'
    assert model.invoke("q", request_config("recover", "s1")).content == ""
    assert model.invoke("hello", request_config("join")).content == "HELLO"
    assert model.invoke("hello").content == "HELLO"


def test_scripted_model_falls_back_to_another_model() -> None:
    other = ScriptedChatModel(lambda messages: "from the fallback")
    model = planner_or("PLAN", answer=None, fallback=other)
    assert model.invoke("q", request_config("plan")).content == "PLAN"
    assert model.invoke("q", request_config("repair")).content == "from the fallback"
    assert model.invoke("q").content == "from the fallback"
    with pytest.raises(ValueError, match="no fallback"):
        planner_or("PLAN", answer=None).invoke("q")


async def test_scripted_model_replies_with_messages_sync_and_async() -> None:
    call = {"name": "weather", "args": {"city": "SF"}, "id": "c1"}
    model = ScriptedChatModel(script=lambda messages: AIMessage("", tool_calls=[call]))
    assert model.bind_tools([]) is model
    assert model.invoke("q").tool_calls[0]["args"] == {"city": "SF"}
    assert (await model.ainvoke("q")).tool_calls[0]["name"] == "weather"
    fallback = planner_or("PLAN", answer=None, fallback=model)
    assert (await fallback.ainvoke("q")).tool_calls[0]["id"] == "c1"

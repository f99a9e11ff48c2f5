"""Every workload registry holds plain functions LangChain can wrap without renaming."""

import inspect
import pickle

import pytest
from langchain_core.tools import StructuredTool

from bench.workloads import Registry, agnews, cases, encryption, kitti
from bench.workloads import search as ws

REGISTRIES = {
    "hotpotqa": ws.HOTPOTQA_TOOLS,
    "parallelqa": ws.PARALLELQA_TOOLS,
    "kitti": kitti.TOOLS,
    "agnews": agnews.TOOLS,
    "purchase": cases.PURCHASE_TOOLS,
    "encryption": encryption.ENCRYPTION_TOOLS,
}


@pytest.mark.parametrize("registry", REGISTRIES.values(), ids=REGISTRIES.keys())
def test_tools_wrap_with_their_own_parameter_names(registry: Registry) -> None:
    for name, (func, kind, description) in registry.items():
        assert kind in {"compute", "inout"}
        assert description.startswith(f"{name}(")
        if inspect.iscoroutinefunction(func):
            tool = StructuredTool.from_function(coroutine=func, name=name, description=description)
        else:
            tool = StructuredTool.from_function(func=func, name=name, description=description)
        assert list(tool.args) == list(inspect.signature(func).parameters)


@pytest.mark.parametrize("registry", REGISTRIES.values(), ids=REGISTRIES.keys())
def test_compute_tools_pickle_by_reference(registry: Registry) -> None:
    for func, kind, _ in registry.values():
        if kind == "compute":
            assert pickle.loads(pickle.dumps(func)) is func  # noqa: S301 - our own bytes

"""Benchmark workloads: tools, plans and queries, as plain functions.

Each module exposes its tools in a registry, `name -> (function, kind, description)`, where the
kind says how the orchestrator must run the function: `"compute"` (CPU-bound, on the worker
process pool) or `"inout"` (I/O-bound, overlapped freely). The functions are module-level, so
they pickle by reference into worker processes. Nothing here imports the engine; the benchmark
harness wraps the functions with `compute()` / `inout()`.

| module | workload | tools |
|---|---|---|
| `search` | HotpotQA, MovieRec, ParallelQA (RQ1, RQ3) | `search` (inout), `math` (compute) |
| `kitti` | KITTI* (RQ2, RQ4) | `steering_angle` (compute) |
| `agnews` | AGNews* (RQ2) | `read_docs`, `tsne`, `lda`, `write` (compute) |
| `cases` | RQ5 case study: purchase intent | `search` (inout), `chatbot`, `python` (compute) |
| `encryption` | RQ5 case study: end-to-end encryption | `chatbot`, `aes` (compute) |
| `latency` | the seeded latency model of every simulated remote call | |

Heavy libraries (OpenCV, scikit-learn, cryptography) are imported by the module that needs
them, not here.

Example:
    ```python
    from bench.workloads import kitti

    for name, (func, kind, description) in kitti.TOOLS.items():
        print(name, kind, description)
    ```
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Literal

__all__ = ["Registry", "ToolKind", "ToolSpec", "describe_tool"]

ToolKind = Literal["compute", "inout"]
"""How a tool runs: on a processor of its own (`compute`) or overlapped (`inout`)."""

ToolSpec = tuple[Callable[..., Any], ToolKind, str]
"""A registry entry: the function, its kind, and the description the planner sees."""

Registry = dict[str, ToolSpec]
"""Tool name (as written in plans) -> `ToolSpec`."""


def describe_tool(func: Callable[..., Any]) -> str:
    """Describe a tool for the planner: its signature, then its docstring's first line.

    Args:
        func: a workload tool function.

    Returns:
        Text like `"lda(docs: Docs, n_topics: int = 12) -> dict[str, Any]: Model the topics..."`.

    Example:
        ```python
        def add(a: int, b: int = 1) -> int:
            \"\"\"Add two numbers.\"\"\"
            return a + b

        assert describe_tool(add) == "add(a: int, b: int = 1) -> int: Add two numbers."
        ```
    """

    def show(annotation: Any) -> str:
        return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")

    signature = inspect.signature(func)
    params = []
    for param in signature.parameters.values():
        text = param.name
        if param.annotation is not param.empty:
            text += f": {show(param.annotation)}"
        if param.default is not param.empty:
            text += f" = {param.default!r}"
        params.append(text)
    returns = signature.return_annotation
    arrow = "" if returns is signature.empty else f" -> {show(returns)}"
    summary = (inspect.getdoc(func) or "").split("\n", 1)[0]
    return f"{func.__name__}({', '.join(params)}){arrow}: {summary}"

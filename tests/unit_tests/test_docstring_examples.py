"""The `Example:` blocks of the package's docstrings run as tests.

Rule: an example runs in the namespace of its own module (as if written at the end of
it), so it may use the module's names without importing them. It runs when every
other name it uses is defined or imported by the example itself. Examples that use a
name they do not define (a `model`, `tools`, an `frg` of the surrounding prose) are
illustrations of a call, not programs: they are only parsed. Examples that need what a
unit test cannot have (a model API key, the embedded model's server, a cluster) are
listed in `NEEDS` with the reason. An example that runs must not raise.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import importlib
import inspect
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "langchain_llmorch"
FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)

NEEDS = {
    "local/": "starts the embedded model's server (weights of several hundred MB)",
    "backends/": "needs a Ray or Dask cluster",
    "agent/models.py:resolve_chat_model": "resolves a provider's chat model (needs its API key)",
    "agent/graph.py:create_llmorch_agent": "calls a provider's model",
    "agent/middleware/_middleware.py:LLMOrchMiddleware": "calls a provider's model",
    "agent/state.py:choose_planning": "builds an OpenAI chat model (needs OPENAI_API_KEY)",
    "viz.py:<module>": "draws with matplotlib (the bench extra)",
    "benchmarks/": "runs the benchmark workloads (the bench extra, minutes)",
    "baselines/": "calls a provider's model",
}


def examples() -> Iterator[tuple[str, str, str]]:
    """`(key, module name, code)` for every fenced Python block of an `Example:` section."""
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        rel = path.relative_to(PACKAGE).as_posix()
        module = "langchain_llmorch." + rel.removesuffix(".py").replace("/", ".")
        module = module.removesuffix(".__init__")
        nodes = [
            tree,
            *(
                n
                for n in ast.walk(tree)
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            ),
        ]
        for node in nodes:
            doc = ast.get_docstring(node, clean=True)
            if not doc or "Example" not in doc:
                continue
            section = doc.split("Example", 1)[1]
            name = getattr(node, "name", "<module>")
            for i, match in enumerate(FENCE.finditer(section)):
                yield f"{rel}:{name}:{i}", module, textwrap.dedent(match.group(1))


def undefined_names(code: str, namespace: set[str]) -> set[str]:
    """Names the example uses that neither it, its module nor the builtins define."""
    tree = ast.parse(code)
    bound = set(dir(builtins)) | namespace
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, ast.Store | ast.Del) else used).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return used - bound


ALL = list(examples())


def test_examples_are_found() -> None:
    assert len(ALL) > 50
    keys = [key for key, _, _ in ALL]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(("key", "module", "code"), ALL, ids=[k for k, _, _ in ALL])
def test_docstring_example(key: str, module: str, code: str) -> None:
    # Every example at least compiles (`await` at the top level is allowed: examples of
    # async functions show them as a notebook runs them).
    tree = compile(code, key, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    reason = next((why for prefix, why in NEEDS.items() if key.startswith(prefix)), None)
    if reason is not None:
        pytest.skip(reason)
    mod = importlib.import_module(module)
    missing = undefined_names(code, set(vars(mod)))
    if missing:
        pytest.skip(f"an illustration: uses {', '.join(sorted(missing))} from the prose")
    namespace = dict(vars(mod))
    namespace["__name__"] = "docstring_example"  # functions it defines pickle by value
    # The package's own documentation, not model text:
    if tree.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(tree, namespace))  # noqa: S307
    else:
        exec(tree, namespace)  # noqa: S102

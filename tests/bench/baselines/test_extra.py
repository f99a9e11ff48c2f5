"""The baselines need LangChain's agents: without them, one clear error names the extra.

The check is `bench`'s own (`bench/__init__.py`), which runs before any baseline is imported.
"""

import os
import subprocess
import sys
from pathlib import Path

import bench

ROOT = str(Path(bench.__file__).resolve().parents[1])  # the checkout, where `bench` lives


def test_baselines_without_langchain_fail_with_the_extra() -> None:
    # A fresh interpreter where `langchain` cannot be imported, as in a core-only install.
    code = (
        "import sys, importlib.util\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name == 'langchain' else real(name, *a)\n"
        "try:\n"
        "    import bench.baselines\n"
        "except ImportError as err:\n"
        "    from langchain_llmorch.errors import MissingExtraError\n"
        "    print(type(err).__name__, isinstance(err, MissingExtraError), err)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.startswith("BenchExtraMissingError True ")
    assert "langchain is not installed" in out.stdout
    assert 'pip install "langchain-llmorch[bench]"' in out.stdout

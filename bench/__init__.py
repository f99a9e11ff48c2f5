"""Benchmarks for langchain-llmorch: datasets, workloads, a scripted LLM server and runners.

They need the `bench` extra (LangChain's `create_agent` as a baseline, matplotlib for the Gantt
charts, scikit-learn, scikit-image, OpenCV and cryptography for the workloads' real work):

```bash
pip install "langchain-llmorch[bench]"
```

Importing this package without one of them raises `BenchExtraMissingError` (an `ImportError`)
naming what is missing and that command; `python -m bench` prints the
same message and exits with status 1.
"""

from __future__ import annotations

import importlib.util
import sys

from langchain_llmorch.errors import MissingExtraError

__all__ = [
    "BENCH_INSTALL",
    "BENCH_PACKAGES",
    "BenchExtraMissingError",
    "missing_bench_packages",
    "require_bench_extra",
]

BENCH_INSTALL = 'pip install "langchain-llmorch[bench]"'
"""The command that installs everything the benchmarks need."""

BENCH_PACKAGES: dict[str, str] = {
    "langchain": "langchain",
    "matplotlib": "matplotlib",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "cv2": "opencv-python-headless",
    "cryptography": "cryptography",
    "numpy": "numpy",
}
"""The `bench` extra: import name -> distribution name."""


class BenchExtraMissingError(MissingExtraError):
    """A package of the `bench` extra is not installed.

    The message names the missing distributions and `BENCH_INSTALL`.

    Example:
        ```python
        try:
            from bench.harness import run_benchmark
        except ImportError as err:  # BenchExtraMissingError is an ImportError
            print(err)
        ```
    """


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:  # already imported, without a spec: it is there
        return True


def missing_bench_packages() -> list[str]:
    """Name the distributions of the `bench` extra that are not installed.

    Each is looked up with `importlib.util.find_spec`, without importing it.

    Returns:
        The missing distributions, in `BENCH_PACKAGES` order (empty when all are there).

    Example:
        ```python
        from bench import missing_bench_packages

        assert missing_bench_packages() == []
        ```
    """
    return [dist for module, dist in BENCH_PACKAGES.items() if not _installed(module)]


def require_bench_extra() -> None:
    """Raise unless every package of the `bench` extra is installed.

    Raises:
        BenchExtraMissingError: naming what is missing and `BENCH_INSTALL`.
    """
    missing = missing_bench_packages()
    if missing:
        msg = (
            f"The langchain-llmorch benchmarks need the 'bench' extra, and "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed. "
            f"Install it with: {BENCH_INSTALL}"
        )
        raise BenchExtraMissingError(msg)


try:
    require_bench_extra()
except BenchExtraMissingError as _err:
    if sys.argv[:1] == ["-m"]:  # Python is locating `python -m bench`
        raise SystemExit(str(_err)) from None  # the message alone, no traceback
    raise

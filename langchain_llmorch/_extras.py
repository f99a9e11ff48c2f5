"""Optional parts of the package check their extra once, and name the `pip install` line."""

from __future__ import annotations

import importlib.util

from langchain_llmorch.errors import MissingExtraError

EXTRAS: dict[str, str] = {
    "bench": "the benchmarks, the baselines and Gantt charts",
    "classic": "agents built for AgentExecutor (langchain-classic)",
    "dask": "the Dask compute backend",
    "local": "the embedded local model",
    "ray": "the Ray compute backend",
}
"""Each extra of `langchain-llmorch`, and what needs it."""


def require_extra(extra: str, *modules: str, feature: str | None = None) -> None:
    """Raise `MissingExtraError` unless every module in `modules` can be imported.

    Args:
        extra: the extra that brings the modules (a key of `EXTRAS`).
        *modules: top-level import names, e.g. `"matplotlib"`.
        feature: what the caller is, for the message (default: the extra's own purpose).

    Raises:
        MissingExtraError: naming the missing modules and the `pip install` line.

    Example:
        ```python
        require_extra("bench", "matplotlib", feature="Gantt charts")
        ```
    """
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        what = feature or EXTRAS.get(extra, f"the {extra!r} extra")
        msg = (
            f"{what} need {', '.join(missing)} (not installed); "
            f'install them with: pip install "langchain-llmorch[{extra}]"'
        )
        raise MissingExtraError(msg)

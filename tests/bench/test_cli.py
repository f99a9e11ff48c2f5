"""The benchmark command line explains itself, and says which extra to install when one is missing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import bench
from bench import (
    BENCH_INSTALL,
    BENCH_PACKAGES,
    BenchExtraMissingError,
    missing_bench_packages,
)
from bench.__main__ import (
    COMMANDS,
    SIZE_HELP,
    SUITE_HELP,
    TECHNIQUE_HELP,
    build_parser,
    parse_args,
)
from bench.harness import SIZES, SUITES
from bench.report import technique_name
from bench.runner import TECHNIQUES
from langchain_llmorch.errors import LLMOrchError

_ROOT = str(Path(bench.__file__).resolve().parents[1])  # the checkout: bench and the package


def test_help_explains_every_mode_suite_size_and_technique() -> None:
    text = " ".join(build_parser().format_help().split())  # unwrapped
    assert set(COMMANDS) == {"run", "engine"}
    assert set(SUITE_HELP) == set(SUITES)
    assert set(TECHNIQUE_HELP) == set(TECHNIQUES)
    assert set(SIZE_HELP) == set(SIZES)
    for name, line in [*COMMANDS.items(), *SUITE_HELP.items()]:
        assert f"{name} {line}" in text
    for name, line in TECHNIQUE_HELP.items():
        assert f"{name} {technique_name(name)}: {line}" in text
    for name in SIZES:
        assert f"{name} {SIZE_HELP[name]}. " in text
    assert "AGNews 80 documents" in text  # the tiny size's numbers come from harness.SIZES
    assert BENCH_INSTALL in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--techniques", "react", "llmorchh"],
            "argument --techniques: invalid choice: 'llmorchh'",
        ),
        (["--suite", "kitti", "imagenet"], "argument --suite: invalid choice: 'imagenet'"),
        (["--size", "huge"], "argument --size: invalid choice: 'huge'"),
        (["benchmark"], "invalid choice: 'benchmark'"),
        (["--processors", "0"], "argument --processors: must be a whole number of at least 1"),
        (["--queries", "two"], "argument --queries: must be a whole number of at least 1"),
        (["--latency-scale", "-1"], "argument --latency-scale: must be a number of at least 0"),
        (["--latency-scale", "nan"], "argument --latency-scale: must be a number of at least 0"),
    ],
)
def test_bad_values_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m bench")
    assert message in err


def test_good_values_parse() -> None:
    args = parse_args(["--techniques", "llmorch", "react", "--suite", "recovery", "--queries", "2"])
    assert (args.command, args.techniques, args.suite, args.queries) == (
        "run",
        ["llmorch", "react"],
        ["recovery"],
        2,
    )
    assert parse_args(["engine", "--processors", "1"]).processors == 1


def test_the_bench_extra_is_installed_here() -> None:
    assert missing_bench_packages() == []
    assert issubclass(BenchExtraMissingError, ImportError)
    assert issubclass(BenchExtraMissingError, LLMOrchError)


def _without(modules: list[str], tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run python with `modules` unimportable (a sitecustomize sets sys.modules[name] = None)."""
    lines = ["import sys", *(f"sys.modules[{m!r}] = None" for m in modules)]
    (tmp_path / "sitecustomize.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), _ROOT])}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_the_command_without_the_extra_prints_the_pip_line(tmp_path: Path) -> None:
    done = _without(["sklearn", "cv2"], tmp_path, "-m", "bench", "--help")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert "scikit-learn, opencv-python-headless are not installed" in done.stderr
    assert 'pip install "langchain-llmorch[bench]"' in done.stderr


def test_importing_without_the_extra_raises_one_clear_import_error(tmp_path: Path) -> None:
    code = (
        "from langchain_llmorch.errors import LLMOrchError\n"
        "try:\n"
        "    import bench.harness\n"
        "except ImportError as err:\n"
        "    print(type(err).__name__, isinstance(err, LLMOrchError), err)\n"
        "import langchain_llmorch\n"  # the core does not need the extra
        "print('core', len(langchain_llmorch.__all__))\n"
    )
    done = _without(list(BENCH_PACKAGES)[:1], tmp_path, "-c", code)
    assert done.returncode == 0, done.stderr
    first, core = done.stdout.splitlines()
    assert first.startswith("BenchExtraMissingError True ")
    assert "the 'bench' extra, and langchain is not installed" in first
    assert first.endswith('Install it with: pip install "langchain-llmorch[bench]"')
    assert core.startswith("core ")

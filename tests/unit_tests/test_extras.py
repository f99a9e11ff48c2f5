import subprocess
import sys

import pytest

from langchain_llmorch._extras import require_extra
from langchain_llmorch.errors import LLMOrchError, MissingExtraError


def test_missing_module_names_the_pip_line() -> None:
    with pytest.raises(MissingExtraError) as info:
        require_extra("bench", "json", "no_such_module_llmorch", feature="Gantt charts")
    message = str(info.value)
    assert "no_such_module_llmorch" in message
    assert "json" not in message.split("(", maxsplit=1)[0]
    assert 'pip install "langchain-llmorch[bench]"' in message
    assert isinstance(info.value, ImportError)
    assert isinstance(info.value, LLMOrchError)


def test_present_modules_pass() -> None:
    require_extra("bench", "json", "asyncio")


def test_baselines_without_langchain_fail_with_the_extra() -> None:
    # A fresh interpreter where `langchain` cannot be imported, as in a core-only install.
    code = (
        "import sys, importlib.util\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name == 'langchain' else real(name, *a)\n"
        "try:\n"
        "    import langchain_llmorch.baselines\n"
        "except ImportError as err:\n"
        "    print(type(err).__name__, err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("MissingExtraError")
    assert 'pip install "langchain-llmorch[bench]"' in out.stdout

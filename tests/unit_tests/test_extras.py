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

"""Chat models from strings, the LangChain way: `"openai:gpt-4o-mini"`, `"anthropic:..."`.

A string `"provider:model"` goes to LangChain's `init_chat_model`, as `create_agent`
takes it; a bare name (`"gpt-4o-mini"`, or `"llama3.1:8b"` whose prefix is no
provider) keeps meaning an OpenAI(-compatible) model, so `base_url=` points it at vLLM,
Ollama or llama.cpp. Any other keyword goes to the model's constructor.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from langchain_core.language_models import BaseChatModel

from langchain_llmorch.errors import LLMOrchError

# Providers `init_chat_model` documents (langchain 1.x); its own registry is added at run time.
KNOWN_PROVIDERS = frozenset(
    {
        "anthropic",
        "anthropic_bedrock",
        "azure_ai",
        "azure_openai",
        "baseten",
        "bedrock",
        "bedrock_converse",
        "cohere",
        "deepseek",
        "fireworks",
        "google_anthropic_vertex",
        "google_genai",
        "google_vertexai",
        "groq",
        "huggingface",
        "ibm",
        "litellm",
        "mistralai",
        "nvidia",
        "ollama",
        "openai",
        "openrouter",
        "perplexity",
        "together",
        "upstage",
        "xai",
    }
)
DEFAULT_PROVIDER = "openai"
# Keyless OpenAI-compatible servers (vLLM, llama.cpp) accept any key; the client insists on one.
PLACEHOLDER_API_KEY = "EMPTY"  # not a secret: vLLM's documented placeholder


class ModelProviderMissingError(LLMOrchError, ImportError):
    """A model string names a provider whose LangChain integration is not installed.

    `package` is what to `pip install`; also an `ImportError`, as `init_chat_model`'s is.
    """

    def __init__(self, msg: str, *, package: str, provider: str) -> None:
        """Keep the package to install and the provider that needs it."""
        super().__init__(msg)
        self.package = package
        self.provider = provider


class UnknownModelProviderError(LLMOrchError, ValueError):
    """`model_provider=` names a provider `init_chat_model` does not know."""


def known_providers() -> frozenset[str]:
    """The provider prefixes a model string may start with (`"openai"`, `"anthropic"`, ...)."""
    try:
        base = importlib.import_module("langchain.chat_models.base")
    except ImportError:
        return KNOWN_PROVIDERS
    return KNOWN_PROVIDERS | frozenset(getattr(base, "_BUILTIN_PROVIDERS", ()))


def split_model_string(model: str) -> tuple[str, str]:
    """`"provider:model"` -> `(provider, model)`; a bare name is an OpenAI model.

    Example:
        ```python
        split_model_string("anthropic:claude-sonnet-4-5")  # ("anthropic", "claude-sonnet-4-5")
        split_model_string("llama3.1:8b")  # ("openai", "llama3.1:8b"): an Ollama tag
        ```
    """
    prefix, sep, name = model.partition(":")
    provider = prefix.strip().lower().replace("-", "_")
    if sep and name and provider in known_providers():
        return provider, name
    return DEFAULT_PROVIDER, model


def resolve_chat_model(
    model: str | BaseChatModel,
    *,
    base_url: str | None = None,
    model_provider: str | None = None,
    **kwargs: Any,
) -> BaseChatModel:
    """A chat model from a chat model (returned as is) or a model string.

    Args:
        model: a LangChain chat model, `"provider:model"` (any `init_chat_model`
            provider), or a bare name for an OpenAI(-compatible) model.
        base_url: the server to talk to (an OpenAI-compatible one for a bare name).
            When it is given for an OpenAI model and no key is set anywhere, the
            placeholder key `"EMPTY"` is sent, as keyless servers expect.
        model_provider: the provider, overriding any prefix (`model` is then the name).
        **kwargs: passed to the model's constructor (`temperature` defaults to 0:
            plans should not vary from run to run).

    Returns:
        The chat model.

    Raises:
        ModelProviderMissingError: the provider's package is not installed; the
            message says what to `pip install`.
        UnknownModelProviderError: `model_provider` names an unknown provider.
        TypeError: `model` is neither a chat model nor a string.

    Example:
        ```python
        from langchain_llmorch.agent.models import resolve_chat_model

        llm = resolve_chat_model("openai:gpt-4o-mini")
        local = resolve_chat_model("qwen2.5:7b", base_url="http://localhost:11434/v1")
        claude = resolve_chat_model("anthropic:claude-sonnet-4-5", max_tokens=2048)
        ```
    """
    if isinstance(model, BaseChatModel):
        return model
    if not isinstance(model, str):
        msg = f"model must be a chat model or a model name, not {type(model).__name__}"
        raise TypeError(msg)
    if model_provider is None:
        provider, name = split_model_string(model)
    else:
        provider, name = model_provider.strip().lower().replace("-", "_"), model
        if provider not in known_providers():
            known = ", ".join(sorted(known_providers()))
            msg = f"unknown model provider {model_provider!r}; known providers: {known}"
            raise UnknownModelProviderError(msg)
    options: dict[str, Any] = {"temperature": 0, **kwargs}
    if base_url is not None:
        options["base_url"] = base_url
        if provider == DEFAULT_PROVIDER and not _has_openai_key(options):
            options["api_key"] = PLACEHOLDER_API_KEY
    return _init(model, provider, name, options)


def _has_openai_key(options: dict[str, Any]) -> bool:
    return any(options.get(k) for k in ("api_key", "openai_api_key")) or bool(
        os.environ.get("OPENAI_API_KEY")
    )


def _init(model: str, provider: str, name: str, options: dict[str, Any]) -> BaseChatModel:
    try:
        from langchain.chat_models import init_chat_model  # noqa: PLC0415 - imported on use
    except ImportError as err:
        raise _missing(model, provider, err, "langchain") from err
    try:
        chat: BaseChatModel = init_chat_model(name, model_provider=provider, **options)
    except ImportError as err:
        raise _missing(model, provider, err) from err
    return chat


def _missing(
    model: str, provider: str, err: ImportError, package: str | None = None
) -> ModelProviderMissingError:
    """The typed error for a missing package: the innermost module that failed to import."""
    if package is None:
        module = _missing_module(err) or f"langchain_{provider}"
        package = module.split(".", maxsplit=1)[0].replace("_", "-")
    msg = f"model {model!r} needs the {package} package: pip install {package}"
    return ModelProviderMissingError(msg, package=package, provider=provider)


def _missing_module(err: BaseException) -> str:
    seen: BaseException | None = err
    found = ""
    while seen is not None:
        if isinstance(seen, ImportError) and seen.name:
            found = seen.name
        seen = seen.__cause__ or seen.__context__
    return found


__all__ = [
    "KNOWN_PROVIDERS",
    "ModelProviderMissingError",
    "UnknownModelProviderError",
    "resolve_chat_model",
    "split_model_string",
]

"""One configured `ModelEntry` → one pydantic-ai `Model`.

- `openai`: any OpenAI-compatible Chat Completions endpoint by `base_url` (OpenAI, DeepSeek,
  Kimi/Moonshot, GLM/Z.AI, Qwen/DashScope, MiniMax, OpenRouter, Ollama, vLLM, llama.cpp server).
- `anthropic`: the Messages API (optionally at another `base_url`).
- `google`: the Gemini API (`pydantic-ai-slim[google]`, installed), optionally at another `base_url`.
- `offline`: Purser's deterministic offline model (`purser.models.offline`), imported lazily.

Keys come from the environment variable the entry names; they are never stored or logged.
Every model gets a per-request deadline (`timeout_seconds`) and no SDK-level retries, so a
429, a 5xx or a timeout fails over to the next model at once (see `registry`).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic_ai.models import Model
from pydantic_ai.settings import ModelSettings

from purser.config import ModelEntry
from purser.errors import PurserError

__all__ = ["ProviderConfigError", "build_model", "is_local_url", "model_settings_for", "offline_model"]

_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


class ProviderConfigError(PurserError, ValueError):
    """A model entry that cannot be turned into a client; the message names the entry and the problem."""

    code = "model_not_configured"
    status = 503


def is_local_url(url: str | None) -> bool:
    """True for endpoints on this machine (Ollama, vLLM, llama.cpp server), which need no key."""
    if not url:
        return False
    host = urlsplit(url).hostname or ""
    return host in _LOCAL_HOSTS


def model_settings_for(entry: ModelEntry) -> ModelSettings:
    """Per-model request settings: a hard deadline and no SDK retries (fallback does the retrying)."""
    return ModelSettings(
        timeout=float(entry.timeout_seconds),
        request_timeout=float(entry.timeout_seconds),
        max_retries=0,
    )


def _api_key(entry: ModelEntry, env: Mapping[str, str]) -> str | None:
    if entry.api_key_env is None:
        return None
    value = env.get(entry.api_key_env, "").strip()
    if not value:
        raise ProviderConfigError(
            f"model {entry.name!r}: environment variable {entry.api_key_env} is not set (it holds the API key)"
        )
    return value


def offline_model() -> Model:
    """Purser's offline model (imported lazily: it is written separately and has no network access)."""
    try:
        module = importlib.import_module("purser.models.offline")
        factory = module.OfflineModel
    except (ImportError, AttributeError) as exc:  # pragma: no cover - only while it is not installed
        raise ProviderConfigError(f"the offline model is not available: {exc}") from exc
    model = factory()
    if not isinstance(model, Model):  # pragma: no cover - defensive
        raise ProviderConfigError("purser.models.offline.OfflineModel is not a pydantic-ai Model")
    return model


def build_model(entry: ModelEntry, *, env: Mapping[str, str] | None = None, http_client: Any = None) -> Model:
    """The pydantic-ai model for `entry`; raises `ProviderConfigError` naming the entry when it cannot."""
    environ: Mapping[str, str] = os.environ if env is None else env
    settings = model_settings_for(entry)
    if entry.provider == "offline":
        return offline_model()
    if entry.provider == "openai":
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        key = _api_key(entry, environ)
        if key is None:
            if entry.base_url is None:
                raise ProviderConfigError(
                    f"model {entry.name!r}: set api_key_env (e.g. OPENAI_API_KEY) or a base_url of a local server"
                )
            key = "not-needed"  # local servers (Ollama, vLLM, llama.cpp) ignore it, the SDK requires one
        provider = OpenAIProvider(base_url=entry.base_url, api_key=key, http_client=http_client)
        return OpenAIChatModel(entry.model, provider=provider, settings=settings)
    if entry.provider == "anthropic":
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        key = _api_key(entry, environ)
        if key is None and not is_local_url(entry.base_url):
            raise ProviderConfigError(f"model {entry.name!r}: set api_key_env (e.g. ANTHROPIC_API_KEY)")
        aprov = AnthropicProvider(api_key=key or "not-needed", base_url=entry.base_url, http_client=http_client)
        return AnthropicModel(entry.model, provider=aprov, settings=settings)
    if entry.provider == "google":
        try:
            from pydantic_ai.models.google import GoogleModel
            from pydantic_ai.providers.google import GoogleProvider
        except ImportError as exc:
            raise ProviderConfigError(
                f"model {entry.name!r}: the google provider needs google-genai "
                f'(pip install "pydantic-ai-slim[google]==2.68.0"): {exc}'
            ) from None
        key = _api_key(entry, environ)
        if key is None and not is_local_url(entry.base_url):
            raise ProviderConfigError(f"model {entry.name!r}: set api_key_env (e.g. GOOGLE_API_KEY)")
        # The key is always passed, so the SDK never looks for credentials of its own (no metadata server,
        # no download); `base_url` reaches another Gemini-compatible endpoint (a gateway, a local fake).
        gprov = GoogleProvider(api_key=key or "not-needed", base_url=entry.base_url, http_client=http_client)
        return GoogleModel(entry.model, provider=gprov, settings=settings)
    raise ProviderConfigError(f"model {entry.name!r}: unknown provider {entry.provider!r}")  # pragma: no cover

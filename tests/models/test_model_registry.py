"""The registry: providers from configuration, keys from the environment, fallback chains per tier."""

from __future__ import annotations

import pytest
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.fallback import FallbackModel
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.models.google import GoogleModel
from pydantic_ai.models.openai import OpenAIChatModel

from purser.config import ModelEntry, Settings
from purser.models.providers import ProviderConfigError, build_model, is_local_url
from purser.models.registry import OFFLINE_ENTRY, ModelRegistry
from purser.models.streaming import BufferedModel, StreamFallbackModel, supports_streaming

DEEPSEEK = ModelEntry(
    name="deepseek",
    provider="openai",
    model="deepseek-chat",
    base_url="https://api.deepseek.com",
    api_key_env="DEEPSEEK_API_KEY",
)
OLLAMA = ModelEntry(name="local", provider="openai", model="qwen2.5:7b", base_url="http://127.0.0.1:11434/v1")
CLAUDE = ModelEntry(
    name="claude", provider="anthropic", model="claude-3-5-haiku-latest", api_key_env="ANTHROPIC_KEY", tier="strong"
)
GEMINI = ModelEntry(name="gemini", provider="google", model="gemini-2.5-flash", api_key_env="GEMINI_KEY")
ENV = {"DEEPSEEK_API_KEY": "sk-test", "ANTHROPIC_KEY": "sk-ant-test"}


def test_openai_compatible_anthropic_and_local() -> None:
    model = build_model(DEEPSEEK, env=ENV)
    assert isinstance(model, OpenAIChatModel) and model.model_name == "deepseek-chat"
    assert "api.deepseek.com" in model.base_url
    assert model.settings is not None and model.settings.get("max_retries") == 0
    assert isinstance(build_model(OLLAMA, env={}), OpenAIChatModel)
    assert isinstance(build_model(CLAUDE, env=ENV), AnthropicModel)
    gemini = build_model(GEMINI, env={"GEMINI_KEY": "k"})
    assert isinstance(gemini, GoogleModel) and gemini.model_name == "gemini-2.5-flash"
    local_gemini = GEMINI.model_copy(update={"base_url": "http://127.0.0.1:9/", "api_key_env": None})
    assert "127.0.0.1:9" in build_model(local_gemini, env={}).base_url  # a local endpoint needs no key
    assert is_local_url("http://localhost:8080/v1") and not is_local_url("https://api.openai.com/v1")


def test_missing_keys_and_packages_are_named() -> None:
    with pytest.raises(ProviderConfigError, match="DEEPSEEK_API_KEY"):
        build_model(DEEPSEEK, env={})
    with pytest.raises(ProviderConfigError, match="api_key_env"):
        build_model(ModelEntry(name="x", provider="openai", model="gpt-4o-mini"), env={})
    with pytest.raises(ProviderConfigError, match=r"'gemini'.*GEMINI_KEY"):
        build_model(GEMINI, env={})
    with pytest.raises(ProviderConfigError, match="GOOGLE_API_KEY"):
        build_model(GEMINI.model_copy(update={"api_key_env": None}), env={})


def test_chains_per_tier() -> None:
    reg = ModelRegistry([DEEPSEEK, OLLAMA, CLAUDE], "deepseek", env=ENV)
    assert [e.name for e in reg.chain("cheap")] == ["deepseek", "local", "claude"]
    assert [e.name for e in reg.chain("strong")] == ["claude", "deepseek", "local"]
    resolved = reg.resolve("strong")
    assert isinstance(resolved.model, StreamFallbackModel) and resolved.name == "claude"
    assert isinstance(resolved.model, FallbackModel) and supports_streaming(resolved.model)
    assert resolved.context_tokens == 32000
    assert reg.entry_for_response("deepseek-chat") == DEEPSEEK
    assert reg.entry_for_response("claude-3-5-haiku-latest-20241022") == CLAUDE
    assert reg.entry_for_response(None) is None and not reg.is_offline
    reg.check()


def test_offline_default_and_override() -> None:
    reg = ModelRegistry.from_settings(Settings(models=(DEEPSEEK,)))
    assert reg.is_offline and reg.entries == (OFFLINE_ENTRY,) and reg.chain("strong") == (OFFLINE_ENTRY,)
    fm = FunctionModel(lambda m, i: None, model_name="scripted")  # type: ignore[arg-type,return-value]
    reg = ModelRegistry.from_settings(Settings(), override=fm)
    assert reg.resolve("strong").model is fm and reg.default.name == "scripted"


def test_bad_configuration() -> None:
    with pytest.raises(ProviderConfigError, match="gpt-5"):
        ModelRegistry([DEEPSEEK], "gpt-5")
    with pytest.raises(ProviderConfigError, match="duplicate"):
        ModelRegistry([DEEPSEEK, DEEPSEEK], "deepseek")


def test_stream_false_buffers_the_model() -> None:
    quiet = DEEPSEEK.model_copy(update={"name": "quiet", "stream": False})
    reg = ModelRegistry([DEEPSEEK, quiet], "deepseek", env=ENV)
    assert isinstance(reg.model(quiet), BufferedModel) and not isinstance(reg.model(DEEPSEEK), BufferedModel)
    assert reg.model(quiet).model_name == "deepseek-chat" and supports_streaming(reg.model(quiet))
    assert not supports_streaming(FunctionModel(lambda m, i: None))  # type: ignore[arg-type,return-value]


class _Warmable(FunctionModel):
    """A scripted model that counts its warm-ups."""

    warmed = 0

    def warm(self) -> None:
        self.warmed += 1


def test_warm_builds_every_model_and_warms_those_that_can() -> None:
    reg = ModelRegistry([DEEPSEEK, OLLAMA], "deepseek", env=ENV)
    reg.warm()  # neither has a warm-up: built, nothing else
    assert isinstance(reg.model(OLLAMA), OpenAIChatModel)
    model = _Warmable(lambda m, i: None)  # type: ignore[arg-type,return-value]
    ModelRegistry.from_settings(Settings(), override=model).warm()
    assert model.warmed == 1
    broken = ModelRegistry([DEEPSEEK], "deepseek", env={})
    with pytest.raises(ProviderConfigError, match="DEEPSEEK_API_KEY"):
        broken.warm()  # a missing key fails at start-up, as with check()

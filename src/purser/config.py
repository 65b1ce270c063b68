"""Configuration: `purser.yaml` (or `--config`), overridden by the environment (`PURSER_*`).

Precedence, lowest first: defaults, the YAML file, environment variables.
An invalid file or value raises `ConfigError` naming the key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from purser.errors import PurserError
from purser.policy.schema import Policy, PolicyError

DEFAULT_CONFIG_FILE = "purser.yaml"


class ConfigError(PurserError, ValueError):
    """Invalid configuration; the message names the file and key."""

    code = "configuration_error"
    status = 503


class ModelEntry(BaseModel):
    """One configured LLM (see `purser.models`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Name used in routing and reports, e.g. 'deepseek-chat'.")
    provider: Literal["openai", "anthropic", "google", "offline"] = Field(
        description="openai = any OpenAI-compatible endpoint (DeepSeek, Kimi, GLM, Qwen, OpenRouter, Ollama, vLLM)."
    )
    model: str = Field(description="The provider's model id.")
    base_url: str | None = Field(None, description="Endpoint (OpenAI-compatible servers; Anthropic, Gemini elsewhere).")
    api_key_env: str | None = Field(None, description="Environment variable holding the key.")
    timeout_seconds: int = Field(30, ge=1, le=600)
    context_tokens: int = Field(32000, ge=1000, description="Prompt budget; the whole KB goes in when it fits.")
    tier: Literal["cheap", "strong"] = "cheap"
    stream: bool = Field(True, description="Stream replies to live listeners (false: one request, replayed whole).")


class RoutingRules(BaseModel):
    """When a turn goes to the strong model instead of the cheap one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    money_at_stake_above: str = Field("100.00", description="Amount (policy currency) above which to go strong.")
    low_confidence_below: int = Field(60, ge=0, le=100, description="Confidence percent below which to go strong.")
    after_failures: int = Field(2, ge=1, description="Consecutive failed tool calls before going strong.")
    strong_tiers: tuple[str, ...] = Field(("enterprise",), description="Customer tiers always served by strong.")


class Settings(BaseSettings):
    """Everything the bootstrap needs."""

    model_config = SettingsConfigDict(env_prefix="PURSER_", extra="forbid", frozen=True)

    database_url: str = Field("sqlite:///purser.db", description="SQLAlchemy URL; PostgreSQL in production.")
    processor: Literal["sandbox", "stripe"] = "sandbox"
    model: str = Field("offline", description="Model name (a `models[].name`) or 'offline'.")
    models: tuple[ModelEntry, ...] = ()
    routing: RoutingRules = Field(default_factory=RoutingRules)
    cost_cap_usd: str = Field("0.50", description="Per-conversation LLM cost cap; reaching it hands off.")
    admin_token: str | None = None
    identity_secret: str | None = None
    kb_path: str | None = Field(None, description="Knowledge base folder; the packaged sample KB by default.")
    kb_max_age_days: int = 365
    strict_kb: bool = False
    smtp_url: str | None = Field(None, description="smtp://user:pass@host:port for real email delivery.")
    policy: Policy = Field(default_factory=Policy)
    stripe_api_key: str | None = Field(None, validation_alias=AliasChoices("STRIPE_API_KEY", "PURSER_STRIPE_API_KEY"))
    stripe_api_base: str | None = Field(
        None, validation_alias=AliasChoices("STRIPE_API_BASE", "PURSER_STRIPE_API_BASE")
    )
    stripe_webhook_secret: str | None = Field(
        None, validation_alias=AliasChoices("STRIPE_WEBHOOK_SECRET", "PURSER_STRIPE_WEBHOOK_SECRET")
    )


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Read `path` (or ./purser.yaml when present), then the environment, then `overrides`."""
    file_path = Path(path) if path else Path(os.environ.get("PURSER_CONFIG", DEFAULT_CONFIG_FILE))
    data: dict[str, Any] = {}
    if path is not None and not file_path.exists():
        raise ConfigError(f"{file_path}: no such configuration file")
    if file_path.exists():
        try:
            loaded = yaml.safe_load(file_path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{file_path}: not valid YAML: {exc}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{file_path}: expected a mapping at the top level")
        data = loaded or {}
    if "policy" in data:
        try:
            data["policy"] = Policy.from_mapping(data["policy"], source=f"{file_path}: policy")
        except PolicyError as exc:
            raise ConfigError(str(exc)) from None
    # Environment beats the file: drop file keys that the environment sets.
    for key in list(data):
        if f"PURSER_{key.upper()}" in os.environ:
            data.pop(key)
    data.update(overrides)
    try:
        return Settings(**data)
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            msgs.append(f"{loc}: {'unknown key' if err['type'] == 'extra_forbidden' else err['msg']}")
        raise ConfigError(f"{file_path}: " + "; ".join(msgs)) from None


__all__ = [
    "DEFAULT_CONFIG_FILE",
    "ConfigError",
    "ModelEntry",
    "RoutingRules",
    "Settings",
    "load_settings",
]

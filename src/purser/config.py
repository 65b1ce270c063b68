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


def redact_url(url: str) -> str:
    """`url` with the password of its user part replaced by `***` (`postgresql://app:***@db/purser`).

    Splits at the last `@`, so a password holding an unescaped `@` or `/` is still hidden whole."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, after = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    user = userinfo.partition(":")[0]
    return f"{scheme}://{user}:***@{after}"


def redact_text(text: str, url: str) -> str:
    """`text` (an error message) with `url` and its password, raw or %-escaped, replaced by `***`."""
    from urllib.parse import unquote

    clean = text.replace(url, redact_url(url))
    _scheme, sep, rest = url.partition("://")
    userinfo, at, _after = rest.rpartition("@")
    password = userinfo.partition(":")[2] if sep and at else ""
    for form in {password, unquote(password)}:
        if form:
            clean = clean.replace(form, "***")
    return clean


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


class SlackSettings(BaseModel):
    """`channels.slack` (DESIGN §9): a Slack app's credentials and the team's channels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signing_secret: str = Field(repr=False, min_length=1, description="The app's Signing Secret (Basic Information).")
    bot_token: str = Field(repr=False, min_length=1, description="The bot token, xoxb-... (OAuth & Permissions).")
    api_base: str = Field("https://slack.com/api/", description="Web API base; a local server in tests.")
    approvals_channel: str | None = Field(None, description="Channel id where approval requests are posted.")
    team_channel: str | None = Field(None, description="Channel id where handoffs are posted.")
    approvers: tuple[str, ...] = Field((), description="Slack user ids allowed to press Approve/Deny.")


class WhatsAppSettings(BaseModel):
    """`channels.whatsapp` (DESIGN §9): a WhatsApp Cloud API business number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    app_secret: str = Field(repr=False, min_length=1, description="The Meta app's secret (X-Hub-Signature-256).")
    verify_token: str = Field(repr=False, min_length=1, description="Any string; pasted into the webhook set-up.")
    access_token: str = Field(repr=False, min_length=1, description="A system-user access token for the Graph API.")
    phone_number_id: str = Field(min_length=1, description="The business phone number's id.")
    api_base: str = Field("https://graph.facebook.com/v21.0/", description="Graph API base; a local server in tests.")
    template: str | None = Field(None, description="Approved template sent outside the 24-hour service window.")
    template_language: str = Field("en", description="The template's language code.")


class DiscordSettings(BaseModel):
    """`channels.discord` (DESIGN §9): a Discord application using HTTP interactions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    public_key: str = Field(min_length=64, max_length=64, description="The application's Ed25519 public key (hex).")
    application_id: str = Field(min_length=1, description="The application id.")
    bot_token: str = Field(repr=False, min_length=1, description="The bot token (messages outside an interaction).")
    api_base: str = Field("https://discord.com/api/v10/", description="REST API base; a local server in tests.")


class EmailChannelSettings(BaseModel):
    """`channels.email` (DESIGN §9): inbound MIME webhook and SMTP replies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inbound_secret: str = Field(repr=False, min_length=1, description="HMAC key of X-Purser-Signature on inbound mail.")
    smtp_url: str | None = Field(None, repr=False, description="smtp://user:pass@host:port; else PURSER_SMTP_URL.")
    from_address: str = Field(min_length=3, description="The support address customers write to.")


class ChannelsSettings(BaseModel):
    """`channels:` in purser.yaml; a platform is on when its section is present."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slack: SlackSettings | None = None
    whatsapp: WhatsAppSettings | None = None
    discord: DiscordSettings | None = None
    email: EmailChannelSettings | None = None


class JobsSettings(BaseModel):
    """`jobs:` in purser.yaml: the job queue (DESIGN §10; docs/JOBS.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | None = Field(None, description="Embedded queue file (SqliteHuey); default: beside the SQLite file.")
    name: str = Field("purser", min_length=1, max_length=60, description="Queue name (the Redis key prefix).")
    workers: int = Field(2, ge=1, le=64, description="Worker threads per `purser worker` / embedded consumer.")
    lease_seconds: int = Field(300, ge=1, description="A claimed job is taken over by another worker after this.")
    sweep_seconds: int = Field(15, ge=1, description="How often the sweeper looks for jobs nobody took.")
    email_retries: int = Field(12, ge=0, description="Delivery attempts after the first before an email is failed.")


class OidcSettings(BaseModel):
    """`oidc:` (DESIGN §11): single sign-on for the dashboard with an OpenID Connect issuer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(min_length=1, description="The issuer URL; discovery is read from issuer/.well-known/...")
    client_id: str = Field(min_length=1, description="This application's client id at the issuer.")
    client_secret: str = Field(repr=False, min_length=1, description="Its client secret.")


class Settings(BaseSettings):
    """Everything the bootstrap needs."""

    model_config = SettingsConfigDict(env_prefix="PURSER_", env_nested_delimiter="__", extra="forbid", frozen=True)

    database_url: str = Field(
        "sqlite:///purser.db", repr=False, description="SQLAlchemy URL; PostgreSQL in production (may hold a password)."
    )
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
    smtp_url: str | None = Field(None, repr=False, description="smtp://user:pass@host:port for real email delivery.")
    policy: Policy = Field(default_factory=Policy)
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Base of every link Purser sends (confirmation and payment pages)."
    )
    link_secret: str | None = Field(
        None, repr=False, description="HMAC key of signed links; generated once and kept in the database when unset."
    )
    redis_url: str | None = Field(None, repr=False, description="redis://host:port/db: jobs on Redis.")
    audit_key: str | None = Field(
        None, repr=False, min_length=32, description="HMAC key of the audit chain and its checkpoints (docs/AUDIT.md)."
    )
    audit_previous_keys: tuple[str, ...] = Field(
        (), repr=False, description="Retired audit keys: records they sealed still verify (JSON list in the env)."
    )
    audit_anchor: str | None = Field(
        None, description="Append-only checkpoint file outside the database; default beside a SQLite file."
    )
    audit_legacy_records: int = Field(
        0, ge=0, description="Records sealed before the key, accepted unkeyed without a checkpoint (docs/AUDIT.md)."
    )
    audit_checkpoint_records: int = Field(500, ge=1, description="The checkpoint job writes after this many records.")
    audit_checkpoint_minutes: int = Field(10, ge=1, description="... or after this many minutes with new records.")
    recovery_every_seconds: int = Field(15, ge=1, le=3600, description="How often interrupted actions are sought.")
    recovery_stale_seconds: int = Field(
        40, ge=1, le=86400, description="An action untouched this long in confirmed/executing was interrupted."
    )
    channels: ChannelsSettings = Field(default_factory=ChannelsSettings)
    oidc: OidcSettings | None = Field(None, description="SSO for the dashboard; off when unset.")
    jobs: JobsSettings = Field(default_factory=JobsSettings)
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
    _merge_nested_environment(data)
    data.update(overrides)
    try:
        return Settings(**data)
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            msgs.append(f"{loc}: {'unknown key' if err['type'] == 'extra_forbidden' else err['msg']}")
        raise ConfigError(f"{file_path}: " + "; ".join(msgs)) from None


def _merge_nested_environment(data: dict[str, Any]) -> None:
    """Apply `PURSER_A__B__C=value` onto a section the file set (pydantic-settings would let the file win)."""
    for name, value in os.environ.items():
        if not name.startswith("PURSER_") or "__" not in name:
            continue
        path = [part.lower() for part in name[len("PURSER_") :].split("__")]
        if path[0] not in data or any(not part for part in path):
            continue  # no file section: pydantic-settings reads the variable itself
        node = data
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[path[-1]] = value


__all__ = [
    "DEFAULT_CONFIG_FILE",
    "ChannelsSettings",
    "ConfigError",
    "DiscordSettings",
    "EmailChannelSettings",
    "JobsSettings",
    "ModelEntry",
    "OidcSettings",
    "RoutingRules",
    "Settings",
    "SlackSettings",
    "WhatsAppSettings",
    "load_settings",
    "redact_text",
    "redact_url",
]

"""The configured models, their tiers and fallback chains.

`ModelRegistry.from_settings(settings)` reads `settings.models` (a list of `ModelEntry`) and
`settings.model` (the default: an entry's name, or `offline`). For a tier, the chain is the
default model (when it is of that tier), the other models of that tier in configuration order,
then every remaining model: a 429, a 5xx, a timeout or a connection error on one model falls
back to the next (pydantic-ai's `FallbackModel`; `StreamFallbackModel` also when a stream breaks
mid-way). An entry with `stream: false` is wrapped in `BufferedModel`. With `PURSER_MODEL=offline`
only the offline model runs. Tests and the gym may pass a ready pydantic-ai `Model` as an override.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic_ai.models import Model

from purser.config import ModelEntry, RoutingRules
from purser.models.providers import ProviderConfigError, build_model, offline_model
from purser.models.routing import Tier
from purser.models.streaming import BufferedModel, StreamFallbackModel

if TYPE_CHECKING:
    from purser.config import Settings

__all__ = ["OFFLINE_ENTRY", "ModelRegistry", "ResolvedModel"]

OFFLINE_ENTRY = ModelEntry(name="offline", provider="offline", model="offline", context_tokens=1_000_000)
"""The implicit entry behind `PURSER_MODEL=offline`."""


@dataclass(frozen=True)
class ResolvedModel:
    """A runnable model for a tier: the pydantic-ai model and the entries behind it, in fallback order."""

    model: Model
    entries: tuple[ModelEntry, ...]
    tier: Tier

    @property
    def name(self) -> str:
        """The name of the first (preferred) entry."""
        return self.entries[0].name

    @property
    def context_tokens(self) -> int:
        """The smallest prompt budget in the chain (any model of it may end up answering)."""
        return min(e.context_tokens for e in self.entries)


class ModelRegistry:
    """Configured models, built lazily, grouped into per-tier fallback chains."""

    def __init__(
        self,
        entries: Sequence[ModelEntry],
        default: str = "offline",
        *,
        routing: RoutingRules | None = None,
        env: Mapping[str, str] | None = None,
        override: Model | None = None,
    ) -> None:
        names = [e.name for e in entries]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ProviderConfigError(f"models: duplicate model names {dupes}")
        self.routing = routing or RoutingRules()
        self._env = env
        self._override = override
        self._built: dict[str, Model] = {}
        self.entries: tuple[ModelEntry, ...] = tuple(entries)
        by_name = {e.name: e for e in entries}
        if override is not None:
            name = override.model_name or "override"
            self.default = by_name.get(default) or ModelEntry(
                name=name, provider="offline", model=name, context_tokens=1_000_000
            )
            self.entries = (self.default,)
        elif default == "offline" and "offline" not in by_name:
            self.default = OFFLINE_ENTRY
            self.entries = (OFFLINE_ENTRY,)
        elif default not in by_name:
            known = ", ".join(sorted(by_name)) or "none configured"
            raise ProviderConfigError(
                f"model: {default!r} is neither 'offline' nor the name of a configured model ({known})"
            )
        else:
            self.default = by_name[default]
            if self.default.provider == "offline":
                self.entries = (self.default,)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, override: Model | None = None, env: Mapping[str, str] | None = None
    ) -> ModelRegistry:
        """The registry of `settings.models` with `settings.model` as default."""
        return cls(settings.models, settings.model, routing=settings.routing, env=env, override=override)

    @property
    def is_offline(self) -> bool:
        """True when only the offline model (or a test override) runs."""
        return self._override is not None or self.default.provider == "offline"

    def chain(self, tier: Tier) -> tuple[ModelEntry, ...]:
        """Entries in fallback order for `tier`."""
        if len(self.entries) == 1:
            return self.entries
        first = [e for e in self.entries if e.tier == tier]
        if self.default in first:
            first.remove(self.default)
            first.insert(0, self.default)
        rest = [e for e in self.entries if e not in first]
        if self.default in rest:
            rest.remove(self.default)
            rest.insert(0, self.default)
        return tuple(first + rest)

    def model(self, entry: ModelEntry) -> Model:
        """The (cached) pydantic-ai model of one entry."""
        if self._override is not None:
            return self._override
        built = self._built.get(entry.name)
        if built is None:
            built = offline_model() if entry.provider == "offline" else build_model(entry, env=self._env)
            if not entry.stream:
                built = BufferedModel(built)
            self._built[entry.name] = built
        return built

    def resolve(self, tier: Tier) -> ResolvedModel:
        """The model to run for `tier`: one model, or a `FallbackModel` over the chain."""
        entries = self.chain(tier)
        models = [self.model(e) for e in entries]
        model: Model = models[0] if len(models) == 1 else StreamFallbackModel(models[0], *models[1:])
        return ResolvedModel(model=model, entries=entries, tier=tier)

    def check(self) -> None:
        """Build every configured model now, so a missing key or package fails at start-up, not mid-turn."""
        for entry in self.entries:
            self.model(entry)

    def warm(self) -> None:
        """Build every configured model and load now what each would load on its first request.

        The offline model reads its classifier's weights and builds its tables (about a second of
        CPU); a server calls this before it listens, so the first customer does not wait for it."""
        for entry in self.entries:
            model = self.model(entry)
            warm = getattr(getattr(model, "wrapped", model), "warm", None)
            if callable(warm):
                warm()

    def entry_for_response(self, model_name: str | None) -> ModelEntry | None:
        """The configured entry that produced a response named `model_name` (providers may add a date suffix)."""
        if not model_name:
            return None
        for entry in self.entries:
            if model_name in (entry.model, entry.name):
                return entry
        for entry in self.entries:
            if model_name.startswith(entry.model):
                return entry
        return None

"""How the gym gets its parts: settings, a throw-away world per trial (through `purser.app`), the customer.

Everything is built through the bootstrap (`purser.app.build_for_world`), so the gym exercises the
same gateway, runtime and model wiring as production; only the processor is the in-memory sandbox.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from purser.config import Settings, load_settings
from purser.errors import PurserError
from purser.gym.scenario import Scenario

if TYPE_CHECKING:
    from purser.app import Container
    from purser.gym.runner import Customer, RunOptions
    from purser.knowledge import KnowledgeBase


class GymSetupError(PurserError, RuntimeError):
    """The run cannot start (an unknown model, a broken configuration): reported before any scenario runs."""

    code = "gym_setup_error"
    status = 503


def agent_settings(options: RunOptions) -> Settings:
    """The configuration with the agent model of `--model` (the configured default otherwise)."""
    return _settings(options.config, options.model)


@cache
def _settings(config: str | None, model: str | None) -> Settings:
    overrides: dict[str, Any] = {"database_url": "sqlite://"}
    if model:
        overrides["model"] = model
    return load_settings(config, **overrides)


@cache
def _knowledge(config: str | None) -> KnowledgeBase | None:
    """The knowledge base the agent searches (built once per process)."""
    try:
        from purser.knowledge.location import open_knowledge_base

        return open_knowledge_base(_settings(config, None))
    except Exception:  # no knowledge base: the agent still runs, without citations
        return None


def build_trial(scenario: Scenario, options: RunOptions, *, settings: Settings | None = None) -> Container:
    """A fresh in-memory sandbox holding the scenario's world at `now`, wired by the bootstrap.

    `settings` replaces the agent settings of `options` (a channel harness adds its `channels:`).
    """
    from purser.app import build_for_world

    settings = settings or agent_settings(options)
    knowledge = _knowledge(options.config) if options.use_knowledge else None
    overrides = dict(scenario.policy_overrides or {})
    if options.shadow:
        overrides["mode"] = "shadow"
    return build_for_world(
        scenario.world,
        scenario.now,
        policy_overrides=overrides or None,
        settings=settings,
        knowledge=knowledge,
    )


def warm(options: RunOptions) -> None:
    """Build the shared knowledge base and import the runtime once, so trials time only themselves."""
    import contextlib
    import importlib

    for module in ("purser.app", "purser.agent.runtime", "purser.models.offline"):
        importlib.import_module(module)
    # The invoice PDF renderer (fpdf) is imported on first use; a trial should not pay for it.
    with contextlib.suppress(ImportError):
        importlib.import_module("purser.processors.sandbox.pdf")
    if options.use_knowledge:
        _knowledge(options.config)
    try:  # one throw-away exchange loads whatever the model builds on first use
        _warm_conversation(options)
    except Exception:  # a failing warm-up only costs time; the trials report the real error
        return


_WARM_WORLD: dict[str, Any] = {
    "plans": [{"id": "p", "name": "P", "amount": "1.00", "interval": "month"}],
    "customers": [{"id": "cus_warm", "name": "Warm Up", "email": "warm@example.com"}],
}


def _warm_conversation(options: RunOptions) -> None:
    from datetime import UTC, datetime

    from purser.agent.events import CustomerMessage
    from purser.app import build_for_world
    from purser.worlds import parse_world

    world = parse_world(_WARM_WORLD, source="warm-up")
    knowledge = _knowledge(options.config) if options.use_knowledge else None
    container = build_for_world(
        world, datetime(2026, 1, 1, tzinfo=UTC), settings=agent_settings(options), knowledge=knowledge
    )
    try:
        if agent_settings(options).model == "offline":
            cid = container.runtime.start("cus_warm", channel="web")
            container.runtime.handle(cid, CustomerMessage(text="Hello, what plan am I on?"))
    finally:
        container.close()


def make_customer(scenario: Scenario, options: RunOptions) -> Customer:
    """The scripted customer, or the LLM customer when `--user-model` is set and the scenario has a goal."""
    from purser.gym.runner import ScriptedCustomer

    if options.user_model and scenario.goal:
        from purser.gym.llm_customer import LLMCustomer

        return LLMCustomer(scenario, user_model(options))
    return ScriptedCustomer(scenario.turns)


def user_model(options: RunOptions) -> Any:
    """The pydantic-ai model named by `--user-model` (a `models[].name` of the configuration)."""
    from purser.models.providers import ProviderConfigError, build_model

    settings = agent_settings(options)
    entry = next((e for e in settings.models if e.name == options.user_model), None)
    if entry is None:
        known = ", ".join(e.name for e in settings.models) or "none configured"
        raise GymSetupError(f"--user-model: {options.user_model!r} is not a configured model ({known})")
    try:
        return build_model(entry)
    except ProviderConfigError as exc:
        raise GymSetupError(f"--user-model: {exc}") from None


def check_setup(options: RunOptions) -> None:
    """Fail early, before any scenario runs, when the models cannot be built."""
    from purser.models.providers import ProviderConfigError
    from purser.models.registry import ModelRegistry

    try:
        ModelRegistry.from_settings(agent_settings(options))
    except ProviderConfigError as exc:
        raise GymSetupError(f"--model: {exc}") from None
    except Exception as exc:
        raise GymSetupError(f"configuration: {exc}") from None
    if options.user_model:
        user_model(options)


__all__ = [
    "GymSetupError",
    "agent_settings",
    "build_trial",
    "check_setup",
    "make_customer",
    "user_model",
    "warm",
]

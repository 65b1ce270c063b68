"""Purser: an AI agent for subscription-billing support that never moves money outside policy.

The main public names are importable from here (`from purser import build, Settings, Money`) and
resolved lazily on first use, so `import purser` (and the `purser` command's start-up) loads none
of pydantic, SQLAlchemy or the LLM clients. Everything else lives in its own module:
`purser.domain` (entities), `purser.ports` (repository protocols), `purser.testing` (fakes).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from purser.app import Backoffice, Container, build, build_backoffice, build_for_world
    from purser.config import ConfigError, Settings, load_settings
    from purser.domain import AccountSnapshot, CustomerId
    from purser.errors import PurserError
    from purser.money import Money
    from purser.policy.schema import Policy, PolicyError

# public name -> the module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "AccountSnapshot": "purser.domain",
    "Backoffice": "purser.app",
    "ConfigError": "purser.config",
    "Container": "purser.app",
    "CustomerId": "purser.domain",
    "Money": "purser.money",
    "Policy": "purser.policy.schema",
    "PolicyError": "purser.policy.schema",
    "PurserError": "purser.errors",
    "Settings": "purser.config",
    "build": "purser.app",
    "build_backoffice": "purser.app",
    "build_for_world": "purser.app",
    "load_settings": "purser.config",
}

__all__ = [
    "AccountSnapshot",
    "Backoffice",
    "ConfigError",
    "Container",
    "CustomerId",
    "Money",
    "Policy",
    "PolicyError",
    "PurserError",
    "Settings",
    "__version__",
    "build",
    "build_backoffice",
    "build_for_world",
    "load_settings",
]


def __getattr__(name: str) -> Any:
    """Resolve a public name on first access (PEP 562) and cache it on the package."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'purser' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

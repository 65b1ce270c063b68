"""Channel harnesses for `purser eval --channel NAME` and for trying a channel without an account.

A harness starts the platform's local API server (`purser.testing.<platform>`: it speaks the
platform's wire format on 127.0.0.1 and records what Purser posts), adds the platform's
`channels:` section pointing at it to the settings, and gives the gym a `ConversationDriver` that
signs requests as the platform does and reads the agent's answers back from the recorded posts.
One harness (one server) per process serves every trial; each driver links its own platform user.
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from purser.app import Container
    from purser.config import Settings
    from purser.gym.drivers import ConversationDriver

__all__ = ["HARNESSES", "ChannelHarness", "channel_harness"]

HARNESSES: dict[str, str] = {
    "slack": "purser.testing.slack_driver:SlackHarness",
    "whatsapp": "purser.testing.whatsapp_driver:WhatsAppHarness",
    "discord": "purser.testing.discord_driver:DiscordHarness",
    "email": "purser.testing.email_driver:EmailHarness",
}
"""channel name → `module:class` of its harness (constructed with no arguments)."""


class ChannelHarness(Protocol):
    """A local platform plus a driver factory."""

    def settings(self, base: Settings) -> Settings:
        """`base` with this platform's `channels:` section (and `public_url`) pointing at the local server."""
        ...

    def driver(self, container: Container) -> ConversationDriver:
        """A driver for one trial over a container built from `settings(...)`."""
        ...

    def close(self) -> None:
        """Stop the local server."""
        ...


_harnesses: dict[str, ChannelHarness] = {}
_lock = threading.Lock()


def channel_harness(name: str) -> ChannelHarness:
    """This process's harness for `name` (started on first use); `ValueError` for an unknown channel."""
    if name not in HARNESSES:
        raise ValueError(f"channel must be one of {', '.join(HARNESSES)}, not {name!r}")
    with _lock:
        harness = _harnesses.get(name)
        if harness is None:
            module_name, _, class_name = HARNESSES[name].partition(":")
            harness = getattr(importlib.import_module(module_name), class_name)()
            _harnesses[name] = harness
        return harness

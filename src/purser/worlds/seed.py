"""The demo sandbox: `demo.yaml` (about ten customers in every situation support meets) and `seed`."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path

from purser.worlds.loader import load_world
from purser.worlds.schema import World, load_scenario_world

__all__ = ["DEMO_PATH", "demo_world", "seed"]

DEMO_PATH = Path(str(resources.files("purser.worlds").joinpath("demo.yaml")))
"""The packaged demo world (a scenario-style file with `now` and `world`)."""


def demo_world() -> tuple[World, datetime]:
    """The validated demo world and its `now`."""
    return load_scenario_world(DEMO_PATH)


def seed(processor: object, *, reset: bool = True) -> tuple[World, datetime]:
    """Load the demo world into `processor` (a `SandboxProcessor`), emptying the sandbox first by default.

    The clock is set to the demo's `now`. Returns the world and that time.
    """
    world, now = demo_world()
    load_world(processor, world, now, reset=reset)
    return world, now

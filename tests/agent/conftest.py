"""Runtime test worlds: the real sandbox, gateway and store, with models behind fake HTTP servers."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from purser.app import Container, build_for_world
from purser.config import Settings
from purser.worlds import parse_world

sys.path.insert(0, str(Path(__file__).parent))  # agent_world (the shared test world) lives next to the tests

from agent_world import NOW, WORLD

from purser.testing.llm_server import LLMServer


@pytest.fixture
def fake_openai() -> Iterator[LLMServer]:
    """A scripted OpenAI-compatible server."""
    fake = LLMServer("openai").start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_openai_2() -> Iterator[LLMServer]:
    """A second scripted OpenAI-compatible server (the fallback or strong model)."""
    fake = LLMServer("openai").start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_anthropic() -> Iterator[LLMServer]:
    """A scripted Anthropic Messages server."""
    fake = LLMServer("anthropic").start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_gemini() -> Iterator[LLMServer]:
    """A scripted Gemini (generateContent / streamGenerateContent) server."""
    fake = LLMServer("google").start()
    yield fake
    fake.stop()


@pytest.fixture
def make_world() -> Iterator[Callable[..., Container]]:
    """Build a throw-away sandbox world wired with the given settings (closed afterwards)."""
    built: list[Container] = []

    def make(settings: Settings, **kwargs: Any) -> Container:
        container = build_for_world(parse_world(WORLD, source="test"), NOW, settings=settings, **kwargs)
        built.append(container)
        return container

    yield make
    for container in built:
        container.close()

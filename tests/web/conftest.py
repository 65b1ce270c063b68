"""Fixtures of the web tests: a real bootstrap (SQLite file in a temp dir, the seeded demo sandbox,
the offline model) and the app over it, driven in-process by httpx or over a real uvicorn server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from purser.app import Container, build
from purser.config import Settings
from purser.web.app import WebOptions, create_app
from purser.worlds.seed import seed

ADMIN_TOKEN = "test-admin-token-0123456789"
SECRET = "test-identity-secret"


def make_container(tmp: Path, **settings: Any) -> Container:
    """A migrated SQLite store in `tmp` with the demo world seeded."""
    values: dict[str, Any] = {"database_url": f"sqlite:///{tmp / 'purser.db'}", "admin_token": ADMIN_TOKEN}
    values.update(settings)
    container = build(Settings(**values))
    seed(container.processor)
    return container


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    """The demo world, identity verification off."""
    c = make_container(tmp_path)
    yield c
    c.close()


@pytest.fixture
def secure_container(tmp_path: Path) -> Iterator[Container]:
    """The demo world with identity verification on."""
    c = make_container(tmp_path, identity_secret=SECRET)
    yield c
    c.close()


def asgi_client(container: Container, options: WebOptions | None = None) -> httpx.AsyncClient:
    """An httpx client talking to the app in-process."""
    app = create_app(container, options)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", timeout=60)


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """In-process client, demo mode."""
    async with asgi_client(container) as c:
        yield c


@pytest.fixture
async def secure_client(secure_container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """In-process client, identity verification on."""
    async with asgi_client(secure_container) as c:
        yield c


ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The app on a real uvicorn server in a thread, on 127.0.0.1 and a free port."""

    def __init__(self, container: Container, options: WebOptions | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(container, options),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(container: Container) -> Iterator[LiveServer]:
    """A real server over the demo world."""
    with LiveServer(container) as server:
        yield server

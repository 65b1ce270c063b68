"""The dashboard's Dunning tab in real headless Chromium (Debian's) against a real uvicorn server: the
demo's declined card opens a case, the tab draws its figures."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.web.conftest import ADMIN_TOKEN, LiveServer

from purser.app import Container, build_dunning
from purser.dunning.clock import advance
from purser.processors.sandbox import SandboxProcessor

pytestmark = pytest.mark.browser

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
TIMEOUT = 30_000


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def test_the_dunning_tab_shows_the_cases(container: Container, live_server: LiveServer, browser: object) -> None:
    sandbox = container.processor
    assert isinstance(sandbox, SandboxProcessor)
    dunning = build_dunning(container.settings, container.db, sandbox)
    advance(sandbox, dunning, sandbox.now() + timedelta(days=3))  # the demo's cus_ben declines again
    assert len(dunning.repo.cases()) == 1
    admin = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    admin.set_default_timeout(TIMEOUT)
    admin.goto(f"{live_server.url}/admin")
    admin.get_by_label(re.compile("Admin token")).fill(ADMIN_TOKEN)
    admin.get_by_role("button", name="Sign in").click()
    admin.get_by_role("tab", name="Dunning").click()
    admin.wait_for_selector("#view-dunning svg")
    text = admin.locator("#view-dunning").inner_text()
    assert "0 recovered of 0 closed cases; 1 open." in text
    assert "$50.00" in text  # still open
    admin.screenshot(path=str(SHOTS / "dunning-tab.png"), full_page=True)

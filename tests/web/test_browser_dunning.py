"""The dashboard's Dunning tab in real headless Chromium (Debian's) against a real uvicorn server: the
demo's declined card opens a case, the tab draws its figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.web.conftest import LiveServer
from tests.web.test_browser import browser, open_tab, shot, sign_in  # noqa: F401 - the module's Chromium fixture

from purser.app import Container, build_dunning
from purser.dunning.clock import advance
from purser.processors.sandbox import SandboxProcessor

pytestmark = pytest.mark.browser


def test_the_dunning_tab_shows_the_cases(
    container: Container,
    live_server: LiveServer,
    browser: object,  # noqa: F811
) -> None:
    sandbox = container.processor
    assert isinstance(sandbox, SandboxProcessor)
    dunning = build_dunning(container.settings, container.db, sandbox)
    advance(sandbox, dunning, sandbox.now() + timedelta(days=3))  # the demo's cus_ben declines again
    assert len(dunning.repo.cases()) == 1
    admin = sign_in(browser, live_server)
    open_tab(admin, "Dunning")
    assert admin.locator("#view-dunning svg").count() > 0
    text = admin.locator("#view-dunning").inner_text()
    assert "0 recovered of 0 closed cases; 1 open." in text
    assert "$50.00" in text  # still open
    shot(admin, "dunning-tab")
    admin.close()

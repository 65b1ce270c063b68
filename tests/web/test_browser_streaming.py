"""The widget grows a streamed reply and replaces it by the final message (headless Chromium, real uvicorn)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.web.conftest import LiveServer
from tests.web.test_browser import browser, demo_at, say, send, shot  # noqa: F401 - the module's Chromium fixture
from tests.web.test_live_streaming import fake_openai, llm_container  # noqa: F401 - fixtures

from purser.app import Container
from purser.testing.llm_server import LLMServer, openai_text, shaped

pytestmark = pytest.mark.browser

LONG = "You are on the Pro plan at $20.00 a month; the next invoice is due on December 1st, 2026."


@pytest.fixture
def llm_server(llm_container: Container) -> Iterator[LiveServer]:  # noqa: F811
    """A real server whose model is the fake OpenAI server."""
    with LiveServer(llm_container) as server:
        yield server


def test_streamed_reply_grows_then_settles(
    browser: object,  # noqa: F811
    llm_server: LiveServer,
    fake_openai: LLMServer,  # noqa: F811
) -> None:
    fake_openai.push(openai_text("Hello Ana."), shaped(openai_text(LONG), pace=0.12))
    page = demo_at(browser, llm_server, 1280, "cus_ana")
    say(page, "hi")
    page.wait_for_selector(".pw-agent:not(.pw-streaming) >> text=Hello Ana.")
    page.wait_for_selector(".purser-host[data-live=on]", state="attached")  # the widget's stream listens

    send(page, "what is my plan?")
    growing = page.locator(".pw-streaming p")
    growing.wait_for()
    partial = growing.inner_text()
    assert LONG.startswith(partial.rstrip("▍")) and partial
    shot(page, "10-streaming-reply")
    final = page.locator(".pw-agent:not(.pw-streaming)", has_text="next invoice is due")
    final.wait_for()
    assert final.locator("p").inner_text() == LONG
    assert page.locator(".pw-streaming").count() == 0  # replaced by the message event
    assert page.locator(".pw-agent", has_text="next invoice is due").count() == 1
    assert fake_openai.streamed[-1] is True
    page.close()

"""The widget's layout in real headless Chromium (Debian's) against a real uvicorn server (issue 17).

The chat scrolls inside the widget (the page never grows with the conversation) and nothing overflows
sideways at phone and desktop widths, on the demo page and inside the widget's shadow root.
"""

from __future__ import annotations

import re

import pytest
from tests.web.conftest import LiveServer
from tests.web.test_browser import browser, demo_at, new_page, say, shot  # noqa: F401 - the module's Chromium fixture

pytestmark = pytest.mark.browser

# Widest element inside the widget compared with the widget's own width; the page's scroll width
# compared with the viewport.
OVERFLOW = """() => {
  const host = document.querySelector('.purser-host');
  const root = host.shadowRoot;
  const panel = root.querySelector('.pw-panel');
  const limit = panel.getBoundingClientRect().right + 0.5;
  const wide = [...root.querySelectorAll('*')].filter(n => n.getBoundingClientRect().right > limit)
    .map(n => n.className || n.tagName);
  return {page: document.documentElement.scrollWidth, inner: window.innerWidth,
          log: [root.querySelector('.pw-log').scrollWidth, root.querySelector('.pw-log').clientWidth],
          wide: wide};
}"""

# Short words (letters and digits, up to 14) that the layout splits over two lines ("escalate|d",
# "Septembe|r"): a column squeezed narrower than a word. Ids, URLs and JSON may break anywhere.
SPLIT = r"""(root) => {
  const out = [], range = document.createRange();
  const walker = document.createTreeWalker(document.querySelector(root), NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const parent = n.parentElement;
    if (!parent || !parent.offsetParent || parent.closest('.sr-only, pre, code')) continue;
    for (const m of n.data.matchAll(/\S+/g)) {
      const word = /^[(\[]?([A-Za-z0-9]{2,14})[)\],.;:!?]*$/.exec(m[0]);
      if (!word) continue;
      const at = m.index + m[0].indexOf(word[1]);
      range.setStart(n, at); range.setEnd(n, at + word[1].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) out.push(word[1]);
    }
  }
  return out.slice(0, 10);
}"""

LOG_SCROLL = """() => {
  const log = document.querySelector('.purser-host').shadowRoot.querySelector('.pw-log');
  return {scrollHeight: log.scrollHeight, clientHeight: log.clientHeight, top: log.scrollTop,
          page: document.documentElement.scrollHeight};
}"""


def assert_no_overflow(page: object, where: str) -> None:
    """Nothing wider than the viewport on the page, nothing wider than the widget inside it."""
    found = page.evaluate(OVERFLOW)  # type: ignore[attr-defined]
    assert found["page"] <= found["inner"], f"{where}: the page scrolls sideways: {found}"
    assert found["log"][0] <= found["log"][1], f"{where}: the message list scrolls sideways: {found}"
    assert not found["wide"], f"{where}: wider than the widget: {found['wide']}"


@pytest.mark.parametrize("width", [320, 390, 1280])
def test_no_horizontal_overflow_and_the_chat_scrolls_inside(
    browser: object,  # noqa: F811
    live_server: LiveServer,
    width: int,
) -> None:
    page = demo_at(browser, live_server, width)
    assert_no_overflow(page, f"{width}px, empty")
    before = page.evaluate(LOG_SCROLL)  # type: ignore[attr-defined]
    # A long conversation: a confirmation card with its quote and several answers.
    say(page, "I was charged twice this month")
    say(page, "yes please refund the duplicate")
    page.wait_for_selector(".pw-card[data-state=open]")
    for text in ("what is my plan?", "when is my next invoice?", "show my invoices", "what's my card?"):
        say(page, text)
    shot(page, f"layout-{width}")
    after = page.evaluate(LOG_SCROLL)  # type: ignore[attr-defined]
    assert after["page"] == before["page"], f"the page grew with the conversation: {before} → {after}"
    assert after["scrollHeight"] > after["clientHeight"], "the message list should scroll inside the widget"
    assert after["top"] + after["clientHeight"] >= after["scrollHeight"] - 2, "scrolled to the newest message"
    assert_no_overflow(page, f"{width}px, after a conversation")
    split = page.evaluate(SPLIT, "#account")  # type: ignore[attr-defined]
    assert not split, f"{width}px: the account panel splits words: {split}"
    page.close()  # type: ignore[attr-defined]


def test_the_demo_account_uses_the_cards_date_format(browser: object, live_server: LiveServer) -> None:  # noqa: F811
    page = demo_at(browser, live_server, 1280)
    text = page.locator("#account").inner_text()  # type: ignore[attr-defined]
    assert re.search(r"\b1 (September|October|November|December) 2026\b", text), text
    assert not re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}, \d{4}", text), text
    page.close()  # type: ignore[attr-defined]


def test_the_floating_widget_fits_a_320px_phone(browser: object, live_server: LiveServer) -> None:  # noqa: F811
    page = new_page(browser, viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True)
    page.set_content(
        "<!doctype html><html lang=en><head><meta name=viewport content='width=device-width'></head><body><h1>Shop</h1>"
        f"<script src='{live_server.url}/widget.js' data-customer-id='cus_north' "
        "data-name='Northwind Billing'></script>"
        "</body></html>"
    )
    page.get_by_role("button", name="Open chat with Northwind Billing").click()
    say(page, "add 2 seats")  # a card with invoice lines: the widest content the widget shows
    page.locator(".pw-card[data-state=open] dd").first.wait_for()
    shot(page, "layout-floating-320")
    assert_no_overflow(page, "floating widget at 320px")
    panel = page.get_by_role("dialog", name="Northwind Billing chat").bounding_box()
    assert panel is not None and panel["width"] <= 320
    page.close()


def test_the_demo_account_reads_statuses_as_words(browser: object, live_server: LiveServer) -> None:  # noqa: F811
    page = demo_at(browser, live_server, 390, customer="cus_ben")
    text = page.locator("#account").inner_text()  # type: ignore[attr-defined]
    assert "past due" in text and "past_due" not in text, text
    page.close()  # type: ignore[attr-defined]

"""End to end in real headless Chromium (Debian's, never downloaded) against a real uvicorn server.

Screenshots go to artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import ADMIN_TOKEN, SECRET, LiveServer

from purser.app import Container
from purser.web.security import user_hash

pytestmark = pytest.mark.browser

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
TIMEOUT = 90_000
"""How long any wait may take, in ms (Playwright's actions, navigations and `expect` alike). A step takes
well under a second on an idle machine; the whole suite on a 2-core CI machine with both cores busy
makes it many times slower, and a wait that times out there fails a test that is right."""

OLD = "data-old-drawing"
"""Marks the children a view had before it was asked to draw itself again (see `redrawn`)."""

TAB_CONTENT = {"Conversations": "#conv-list"}
"""The element each dashboard tab draws anew on every visit: the conversation list, else the tab's view."""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium for the module."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium")
    SHOTS.mkdir(parents=True, exist_ok=True)
    playwright_sync.expect.set_options(timeout=TIMEOUT)
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True, timeout=TIMEOUT)
        yield b
        b.close()


def new_page(browser: object, **options: object) -> Any:
    """A page of `browser` (Playwright's `new_page` options) whose waits all last `TIMEOUT`."""
    page = browser.new_page(**options)  # type: ignore[attr-defined]
    page.set_default_timeout(TIMEOUT)  # navigations included
    return page


def shot(page: object, name: str) -> None:
    """Keep a screenshot as a test artifact."""
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def send(page: object, text: str) -> None:
    """Type a message in the widget and send it with Enter (keyboard only)."""
    box = page.get_by_label(re.compile("^Message to"))  # type: ignore[attr-defined]
    box.fill(text)
    box.press("Enter")


def say(page: object, text: str) -> None:
    """Send `text` and wait until the widget's turn is over (the log is no longer busy): the server has
    answered, and stored the message. The widget shows the customer's message and marks the log busy
    as the message is sent, so the wait cannot pass on the turn before."""
    send(page, text)
    page.wait_for_selector(".pw-log[aria-busy=false]")  # type: ignore[attr-defined]


def pick(page: Any, customer: str) -> None:
    """Choose `customer` on the demo page and wait until the account panel shows them (it first shows
    the customer picked before)."""
    page.select_option("#customer", customer)
    name = page.locator(f"#customer option[value='{customer}']").inner_text().split(" (")[0]
    page.locator("#account dl", has_text=name).wait_for()


def demo_at(browser: object, server: LiveServer, width: int, customer: str = "cus_ana") -> Any:
    """The demo page at `width` px with `customer` picked and the widget ready."""
    page = new_page(browser, viewport={"width": width, "height": 800})
    page.goto(server.url + "/")
    page.wait_for_selector(f"#customer option[value='{customer}']", state="attached")
    pick(page, customer)
    return page


def sign_in(browser: object, server: LiveServer, width: int = 1280) -> Any:
    """The dashboard at `width` px, signed in with the bootstrap token."""
    page = new_page(browser, viewport={"width": width, "height": 900})
    page.goto(server.url + "/admin")
    page.get_by_label(re.compile("Admin token")).fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#app:not([hidden])")
    return page


def redrawn(page: Any, within: str, action: Callable[[], None]) -> None:
    """Do `action`, then wait until `within` (a view that empties itself and draws its answer in one go)
    holds a drawing made after it. Its children are marked first: the old drawing is still on screen
    while the request runs, and a click on it would land on an element about to be detached."""
    page.locator(within).evaluate(f"box => {{ for (const child of box.children) child.setAttribute('{OLD}', ''); }}")
    action()
    page.locator(f"{within} > :not([{OLD}])").first.wait_for(state="attached")


def open_tab(page: Any, name: str) -> None:
    """Open the dashboard's tab `name` and wait until it has drawn what the server answered (every
    visit asks the server again and draws the tab anew)."""
    tab = page.get_by_role("tab", name=re.compile("^" + name))
    redrawn(page, TAB_CONTENT.get(name, "#view-" + name.split()[0].lower()), tab.click)


def test_refund_confirm_and_see_it_done(browser: object, live_server: LiveServer) -> None:
    page = demo_at(browser, live_server, 1280, "cus_ana")
    say(page, "I was charged twice this month")
    page.wait_for_selector(".pw-agent >> text=duplicate")
    say(page, "yes please refund the duplicate")
    card = page.locator(".pw-card[data-state=open]")
    card.wait_for()
    assert "20.00" in card.inner_text()  # the quote is on the card
    shot(page, "01-confirmation-card")
    card.get_by_role("button", name="Confirm").click()
    page.wait_for_selector(".pw-result[data-status=succeeded]")
    # The account snapshot refreshed after the action: the refund is listed. (Locators, not
    # `wait_for_function`: the page's CSP forbids evaluating strings, which its polling does.)
    page.locator("#account", has_text="ch_ana_11b").wait_for()
    shot(page, "02-refund-done")
    assert page.locator(".pw-log[role=log][aria-live=polite]").count() == 1
    # A reload resumes the same conversation (id in sessionStorage); the answered card stays answered.
    cid = page.locator(".purser-host").get_attribute("data-conversation-id")
    page.reload()
    page.wait_for_selector(".pw-result[data-status=succeeded]")
    assert page.locator(".purser-host").get_attribute("data-conversation-id") == cid
    assert page.locator(".pw-card[data-state=confirmed] button:disabled").count() == 2
    assert page.locator("#customer").input_value() == "cus_ana"
    # "New conversation" starts afresh.
    page.get_by_role("button", name="New conversation").click()
    page.locator(".purser-host:not([data-conversation-id])").wait_for(state="attached")
    assert page.locator(".pw-result").count() == 0
    page.close()


def test_over_cap_refund_pending_then_approved_live(browser: object, live_server: LiveServer) -> None:
    customer = demo_at(browser, live_server, 1280, "cus_lena")
    say(customer, "Please refund my November payment")
    card = customer.locator(".pw-card[data-state=open]")
    card.wait_for()
    card.get_by_role("button", name="Confirm").click()
    pending = customer.locator(".pw-card[data-state=pending]")
    pending.wait_for()
    shot(customer, "03-pending-approval")

    admin = sign_in(browser, live_server)
    item = (
        admin.locator("article[data-approval-id]")
        .filter(has_text="Lena")
        .or_(admin.locator("article[data-approval-id]").filter(has_text="cus_lena"))
    )
    item.first.wait_for()
    item.first.get_by_label(re.compile("Reason")).fill("Long-standing customer; approved once.")
    shot(admin, "04-admin-approvals")
    item.first.get_by_role("button", name="Approve").click()
    admin.wait_for_selector("#flash >> text=resumed")

    # The customer's open widget updates without a reload (EventSource): the pending card becomes
    # the outcome (no "a teammate is reviewing this" left, no second strip saying the same thing).
    approved = customer.locator(".pw-card[data-state=approved][data-status=succeeded]")
    approved.wait_for()
    assert "reviewing" not in approved.inner_text()
    assert "Refund" in approved.inner_text() and customer.locator(".pw-pending, .pw-spinner").count() == 0
    assert customer.locator(".pw-result").count() == 0
    customer.locator("#account", has_text="ch_lena_11").wait_for()
    shot(customer, "05-approved-live")
    customer.reload()  # the transcript tells the same story after a reload
    customer.locator(".pw-card[data-state=approved][data-status=succeeded]").wait_for()
    assert "reviewing" not in customer.locator(".pw-card[data-state=approved]").inner_text()

    # The audit tab verifies the chain.
    open_tab(admin, "Audit log")
    admin.get_by_role("button", name="Verify the chain").click()
    admin.wait_for_selector("#verify-result >> text=Intact")
    open_tab(admin, "Metrics")
    admin.wait_for_selector("#view-metrics svg")
    shot(admin, "06-admin-metrics")
    open_tab(admin, "Conversations")
    admin.locator("#conv-list button").first.click()
    admin.wait_for_selector("#conv-detail >> text=Tool calls")
    admin.wait_for_selector("#conv-detail >> text=Guard decisions")
    shot(admin, "07-admin-conversation")
    admin.close()
    customer.close()


def test_teammate_reply_after_handoff_reaches_the_open_widget(browser: object, live_server: LiveServer) -> None:
    customer = demo_at(browser, live_server, 1280, "cus_dana")
    say(customer, "I want to talk to a human please")
    customer.wait_for_selector(".pw-handoff")

    admin = sign_in(browser, live_server)
    open_tab(admin, "Handoffs")
    cid = customer.locator(".purser-host").get_attribute("data-conversation-id")
    item = admin.locator("#view-handoffs article", has_text=str(cid))
    item.get_by_role("button", name="Open conversation").click()
    admin.get_by_label("Your reply").fill("Hi Dana, this is Sam from billing. I'm looking at it now.")
    shot(admin, "10-admin-reply-box")
    admin.get_by_role("button", name="Send reply").click()
    admin.wait_for_selector("#flash >> text=Reply sent")
    admin.wait_for_selector("#conv-detail .turn >> text=Sam from billing")

    # The customer's open widget shows it at once (EventSource), under the teammate's name and initials.
    reply = customer.locator(".pw-teammate", has_text="Sam from billing")
    reply.wait_for()
    assert reply.locator(".pw-author .pw-label").inner_text() == "admin"
    assert reply.locator(".pw-avatar").inner_text() == "A"
    shot(customer, "11-teammate-reply-live")
    # The customer answers; the teammate sees it in the same conversation.
    # The widget shows the customer's message as it sends it: once the turn is over, the server holds it.
    say(customer, "Thanks Sam, it is the March invoice")
    customer.wait_for_selector(".pw-customer >> text=March invoice")
    open_tab(admin, "Conversations")  # the list the conversation was opened from is drawn anew
    admin.locator(f"#conv-list button[data-conversation-id='{cid}']").click()
    admin.wait_for_selector("#conv-detail .turn >> text=March invoice")
    # After a reload the reply is still marked as from a teammate.
    customer.reload()
    customer.locator(".pw-teammate", has_text="Sam from billing").wait_for()
    admin.close()
    customer.close()


@pytest.fixture
def secure_server(secure_container: Container) -> Iterator[LiveServer]:
    """A server with identity verification on."""
    with LiveServer(secure_container) as server:
        yield server


def test_embedded_widget_on_a_phone_with_identity(browser: object, secure_server: LiveServer) -> None:
    good = user_hash(SECRET, "cus_ana")
    page = new_page(browser, viewport={"width": 375, "height": 700}, is_mobile=True, has_touch=True)
    html = (
        "<!doctype html><html><head><meta name=viewport content='width=device-width'></head><body>"
        "<h1>Shop</h1>"
        f"<script src='{secure_server.url}/widget.js' data-customer-id='cus_ana' data-user-hash='{good}' "
        "data-name='Shop Billing' data-color='#0f766e' data-greeting='Hi from Shop!'></script></body></html>"
    )
    page.set_content(html)
    launcher = page.get_by_role("button", name="Open chat with Shop Billing")
    launcher.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Shop Billing chat")
    dialog.wait_for()
    box = dialog.bounding_box()
    assert box is not None and box["width"] >= 370  # full width on a phone
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.tagName") == "TEXTAREA"
    say(page, "I was charged twice this month")
    page.wait_for_selector(".pw-agent >> text=duplicate")
    shot(page, "08-mobile-embedded")
    page.keyboard.press("Escape")
    assert launcher.get_attribute("aria-expanded") == "false"
    page.close()

    bad = new_page(browser)
    bad.set_content(html.replace(good, "00" * 32))
    bad.get_by_role("button", name="Open chat with Shop Billing").click()
    send(bad, "hello")
    bad.wait_for_selector(".pw-error >> text=verify")
    bad.close()


def test_api_docs_page_renders_offline(browser: object, live_server: LiveServer) -> None:
    page = new_page(browser)
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url))
    page.goto(live_server.url + "/api/docs")
    page.wait_for_selector("#ops section >> nth=10")
    assert page.locator("#ops h2", has_text="POST /api/conversations/{conversation_id}/events").count() == 1
    shot(page, "09-api-docs")
    assert not outside, outside
    page.close()

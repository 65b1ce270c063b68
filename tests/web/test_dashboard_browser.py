"""The dashboard a support team works from, in real headless Chromium (Debian's) against a real uvicorn
server: the inbox lists a guard escalation and a pending approval, a conversation opens with the customer
panel beside it, a teammate claims it, writes a private note and resolves it; the conversation list
searches; audit entries read as sentences (JSON on demand); no tab scrolls sideways at 1280 or 390 px."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tests.web.conftest import ADMIN, LiveServer
from tests.web.test_browser import browser, new_page, open_tab, redrawn, shot, sign_in  # noqa: F401 - the module's Chromium fixture
from tests.web.test_browser_layout import SPLIT

from purser.app import Container, build_dunning
from purser.dunning.clock import advance
from purser.processors.sandbox import SandboxProcessor

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

TABS = ("Inbox", "Approvals", "Handoffs", "Conversations", "Audit log", "Metrics", "Dunning", "Policy")
# The page's scroll width against the viewport, and the elements sticking out of it (to name them).
# Cards (charts included) whose content is wider than the card are clipped or scroll inside: named too.
OVERFLOW = """() => ({page: document.documentElement.scrollWidth, inner: window.innerWidth,
  wide: [...document.querySelectorAll('body *')].filter(n => n.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(0, 5).map(n => n.tagName + '.' + n.className + '#' + n.id),
  clipped: [...document.querySelectorAll('.card')].filter(n => n.offsetParent && n.scrollWidth > n.clientWidth + 1)
    .map(n => (n.querySelector('h3, figcaption') || n).textContent.slice(0, 40))})"""


def _event(client: httpx.Client, cid: str, event: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post(f"/api/conversations/{cid}/events", json=event)
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


def _start(client: httpx.Client, customer: str) -> str:
    response = client.post("/api/conversations", json={"customer_id": customer, "channel": "web"})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


@pytest.fixture
def chromium(browser: Any) -> Any:  # noqa: F811 - test_browser's module-scoped Chromium
    """Debian's headless Chromium (one per module, launched by `tests.web.test_browser.browser`)."""
    return browser


@pytest.fixture
def busy(live_server: LiveServer) -> Iterator[dict[str, str]]:
    """A guard escalation (Dana's disputed charge), a pending approval (Lena's refund over the cap) and a
    plain question (Ana), over the real server."""
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        dana = _start(client, "cus_dana")
        events = _event(client, dana, {"type": "message", "text": "Please refund my October charge ch_dana_10"})
        assert any(e["type"] == "handoff" and e["reason"] == "dispute" for e in events)
        lena = _start(client, "cus_lena")
        events = _event(client, lena, {"type": "message", "text": "Please refund my November payment"})
        action = next(e for e in events if e["type"] == "confirmation_request")["action_id"]
        events = _event(client, lena, {"type": "confirm", "action_id": action, "decision": "yes"})
        assert any(e["type"] == "approval_pending" for e in events)
        ana = _start(client, "cus_ana")
        _event(client, ana, {"type": "message", "text": "What plan am I on?"})
        yield {"dana": dana, "lena": lena, "ana": ana}


@pytest.fixture
def full(busy: dict[str, str], container: Container, live_server: LiveServer) -> dict[str, str]:
    """`busy`, plus data in every tab's tables and charts: a refund carried out today (Metrics) and an
    open dunning case (the demo's declining card, three days on the sandbox's clock)."""
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        ana = _start(client, "cus_ana")
        _event(client, ana, {"type": "message", "text": "I was charged twice this month"})
        events = _event(client, ana, {"type": "message", "text": "yes please refund the duplicate"})
        action = next(e for e in events if e["type"] == "confirmation_request")["action_id"]
        events = _event(client, ana, {"type": "confirm", "action_id": action, "decision": "yes"})
        assert any(e["type"] == "action_result" and e["status"] == "succeeded" for e in events), events
    sandbox = container.processor
    assert isinstance(sandbox, SandboxProcessor)
    dunning = build_dunning(container.settings, container.db, sandbox)
    advance(sandbox, dunning, sandbox.now() + timedelta(days=3))
    assert len(dunning.repo.cases()) == 1
    return busy


def test_the_inbox_lists_a_guard_escalation_and_a_teammate_works_it(
    chromium: Any, live_server: LiveServer, busy: dict[str, str]
) -> None:
    page = sign_in(chromium, live_server, 1280)
    open_tab(page, "Inbox")
    items = page.locator("#view-inbox article")
    assert items.count() == 2
    first, second = items.nth(0).inner_text(), items.nth(1).inner_text()
    assert "Lena Fischer" in first and "Approval" in first  # newest first
    assert "Dana Reyes" in second and "Disputed charge" in second and "chat widget" in second
    assert re.search(r"\d+ (second|minute)s? ago|just now", second)
    shot(page, "30-dashboard-inbox")
    decide = items.filter(has_text="Lena Fischer").get_by_role("button", name="Decide in Approvals")
    redrawn(page, "#view-approvals", decide.click)
    assert page.locator("#view-approvals article[data-approval-id]", has_text="cus_lena").count() == 1
    open_tab(page, "Inbox")  # drawn anew: the links of the list before are about to be detached

    items.filter(has_text="Dana Reyes").get_by_role("link", name=re.compile("Open")).click()
    page.wait_for_selector("#customer-panel >> text=Dana Reyes")
    panel = page.locator("#customer-panel").inner_text()
    assert "dana@example.com" in panel and "Basic" in panel and "$10.00" in panel
    assert re.search(r"[A-Z][a-z]+ \d{1,2}, 2026|\d{1,2} [A-Z][a-z]+ 2026", panel)  # a date in words, not ISO
    assert "T00:00" not in panel
    usage = page.locator("#conv-detail section", has_text="Usage and cost")
    assert usage.locator("td").first.inner_text() == "offline" and usage.locator("pre").count() == 0  # a table
    audit = page.locator("#conv-detail section", has_text="Audit records").inner_text()
    assert "lookup_account" not in audit and "The guard: refund escalated (disputed)." in audit

    page.get_by_role("button", name="Claim").click()
    page.wait_for_selector("#work-status >> text=Assigned to admin")
    page.get_by_role("textbox", name=re.compile("Private note")).fill("Bank says the dispute closes Friday.")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_selector("#notes >> text=Bank says the dispute closes Friday.")
    shot(page, "31-dashboard-conversation-panel")
    page.get_by_role("button", name="Resolve").click()
    page.wait_for_selector("#work-status >> text=Resolved by admin")

    open_tab(page, "Inbox")  # asked after the resolve was answered: the list the server has now
    inbox = page.locator("#view-inbox").inner_text()
    assert "Dana Reyes" not in inbox and "Lena Fischer" in inbox

    # The audit log reads as sentences; the JSON stays behind a disclosure.
    open_tab(page, "Audit log")
    assert page.locator("#view-audit >> text=admin added a private note").count() == 1
    assert page.locator("#view-audit >> text=admin claimed the conversation").count() == 1
    assert page.locator("#view-audit >> text=admin resolved the conversation").count() == 1
    details = page.locator("#view-audit details").first
    assert not details.evaluate("d => d.open")
    details.locator("summary").click()
    assert details.locator("pre").is_visible() and "{" in details.locator("pre").inner_text()
    shot(page, "32-dashboard-audit")
    page.close()


def test_the_conversation_list_shows_names_and_searches(
    chromium: Any, live_server: LiveServer, busy: dict[str, str]
) -> None:
    page = sign_in(chromium, live_server, 1280)
    open_tab(page, "Conversations")
    rows = page.locator("#conv-list button")
    assert rows.count() == 3
    text = page.locator("#conv-list").inner_text()
    assert "Ana Silva" in text and "Dana Reyes" in text and "Lena Fischer" in text
    assert "handed off" in text and "disputed with your bank" in text  # status and the last reply
    # Unread until opened (per person): Ana's row is marked, and no longer once she was looked at.
    ana_row = page.locator(f"#conv-list button[data-conversation-id='{busy['ana']}']")
    assert ana_row.locator(".unread").count() == 1
    ana_row.click()
    page.wait_for_selector("#customer-panel >> text=Ana Silva")
    expect(ana_row.locator(".unread")).to_have_count(0)  # gone once the server recorded the visit
    open_tab(page, "Conversations")  # and the list drawn anew from the server says so too
    assert ana_row.locator(".unread").count() == 0
    assert page.locator("#conv-list .unread").count() == 2  # Dana and Lena still unread
    search = page.get_by_role("searchbox", name=re.compile("Search"))
    search.fill("reyes")
    redrawn(page, "#conv-list", lambda: search.press("Enter"))
    assert rows.count() == 1 and "Dana Reyes" in page.locator("#conv-list").inner_text()
    search.fill("nobody-at-all")
    redrawn(page, "#conv-list", lambda: search.press("Enter"))
    assert "No conversation matches" in page.locator("#conv-list").inner_text()
    page.close()


def test_every_tab_of_the_dashboard_is_checked(chromium: Any, live_server: LiveServer) -> None:
    page = sign_in(chromium, live_server, 1280)
    names = [re.sub(r"\s*\d*$", "", t).strip() for t in page.get_by_role("tab").all_inner_texts()]
    assert names == list(TABS), f"the layout tests check {TABS}; the dashboard has {names}"
    page.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_sign_in_page_fits(chromium: Any, live_server: LiveServer, width: int) -> None:
    page = new_page(chromium, viewport={"width": width, "height": 900})
    page.goto(live_server.url + "/admin")
    page.get_by_role("button", name="Sign in").wait_for()
    found = page.evaluate(OVERFLOW)
    assert found["page"] <= found["inner"], f"the sign-in page at {width}px scrolls sideways: {found}"
    page.close()


def test_both_clocks_are_named(chromium: Any, live_server: LiveServer, busy: dict[str, str]) -> None:
    """The sandbox's processor clock and the wall clock differ in the demo: every time says which it is."""
    page = sign_in(chromium, live_server, 1280)
    open_tab(page, "Audit log")
    assert page.locator("#view-audit th", has_text="When (wall clock)").count() == 1
    assert "processor" in page.locator("#view-audit .clocks").inner_text()
    open_tab(page, "Metrics")
    captions = page.locator("#view-metrics figcaption").all_inner_texts()
    assert any("Refunds per day" in c and "processor clock" in c for c in captions), captions
    open_tab(page, "Conversations")
    page.locator(f"#conv-list button[data-conversation-id='{busy['dana']}']").click()
    page.wait_for_selector("#customer-panel >> text=The processor's clock")
    assert page.locator("#conv-detail th", has_text="When (wall clock)").count() == 1
    page.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_no_tab_scrolls_sideways(chromium: Any, live_server: LiveServer, full: dict[str, str], width: int) -> None:
    busy = full
    with httpx.Client(base_url=live_server.url, headers=ADMIN, timeout=30) as admin:
        note = "A long private note without spaces: " + "x" * 300
        assert admin.post(f"/api/admin/conversations/{busy['dana']}/notes", json={"text": note}).status_code == 200
    page = sign_in(chromium, live_server, width)
    for name in TABS:
        open_tab(page, name)  # what each tab shows is drawn before it is measured
        view = "#view-" + name.split()[0].lower()
        found = page.evaluate(OVERFLOW)
        assert found["page"] <= found["inner"], f"{name} at {width}px scrolls sideways: {found}"
        assert not found["clipped"], f"{name} at {width}px: content wider than its card: {found['clipped']}"
        assert not page.evaluate(SPLIT, view), f"{name} at {width}px splits words: {page.evaluate(SPLIT, view)}"
        if name == "Conversations":
            page.locator(f"#conv-list button[data-conversation-id='{busy['dana']}']").click()
            page.wait_for_selector("#customer-panel >> text=Dana Reyes")
            page.wait_for_selector("#notes >> text=A long private note")
            found = page.evaluate(OVERFLOW)
            assert found["page"] <= found["inner"], f"a conversation at {width}px scrolls sideways: {found}"
            assert not found["clipped"], f"a conversation at {width}px: content wider than its card: {found}"
            split = page.evaluate(SPLIT, "#conv-detail")
            assert not split, f"a conversation at {width}px splits words: {split}"
    shot(page, f"33-dashboard-{width}")
    page.close()

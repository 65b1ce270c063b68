"""The dashboard's password sign-in in real headless Chromium against a real uvicorn server: the session
cookie is HttpOnly and SameSite=Strict (script cannot read it), an approval made in the page is recorded as
the signed-in person, and signing out ends the session."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from tests.web.conftest import LiveServer
from tests.web.test_browser import ARGS, CHROMIUM, TIMEOUT, shot

from purser.app import Container

pytestmark = pytest.mark.browser

playwright_sync = pytest.importorskip("playwright.sync_api")

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _pending_refund(server: LiveServer) -> str:
    """Lena's over-cap refund, confirmed: its action id (now awaiting approval)."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        cid = client.post("/api/conversations", json={"customer_id": "cus_lena", "channel": "web"}).json()["id"]
        events = client.post(
            f"/api/conversations/{cid}/events", json={"type": "message", "text": "Please refund my November payment"}
        ).json()["events"]
        action_id = next(e["action_id"] for e in events if e["type"] == "confirmation_request")
        events = client.post(
            f"/api/conversations/{cid}/events", json={"type": "confirm", "action_id": action_id, "decision": "yes"}
        ).json()["events"]
        assert any(e["type"] == "approval_pending" for e in events)
        return str(action_id)


def test_password_sign_in_approve_and_sign_out(chromium: object, container: Container) -> None:
    assert container.people is not None
    container.people.create("alice", "approver", limit="10000.00", password=PASSWORD)
    with LiveServer(container) as server:
        action_id = _pending_refund(server)
        context = chromium.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.goto(server.url + "/admin")
        page.get_by_label("Name").fill("alice")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Password sign-in").click()
        page.wait_for_selector("#whoami >> text=Signed in as alice (approver)")
        [cookie] = [c for c in context.cookies() if c["name"] == "purser_session"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie") == ""  # script never sees the session
        item = page.locator("article[data-approval-id]").first
        item.get_by_label(re.compile("Reason")).fill("Loyal customer")
        shot(page, "20-admin-password-session")
        item.get_by_role("button", name="Approve").click()
        page.wait_for_selector("#flash >> text=resumed")
        decisions = [r for r in container.audit.records(action_id=action_id) if r.kind == "approval_decision"]
        assert [d.actor for d in decisions] == ["human:alice"]
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_selector("#login:not([hidden])")
        page.reload()
        page.wait_for_selector("#login:not([hidden])")  # the session ended on the server, not just in the page
        context.close()

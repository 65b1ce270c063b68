"""A guard escalation worked end to end in real headless Chromium (Debian's), two windows on one real
server (issue 17): the customer's disputed-charge refund is escalated by the guard (no `handoff` action),
the escalation is in the dashboard's Inbox, a signed-in teammate opens it from there and answers, and the
customer's open widget shows the answer under the teammate's name and initials."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.web.conftest import LiveServer
from tests.web.test_browser import TIMEOUT, browser, demo_at, open_tab, say, shot  # noqa: F401 - the module's Chromium fixture

from purser.app import Container

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

PASSWORD = "correct horse battery staple"


def test_a_guard_escalation_reaches_the_inbox_and_the_teammates_name_reaches_the_customer(
    browser: Any,  # noqa: F811
    container: Container,
    live_server: LiveServer,
) -> None:
    assert container.people is not None
    container.people.create("sam.lee", "agent", password=PASSWORD)
    customer = demo_at(browser, live_server, 390, customer="cus_dana")
    say(customer, "Please refund my October charge")
    customer.wait_for_selector(".pw-handoff")  # type: ignore[attr-defined]
    cid = str(customer.get_attribute(".purser-host", "data-conversation-id"))  # type: ignore[attr-defined]
    # The guard escalated the refund; the model never proposed a handoff.
    proposed = [r.data.get("action") for r in container.audit.records(conversation_id=cid) if r.kind == "proposal"]
    assert "refund" in proposed and "handoff" not in proposed, proposed
    decided = [r.data for r in container.audit.records(conversation_id=cid) if r.kind == "guard_decision"]
    assert any(d.get("status") == "escalated" and d.get("reason") == "disputed" for d in decided), decided

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    team = context.new_page()
    team.set_default_timeout(TIMEOUT)
    team.goto(live_server.url + "/admin")
    team.get_by_label("Name").fill("sam.lee")
    team.get_by_label("Password", exact=True).fill(PASSWORD)
    team.get_by_role("button", name="Password sign-in").click()
    team.wait_for_selector("#whoami >> text=Signed in as sam.lee")
    open_tab(team, "Inbox")
    item = team.locator("#view-inbox article", has_text="Dana Reyes")
    expect(item).to_contain_text("Disputed charge")
    item.get_by_role("link", name=re.compile("Open")).click()
    team.wait_for_selector("#customer-panel >> text=Dana Reyes")
    team.get_by_role("button", name="Claim").click()
    team.wait_for_selector("#work-status >> text=Assigned to sam.lee")
    team.get_by_label("Your reply").fill("Hi Dana, I'm looking at the dispute with your bank now.")
    team.get_by_role("button", name="Send reply").click()
    team.wait_for_selector("#flash >> text=Reply sent")

    reply = customer.locator(".pw-teammate", has_text="looking at the dispute")  # type: ignore[attr-defined]
    reply.wait_for()  # live, over the stream
    shot(customer, "teammate-named-reply")
    assert "sam.lee" in reply.inner_text()
    assert reply.locator(".pw-avatar").inner_text() == "SL"
    context.close()
    customer.close()  # type: ignore[attr-defined]

"""Every action a customer confirms, driven through the widget in real headless Chromium (Debian's) against
a real uvicorn server over the demo world (issue 17): the demo customers are walked through one card per
kind of quote, each confirmed, and what the widget then shows — the customer's and the agent's messages,
the card, the result — is read from the rendered DOM. No internal id (charges, invoices, subscriptions,
customers, payment methods, actions, approvals), no plan id and no snake_case enum value reaches it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.web.conftest import LiveServer
from tests.web.test_browser import browser, demo_at, pick, say, shot  # noqa: F401 - the module's Chromium fixture
from tests.web.test_browser_layout import OVERFLOW

from purser.actions.catalog import CATALOG

pytestmark = pytest.mark.browser

# The processor's and Purser's own ids, the demo world's plan ids (and any plan id shaped like them),
# the quote's and the processor's enum values.
INTERNAL = re.compile(
    r"\b(ch|in|cus|sub|pm|act|apr|cnv|re|dp|pi|lnk)_[A-Za-z0-9]"
    r"|\b[a-z]+-(monthly|yearly)(-[a-z]+)?\b"
    r"|\b[a-z]{2,}_[a-z]{2,}(_[a-z]+)*\b"
)
# A date written the US way ("November 1, 2026") where the cards say "1 November 2026".
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
US_DATE = re.compile(rf"\b({MONTHS}) \d{{1,2}}, \d{{4}}")

# (customer, messages): each ends in a confirmation card the customer then confirms. Together they give a
# card for every action a customer confirms (checked against the catalog below).
FLOWS: list[tuple[str, list[str]]] = [
    ("cus_ana", ["I was charged twice this month", "yes please refund the duplicate"]),
    ("cus_ana", ["upgrade to business"]),
    ("cus_ana", ["pause my subscription for 2 months"]),
    ("cus_ana", ["cancel my subscription", "cancel anyway"]),
    ("cus_ana", ["please email me invoice ANA-0002"]),
    ("cus_ana", ["change my billing address to 5 Rue de Rivoli, 75001 Paris, France"]),
    ("cus_north", ["add 2 seats"]),
    ("cus_acme", ["downgrade me to basic"]),
    ("cus_yves", ["switch me to monthly billing"]),
    ("cus_kenji", ["refund my last payment"]),
    ("cus_lena", ["Please refund my November payment"]),  # over the cap: a teammate approves it
    ("cus_ben", ["retry my payment"]),  # the card on file declines
    ("cus_ben", ["I need to update my card"]),
    ("cus_cleo", ["resume my subscription"]),
]

# The card-update link's token is random: a "-" in it gives the browser a place to break the line, so the
# layout is measured for the token the server may as well send, one without (each "-" made a letter).
WORST_CASE_LINKS = """() => {
  const root = document.querySelector('.purser-host').shadowRoot;
  for (const span of root.querySelectorAll('.pw-result span')) {
    span.textContent = span.textContent.replace(/https:\\/\\/\\S+/g, url => url.replace(/-/g, 'x'));
  }
}"""


def confirmed(page: Any, customer: str, messages: list[str]) -> tuple[str, str]:
    """A new conversation of `customer` in the widget: `messages` sent, the card confirmed, its outcome shown.
    Returns the card's action and everything the widget's message list then reads."""
    pick(page, customer)
    page.get_by_role("button", name="New conversation").click()
    for text in messages:
        say(page, text)
    card = page.locator(".pw-card[data-state=open]").last
    card.locator("dd").first.wait_for()  # the card's facts are drawn once the widget has their labels
    action = str(card.get_attribute("data-action"))
    card.get_by_role("button", name="Confirm").click()  # the log is busy from the press until the answer
    page.wait_for_selector(".pw-log[aria-busy=false]")
    assert page.locator(".pw-result, .pw-card[data-state=pending]").count() >= 1, f"{customer}: no outcome"
    return action, str(page.locator(".pw-log").inner_text())


@pytest.fixture(scope="module")
def walked(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:  # noqa: F811
    """Every flow confirmed in the widget at 390 px, on one server over a fresh demo world."""
    from tests.web.conftest import make_container

    container = make_container(tmp_path_factory.mktemp("cards"))
    logs: list[tuple[str, str, str]] = []
    layouts: list[tuple[str, str, dict[str, Any]]] = []
    try:
        with LiveServer(container) as server:
            page = demo_at(browser, server, 390)
            for customer, messages in FLOWS:
                action, text = confirmed(page, customer, messages)
                logs.append((customer, action, text))
                shot(page, f"every-card-{len(logs):02d}-{action}")
                page.evaluate(WORST_CASE_LINKS)
                layouts.append((customer, action, page.evaluate(OVERFLOW)))
            page.close()
    finally:
        container.close()
    return {"logs": logs, "layouts": layouts}


def test_every_confirmable_action_was_walked(walked: dict[str, Any]) -> None:
    confirmable = {name for name, spec in CATALOG.items() if spec.kind in ("write", "money")}
    seen = {action for _customer, action, _text in walked["logs"]}
    assert confirmable <= seen, f"no card walked for {sorted(confirmable - seen)}"


def test_no_card_message_or_result_shows_an_internal_value(walked: dict[str, Any]) -> None:
    for customer, action, text in walked["logs"]:
        found = [m.group(0) for m in INTERNAL.finditer(text)]
        assert not found, f"{customer} / {action}: {found} in\n{text}"
        assert "(card_declined)" not in text and "valid arguments" not in text, f"{customer} / {action}:\n{text}"


def test_money_on_every_card_carries_its_currency(walked: dict[str, Any]) -> None:
    bare = re.compile(r"(?<![$€£¥\d.,])\b\d+\.\d{2}\b(?! ?(USD|EUR|GBP|JPY|US\$))")
    for customer, action, text in walked["logs"]:
        assert not bare.search(text), f"{customer} / {action}: an amount without its currency in\n{text}"


def test_nothing_scrolls_sideways_after_any_card(walked: dict[str, Any]) -> None:
    for customer, action, found in walked["layouts"]:
        where = f"390px, {customer} after confirming {action}"
        assert found["page"] <= found["inner"], f"{where}: the page scrolls sideways: {found}"
        assert found["log"][0] <= found["log"][1], f"{where}: the message list scrolls sideways: {found}"
        assert not found["wide"], f"{where}: wider than the widget: {found['wide']}"


def test_one_date_format_in_what_the_customer_reads(walked: dict[str, Any]) -> None:
    for customer, action, text in walked["logs"]:
        assert not US_DATE.search(text), f"{customer} / {action}: {US_DATE.findall(text)} in\n{text}"

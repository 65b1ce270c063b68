"""The widget a customer trusts (issue 17), in real headless Chromium (Debian's) against a real uvicorn
server over the demo world: cards in human terms (the channels' rules), quick replies, the typing
indicator, the rating kept server-side, invoice PDFs over signed links, strings in five languages.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from tests.web.conftest import ADMIN, LiveServer
from tests.web.test_browser import browser, demo_at, new_page, pick, say, shot  # noqa: F401 - the module's Chromium fixture

from purser.app import Container
from purser.channels.render import quote_facts

pytestmark = pytest.mark.browser

INTERNAL = re.compile(r"\b(ch|in|cus|sub|pm|act|apr)_[A-Za-z0-9]|now_prorated|period_end|pro-monthly")

# (customer, messages) that end in a confirmation card: every kind of quote the demo world gives.
FLOWS = [
    ("cus_ana", ["I was charged twice this month", "yes please refund the duplicate"]),
    ("cus_ana", ["upgrade to business"]),
    ("cus_ana", ["cancel my subscription", "cancel anyway"]),
    ("cus_ana", ["pause my subscription for 2 months"]),
    ("cus_ana", ["please email me invoice ANA-0002"]),
    ("cus_north", ["add 2 seats"]),
    ("cus_lena", ["Please refund my November payment"]),
    ("cus_kenji", ["refund my last payment"]),
]


def cards_of(server: LiveServer, customer: str, messages: list[str]) -> list[dict[str, Any]]:
    """The confirmation requests the server answers `messages` with (over its chat API)."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        cid = client.post("/api/conversations", json={"customer_id": customer}).json()["id"]
        found: list[dict[str, Any]] = []
        for text in messages:
            events = client.post(f"/api/conversations/{cid}/events", json={"type": "message", "text": text}).json()
            found += [e for e in events["events"] if e["type"] == "confirmation_request"]
        return found


def test_cards_follow_the_channels_rules_and_show_no_internal_values(
    browser: object,  # noqa: F811
    live_server: LiveServer,
) -> None:
    page = demo_at(browser, live_server, 390)
    quotes = [card["quote"] for customer, messages in FLOWS for card in cards_of(live_server, customer, messages)]
    assert len(quotes) >= len(FLOWS)
    for quote in quotes:
        # The widget's facts for the quote are the server's facts (labels, "$20.00", "1 December 2026").
        shown = page.evaluate("q => Purser.quoteFacts(q, 'en')", quote)  # type: ignore[attr-defined]
        assert [tuple(f) for f in shown] == quote_facts(quote), quote
    # And the cards as a customer sees them in the widget: every flow, every card.
    texts: list[str] = []
    for customer, messages in FLOWS:
        pick(page, customer)
        page.get_by_role("button", name="New conversation").click()
        for text in messages:
            say(page, text)
        card = page.locator(".pw-card[data-state=open]").last  # type: ignore[attr-defined]
        card.locator("dd").first.wait_for()  # the card's facts are drawn once the widget has their labels
        texts.append(card.inner_text())
        shot(page, f"card-{customer}-{len(texts)}")
    for text in texts:
        assert not INTERNAL.search(text), text
        assert "December 1, 2026" not in text and "Nov 1" not in text
    joined = "\n".join(texts)
    assert "$20.00" in joined and "$23.80" in joined and "¥2,000" in joined  # money always with its currency
    assert re.search(r"\b1 (November|December) 2026\b", joined)  # one date format everywhere
    page.close()  # type: ignore[attr-defined]


def test_quick_replies_send_their_text_and_go_away(browser: object, live_server: LiveServer) -> None:  # noqa: F811
    page = demo_at(browser, live_server, 390)
    say(page, "cancel my subscription")
    # The save offer's answers come from the server (§7 message.quick_replies), under the offer.
    chips = page.get_by_role("group", name="Suggested replies")  # type: ignore[attr-defined]
    assert chips.get_by_role("button").all_inner_texts() == ["Pause instead", "Cancel anyway"]
    shot(page, "quick-replies")
    chips.get_by_role("button", name="Pause instead").click()
    page.wait_for_selector(".pw-customer >> text=Pause my subscription instead")  # type: ignore[attr-defined]
    page.wait_for_selector(".pw-log[aria-busy=false]")  # type: ignore[attr-defined]
    assert page.locator(".pw-quick").count() == 0  # type: ignore[attr-defined]
    card = page.locator(".pw-card[data-action=pause][data-state=open]")  # type: ignore[attr-defined]
    card.wait_for()  # the press was the customer's answer: a pause is quoted
    page.close()  # type: ignore[attr-defined]


def test_one_quick_reply_per_candidate_charge(browser: object, live_server: LiveServer) -> None:  # noqa: F811
    page = demo_at(browser, live_server, 390)
    say(page, "please refund a charge")
    chips = page.get_by_role("group", name="Suggested replies")  # type: ignore[attr-defined]
    labels = chips.get_by_role("button").all_inner_texts()
    assert len(labels) >= 2 and all("$20.00" in label and "ANA-" in label for label in labels), labels
    assert not any(INTERNAL.search(label) for label in labels)
    assert not page.evaluate(OVERFLOWS)  # type: ignore[attr-defined] - long labels wrap inside 390 px
    typed = page.locator(".pw-customer").count()  # type: ignore[attr-defined]
    chips.get_by_role("button", name=labels[1]).click()
    page.wait_for_selector(".pw-log[aria-busy=false]")  # type: ignore[attr-defined]
    assert page.locator(".pw-customer").count() == typed + 1  # type: ignore[attr-defined]
    assert page.locator(".pw-customer").last.inner_text().endswith(labels[1])  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


OVERFLOWS = """() => {
  const root = document.querySelector('.purser-host').shadowRoot;
  return [...root.querySelectorAll('.pw-chip')].some(c => c.getBoundingClientRect().right > window.innerWidth);
}"""


def test_a_teammates_reply_shows_their_name_and_initials(browser: object, live_server: LiveServer) -> None:  # noqa: F811
    page = demo_at(browser, live_server, 390, "cus_dana")
    say(page, "I want to talk to a human please")
    page.wait_for_selector(".pw-handoff")  # type: ignore[attr-defined]
    cid = page.locator(".purser-host").get_attribute("data-conversation-id")  # type: ignore[attr-defined]
    sent = httpx.post(
        f"{live_server.url}/api/admin/conversations/{cid}/reply",
        headers=ADMIN,
        json={"text": "Hi Dana, Sam from billing here.", "author": "Sam Lee"},
        timeout=30,
    )
    assert sent.status_code == 200, sent.text
    reply = page.locator(".pw-teammate", has_text="Sam from billing")  # type: ignore[attr-defined]
    reply.wait_for()  # live, over the widget's stream
    assert reply.locator(".pw-avatar").inner_text() == "SL"
    assert reply.locator(".pw-author .pw-label").inner_text() == "Sam Lee"
    shot(page, "teammate-name")
    page.reload()  # type: ignore[attr-defined] - and the same after a reload (from the transcript)
    page.wait_for_selector(".pw-teammate .pw-avatar")  # type: ignore[attr-defined]
    assert page.locator(".pw-teammate .pw-avatar").inner_text() == "SL"  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


TYPING = """() => {
  const typing = document.querySelector('.purser-host').shadowRoot.querySelector('.pw-typing');
  window.typingSeen = [];
  new MutationObserver(() => window.typingSeen.push(!typing.hidden)).observe(typing, {attributes: true});
}"""


def test_typing_then_a_rating_kept_on_the_server(
    browser: object,  # noqa: F811
    live_server: LiveServer,
    container: Container,
) -> None:
    page = demo_at(browser, live_server, 1280)
    page.evaluate(TYPING)  # type: ignore[attr-defined]
    say(page, "I was charged twice this month")
    seen = page.evaluate("window.typingSeen")  # type: ignore[attr-defined]
    states = [shown for i, shown in enumerate(seen) if i == 0 or shown != seen[i - 1]]
    assert states == [True, False], seen  # shown while the turn ran, hidden once it answered
    say(page, "yes please refund the duplicate")
    page.locator(".pw-card[data-state=open]").get_by_role("button", name="Confirm").click()  # type: ignore[attr-defined]
    page.wait_for_selector(".pw-result[data-status=succeeded]")  # type: ignore[attr-defined]
    rate = page.get_by_role("form", name="How was this conversation?")  # type: ignore[attr-defined]
    rate.wait_for()  # offered once the action is done
    rate.get_by_role("button", name="Not helpful").click()
    rate.get_by_label("Anything to add? (optional)").fill("Fast, but I had to ask twice.")
    shot(page, "rating")
    rate.get_by_role("button", name="Send rating").click()
    page.wait_for_selector(".pw-rate[data-state=sent] >> text=Thank you")  # type: ignore[attr-defined]
    cid = page.locator(".purser-host").get_attribute("data-conversation-id")  # type: ignore[attr-defined]
    kept = [r for r in container.audit.records(conversation_id=cid) if r.kind == "rating"]
    assert [(r.actor, r.data) for r in kept] == [
        ("customer:cus_ana", {"rating": "down", "comment": "Fast, but I had to ask twice."})
    ]
    page.close()  # type: ignore[attr-defined]


def test_end_chat_offers_the_rating(browser: object, live_server: LiveServer, container: Container) -> None:  # noqa: F811
    page = demo_at(browser, live_server, 390)
    say(page, "what is my plan?")
    page.get_by_role("button", name="End chat").click()  # type: ignore[attr-defined]
    rate = page.get_by_role("form", name="How was this conversation?")  # type: ignore[attr-defined]
    rate.get_by_role("button", name="Helpful", exact=True).click()
    rate.get_by_role("button", name="Send rating").click()
    page.wait_for_selector(".pw-rate[data-state=sent]")  # type: ignore[attr-defined]
    cid = page.locator(".purser-host").get_attribute("data-conversation-id")  # type: ignore[attr-defined]
    assert [r.data for r in container.audit.records(conversation_id=cid) if r.kind == "rating"] == [
        {"rating": "up", "comment": ""}
    ]
    page.close()  # type: ignore[attr-defined]


def test_invoice_pdf_downloads_over_a_signed_link(browser: object, live_server: LiveServer) -> None:  # noqa: F811
    page = demo_at(browser, live_server, 390)
    say(page, "please email me invoice ANA-0002")
    card = page.locator(".pw-card[data-action=send_invoice]")  # type: ignore[attr-defined]
    card.wait_for()
    with page.expect_download() as info:  # type: ignore[attr-defined]
        card.get_by_role("button", name="Download PDF").click()
    download = info.value
    assert download.suggested_filename == "invoice-ANA-0002.pdf"
    assert re.search(r"/invoices/lnk_[\w-]+\.[0-9a-f]+$", download.url)
    body = Path(download.path()).read_bytes()
    assert "ANA-0002" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert page.locator(".pw-card[data-action=send_invoice][data-state=open]").count() == 1  # nothing was sent
    page.close()  # type: ignore[attr-defined]


EMBED = (
    "<!doctype html><html lang='{lang}'><head><meta name=viewport content='width=device-width'></head><body>"
    "<div id=chat style='height:600px'></div>"
    "<script src='{url}/widget.js'></script>"
    "<script>Purser.mount({{customerId: 'cus_lena', target: '#chat', fresh: true}});</script></body></html>"
)


@pytest.mark.parametrize(
    ("lang", "send_label", "label", "money", "date"),
    [
        ("de", "Senden", "Betrag", "23,80 $", "8. November 2026"),
        ("fr", "Envoyer", "Montant", "23,80 $", "8 novembre 2026"),
        ("es", "Enviar", "Importe", "23,80 US$", "8 de noviembre de 2026"),
        ("pt", "Enviar", "Valor", "23,80 US$", "8 de novembro de 2026"),
        ("en", "Send", "Amount", "$23.80", "8 November 2026"),
    ],
)
def test_strings_and_formats_follow_the_pages_language(
    browser: object,  # noqa: F811
    live_server: LiveServer,
    lang: str,
    send_label: str,
    label: str,
    money: str,
    date: str,
) -> None:
    page = new_page(browser, viewport={"width": 390, "height": 800})
    page.set_content(EMBED.format(lang=lang, url=live_server.url))
    page.get_by_role("button", name=send_label).wait_for()
    box = page.locator(".pw-form textarea")
    box.fill("Please refund my November payment")
    box.press("Enter")
    card = page.locator(".pw-card[data-state=open]")
    card.locator("dd").first.wait_for()  # the card's facts are drawn once the widget has their labels
    text = card.inner_text()
    assert label in text and money in text.replace("\u202f", " ").replace("\xa0", " ") and date in text, text
    shot(page, f"card-{lang}")
    page.close()


def test_every_language_has_every_string(browser: object, live_server: LiveServer) -> None:  # noqa: F811
    page = demo_at(browser, live_server, 1280)
    tables = page.evaluate("() => Purser.i18n")  # type: ignore[attr-defined]
    for name, table in tables.items():
        # LABELS has no English table (the English label is the key): German is the reference.
        english = set(table["en"] if name != "LABELS" else table["de"])
        for lang in ("de", "fr", "es", "pt"):
            assert set(table[lang]) == english, (name, lang, english ^ set(table[lang]))
            assert all(table[lang].values()), (name, lang)
    from purser.channels.render import QUOTE_FACTS

    labels = {label for _key, label, _kind in QUOTE_FACTS if label}
    assert labels <= set(tables["LABELS"]["de"]), labels - set(tables["LABELS"]["de"])
    page.close()  # type: ignore[attr-defined]


def test_a_denied_approval_replaces_the_pending_card_without_the_internal_note(
    browser: object,  # noqa: F811
    live_server: LiveServer,
) -> None:
    page = demo_at(browser, live_server, 390, customer="cus_lena")
    say(page, "Please refund my November payment")
    page.locator(".pw-card[data-state=open]").get_by_role("button", name="Confirm").click()  # type: ignore[attr-defined]
    page.locator(".pw-card[data-state=pending]").wait_for()  # type: ignore[attr-defined]
    cid = page.locator(".purser-host").get_attribute("data-conversation-id")  # type: ignore[attr-defined]
    with httpx.Client(base_url=live_server.url, headers=ADMIN, timeout=30) as admin:
        pending = admin.get("/api/admin/approvals", params={"status": "pending"}).json()["approvals"]
        approval = next(a for a in pending if a["conversation_id"] == cid)
        note = "Internal: flagged by risk, do not refund"
        decided = admin.post(f"/api/admin/approvals/{approval['id']}", json={"decision": "deny", "reason": note})
        assert decided.status_code == 200, decided.text
    card = page.locator(".pw-card[data-state=denied]")  # type: ignore[attr-defined]
    card.wait_for()  # live, over the stream
    shot(page, "approval-denied")
    assert "Not approved" in card.inner_text()
    everything = page.locator(".pw-log").inner_text()  # type: ignore[attr-defined]
    assert "flagged" not in everything and "reviewing" not in everything, everything
    page.reload()  # type: ignore[attr-defined]
    page.locator(".pw-card[data-state=denied]").wait_for()  # type: ignore[attr-defined]
    assert "reviewing" not in page.locator(".pw-log").inner_text()  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_the_locale_option_wins_over_the_pages_language(browser: object, live_server: LiveServer) -> None:  # noqa: F811
    page = new_page(browser, viewport={"width": 390, "height": 800})
    html = EMBED.format(lang="de", url=live_server.url).replace("fresh: true", "fresh: true, locale: 'fr-CA'")
    page.set_content(html)
    page.get_by_role("button", name="Envoyer").wait_for()
    assert page.get_by_role("button", name="Terminer").count() == 1
    assert page.locator(".pw").get_attribute("lang") == "fr"
    page.close()

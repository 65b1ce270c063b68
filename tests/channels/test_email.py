"""The email channel end to end (issue 14 "Done when"): signed raw mail into the real web app, replies
over real SMTP (the outbox's delivery jobs into a local SMTP sink), confirmations through the signed
link's page, approvals decided by a teammate and the outcome mailed back into the same thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from purser.app import Container, build_for_world
from purser.config import ChannelsSettings, EmailChannelSettings, Settings
from purser.gym.loader import load_file
from purser.store.world_state import read_state
from purser.testing.email import MailClient, reply_text
from purser.testing.smtp import SmtpSink

SCENARIOS = Path(__file__).resolve().parents[1] / "gym" / "scenarios"
SECRET = "inbound-test-secret"
SUPPORT = "Acme Billing <billing@acme.test>"
MAYA = "Maya Jensen <maya@example.com>"
LINK = re.compile(r"http://testserver/channels/email/confirm/\S+")


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


def open_world(name: str, sink: SmtpSink) -> tuple[Container, MailClient]:
    """The scenario's sandbox world with the email channel pointed at the sink."""
    scenario = load_file(SCENARIOS / f"{name}.yaml")
    email = EmailChannelSettings(inbound_secret=SECRET, smtp_url=sink.url, from_address=SUPPORT)
    settings = Settings(channels=ChannelsSettings(email=email), public_url="http://testserver")
    container = build_for_world(
        scenario.world, scenario.now, settings=settings, policy_overrides=scenario.policy_overrides
    )
    return container, MailClient(container, sink, secret=SECRET)


@pytest.fixture
def maya(sink: SmtpSink) -> Iterator[tuple[Container, MailClient]]:
    container, mail = open_world("refund-this-month-forgot-to-cancel", sink)
    yield container, mail
    container.close()


def only(messages: list[EmailMessage]) -> EmailMessage:
    assert len(messages) == 1, [reply_text(m) for m in messages]
    return messages[0]


def confirm_link(message: EmailMessage) -> str:
    found = LINK.findall(reply_text(message))
    assert len(found) == 1, reply_text(message)
    return str(found[0])


def test_a_question_from_the_address_on_file_gets_a_threaded_reply_with_the_amount_and_date(
    maya: tuple[Container, MailClient],
) -> None:
    container, mail = maya
    answer = mail.write(MAYA, "Hi, what's my plan and when is my next charge?", subject="My plan")
    assert answer.status_code == 200
    reply = only(mail.replies("maya@example.com"))
    text = reply_text(reply)
    assert "$20.00" in text and "1 December 2026" in text
    assert reply["Subject"] == "Re: My plan"
    assert reply["From"] == SUPPORT
    [inbound_id] = re.findall(r"<[^>]+>", str(reply["In-Reply-To"]))
    assert inbound_id in str(reply["References"])
    html = reply.get_body(preferencelist=("html",))
    assert html is not None and "$20.00" in html.get_content()
    # One conversation, on the email channel, for the customer whose address wrote.
    [record] = container.runtime.conversations(limit=10)
    assert (record.customer_id, record.channel) == ("cus_maya", "email")


def test_a_reply_in_the_thread_continues_the_same_conversation(maya: tuple[Container, MailClient]) -> None:
    container, mail = maya
    mail.write(MAYA, "What's my plan?", subject="Plan")
    first = only(mail.replies("maya@example.com"))
    mail.write(MAYA, "And when is my next charge?\n\nOn Mon, Acme Billing wrote:\n> You're on Pro", answering=first)
    second = only(mail.replies("maya@example.com"))
    assert "1 December 2026" in reply_text(second)
    assert second["Subject"] == "Re: Plan"
    # The reply threads under the whole exchange: its References start at the first message.
    assert str(second["References"]).split()[0] == str(first["References"]).split()[0]
    assert len(container.runtime.conversations(limit=10)) == 1
    # The agent read only the new words: the quote header and the quoted lines were stripped.
    [record] = container.runtime.conversations(limit=10)
    said = [e.event["text"] for e in container.runtime.transcript(record.id) if e.role == "customer"]
    assert said == ["What's my plan?", "And when is my next charge?"]


def test_a_refund_is_confirmed_on_the_linked_page_exactly_once(maya: tuple[Container, MailClient]) -> None:
    container, mail = maya
    before = set(read_state(container.db).refunds)
    mail.write(MAYA, "Please refund this month's charge, I forgot to cancel.", subject="Refund")
    card = only(mail.replies("maya@example.com"))
    text = reply_text(card)
    assert "Amount: $20.00" in text and "Charged on: 1 November 2026" in text
    assert "act_" not in text and "ch_maya" not in text  # never internal ids
    url = confirm_link(card)

    # Opening the page (a person, or a mail scanner) changes nothing, however often.
    for _ in range(2):
        page = mail.open_link(url)
        assert page.status_code == 200
        assert "$20.00" in page.text and 'name="decision" value="yes"' in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
    mail.settle()
    assert set(read_state(container.db).refunds) == before

    done = mail.press(url, "yes")
    assert done.status_code == 200 and "Thank you" in done.text
    result = only(mail.replies("maya@example.com"))
    assert "$20.00" in reply_text(result)
    assert result["Subject"] == "Re: Refund"
    new = [r for rid, r in read_state(container.db).refunds.items() if rid not in before]
    assert [(r.charge, r.amount.amount_str()) for r in new] == [("ch_maya_11", "20.00")]

    # The link works once: a second press (or a replayed POST) refunds nothing more and sends nothing.
    again = mail.press(url, "yes")
    assert again.status_code == 409 and "already used" in again.text
    assert mail.replies("maya@example.com") == []
    assert len(read_state(container.db).refunds) == len(before) + 1


def test_cancel_on_the_page_refunds_nothing(maya: tuple[Container, MailClient]) -> None:
    container, mail = maya
    before = set(read_state(container.db).refunds)
    mail.write(MAYA, "Please refund this month's charge.", subject="Refund")
    url = confirm_link(only(mail.replies("maya@example.com")))
    assert mail.press(url, "no").status_code == 200
    assert len(mail.replies("maya@example.com")) == 1
    assert set(read_state(container.db).refunds) == before


def test_an_over_cap_refund_waits_for_an_approver_and_the_outcome_is_mailed_in_the_thread(sink: SmtpSink) -> None:
    container, mail = open_world("refund-cap-fixed-approved", sink)
    try:
        nora = "nora@example.com"
        mail.write(f"Nora Hill <{nora}>", "Please refund my whole November charge, $20.", subject="November")
        url = confirm_link(only(mail.replies(nora)))
        assert mail.press(url, "yes").status_code == 200
        pending = only(mail.replies(nora))
        assert "teammate is reviewing" in reply_text(pending)
        [request] = container.gateway.approvals(status="pending")
        assert read_state(container.db).refunds == {}

        container.runtime.decide_approval(str(request.id), approve=True, approver="admin:lee", reason="ok")
        outcome = only(mail.replies(nora))
        assert "$20.00" in reply_text(outcome)
        assert outcome["Subject"] == "Re: November"
        assert str(outcome["References"]).split()[0] == str(pending["References"]).split()[0]
        refunds = list(read_state(container.db).refunds.values())
        assert [(r.charge, r.amount.amount_str()) for r in refunds] == [("ch_nora_11", "20.00")]
    finally:
        container.close()


def test_an_unknown_sender_gets_a_knowledge_answer_and_the_link_hint_never_account_data(
    maya: tuple[Container, MailClient],
) -> None:
    container, mail = maya
    mail.write("Someone <stranger@elsewhere.test>", "What's my plan and when is my next charge?", subject="Plan?")
    reply = only(mail.replies("stranger@elsewhere.test"))
    text = reply_text(reply)
    assert "email address on your account" in text
    assert "$20.00" not in text and "1 December 2026" not in text and "Maya" not in text
    assert reply["Subject"] == "Re: Plan?" and reply["In-Reply-To"]
    assert container.runtime.conversations(limit=10) == []
    assert mail.replies("maya@example.com") == []

"""Email (issue 17): a message's quick replies are one line under it ("Reply with one of: …"), and an
answer with one of them continues the conversation as that choice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.channels.test_email import MAYA, only, open_world

from purser.agent.events import AgentMessage, QuickReply
from purser.app import Container
from purser.channels._email_render import reply_body
from purser.testing.email import MailClient, reply_text
from purser.testing.email_driver import read_blocks
from purser.testing.smtp import SmtpSink


@pytest.fixture
def maya() -> Iterator[tuple[Container, MailClient]]:
    with SmtpSink() as sink:
        container, mail = open_world("refund-this-month-forgot-to-cancel", sink)
        yield container, mail
        container.close()


def test_the_save_offer_lists_its_answers_and_a_reply_with_one_continues(maya: tuple[Container, MailClient]) -> None:
    container, mail = maya
    mail.write(MAYA, "Please cancel my subscription.", subject="Cancel")
    offer = only(mail.replies("maya@example.com"))
    text = reply_text(offer)
    assert "Reply with one of: “Pause my subscription instead”; “Cancel anyway”" in text
    html = offer.get_body(preferencelist=("html",))
    assert html is not None
    kinds = [b.kind for b in read_blocks(html.get_content().replace("\r\n", "\n"))]
    assert kinds == ["message", "replies"]
    mail.write(MAYA, "Cancel anyway", answering=offer)
    answer = only(mail.replies("maya@example.com"))
    assert "/channels/email/confirm/" in reply_text(answer)  # the cancellation, quoted behind a signed link
    [record] = container.runtime.conversations(limit=10)
    said = [e.event["text"] for e in container.runtime.transcript(record.id) if e.role == "customer"]
    assert said[-1] == "Cancel anyway"


def test_a_message_without_quick_replies_has_no_line_and_the_html_is_escaped() -> None:
    plain = reply_body([AgentMessage(text="Hello")], {}, ttl_hours=24)
    assert plain is not None and "Reply with one of" not in plain.text
    tricky = AgentMessage(
        text="Which?", quick_replies=[QuickReply(label="a", text="<b>x</b>"), QuickReply(label="b", text="y")]
    )
    body = reply_body([tricky], {}, ttl_hours=24)
    assert body is not None and "&lt;b&gt;x&lt;/b&gt;" in body.html and "<b>x</b>" not in body.html
    assert body.text.endswith("Reply with one of: “<b>x</b>”; “y”\n")

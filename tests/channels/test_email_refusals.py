"""The email channel refuses bad input with a clear answer and changes nothing: signatures, replays,
oversized and malformed bodies, robots' mail, forged threads, forged / used / expired / stale links.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from purser.app import Container, build_for_world
from purser.channels.base import RawRequest, SignatureInvalid
from purser.channels.email import CONFIRM_PURPOSE, EmailChannel, sign_body
from purser.config import ChannelsSettings, EmailChannelSettings, Settings
from purser.gym.loader import load_file
from purser.store.channel_tables import ch_seen, ch_threads, ch_tokens
from purser.store.world_state import read_state
from purser.testing.email import MailClient, inbound_email, reply_text
from purser.testing.smtp import SmtpSink

SCENARIO = Path(__file__).resolve().parents[1] / "gym" / "scenarios" / "refund-this-month-forgot-to-cancel.yaml"
SECRET = "inbound-test-secret"
MAYA = "Maya Jensen <maya@example.com>"
LINK = re.compile(r"http://testserver/channels/email/confirm/\S+")


@pytest.fixture
def world() -> Iterator[tuple[Container, MailClient, SmtpSink]]:
    scenario = load_file(SCENARIO)
    with SmtpSink() as sink:
        email = EmailChannelSettings(inbound_secret=SECRET, smtp_url=sink.url, from_address="billing@acme.test")
        settings = Settings(channels=ChannelsSettings(email=email), public_url="http://testserver")
        container = build_for_world(scenario.world, scenario.now, settings=settings)
        try:
            yield container, MailClient(container, sink, secret=SECRET), sink
        finally:
            container.close()


def rows(container: Container) -> dict[str, int]:
    """What the channel and the runtime have written."""
    with container.db.read() as conn:
        counts = {
            table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in (ch_seen, ch_threads, ch_tokens)
        }
    counts["conversations"] = len(container.runtime.conversations(limit=100))
    counts["outbox"] = len(container.outbox.entries()) if container.outbox is not None else 0
    return counts


def nothing_changed(container: Container, mail: MailClient, before: dict[str, int]) -> None:
    mail.settle()
    assert rows(container) == before
    assert mail.sink.messages == [] or len(mail.sink.messages) == before["outbox"]


def adapter(container: Container) -> EmailChannel:
    assert container.channels is not None
    channel = container.channels.adapter("email")
    assert isinstance(channel, EmailChannel)
    return channel


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "sha1=abc", "sha256=", sign_body("another-secret", b"x")],
    ids=["missing", "zeros", "other-scheme", "empty", "other-key"],
)
def test_a_missing_or_wrong_signature_is_401_and_nothing_is_written(
    world: tuple[Container, MailClient, SmtpSink], signature: str
) -> None:
    container, mail, _ = world
    before = rows(container)
    answer = mail.post(inbound_email(MAYA, "Refund me please"), signature=signature)
    assert answer.status_code == 401
    assert "refund" not in answer.text.lower()
    nothing_changed(container, mail, before)


def test_a_signature_header_that_is_not_ascii_is_refused_by_the_adapter(
    world: tuple[Container, MailClient, SmtpSink],
) -> None:
    container, _, _ = world
    request = RawRequest(
        method="POST",
        path="inbound",
        headers={"x-purser-signature": "sha256=ÿ"},
        query={},
        body=inbound_email(MAYA, "hi"),
        received_at=datetime.now(UTC),
    )
    with pytest.raises(SignatureInvalid):
        adapter(container).receive(request)


def test_a_body_changed_after_signing_is_401(world: tuple[Container, MailClient, SmtpSink]) -> None:
    container, mail, _ = world
    before = rows(container)
    raw = inbound_email(MAYA, "What's my plan?")
    tampered = raw.replace(b"What's my plan?", b"Refund everything")
    assert mail.post(tampered, signature=sign_body(SECRET, raw)).status_code == 401
    nothing_changed(container, mail, before)


def test_the_same_message_id_twice_runs_once(world: tuple[Container, MailClient, SmtpSink]) -> None:
    container, mail, _ = world
    raw = inbound_email(MAYA, "What's my plan?", message_id="<once@customer.example>")
    assert mail.post(raw).status_code == 200
    # (The in-memory test database is one connection: let the first turn finish before the retry.)
    mail.settle()
    assert mail.post(raw).status_code == 200  # a relay's retry is answered like the first
    assert len(mail.replies("maya@example.com")) == 1
    [record] = container.runtime.conversations(limit=10)
    assert [e.role for e in container.runtime.transcript(record.id)].count("customer") == 1


def test_an_oversized_body_is_413_before_the_channel_sees_it(world: tuple[Container, MailClient, SmtpSink]) -> None:
    container, mail, _ = world
    before = rows(container)
    raw = inbound_email(MAYA, "x" * (2 * 1024 * 1024 + 10))
    assert mail.post(raw).status_code == 413
    nothing_changed(container, mail, before)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"this is not an email at all",
        b"To: billing@acme.test\r\nSubject: no sender\r\n\r\nhello\r\n",
        b"From: a@x.test, b@y.test\r\nSubject: two senders\r\n\r\nhello\r\n",
    ],
    ids=["empty", "no-headers", "no-from", "two-froms"],
)
def test_a_malformed_email_is_400_and_nothing_is_written(
    world: tuple[Container, MailClient, SmtpSink], raw: bytes
) -> None:
    container, mail, _ = world
    before = rows(container)
    answer = mail.post(raw)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/json")
    nothing_changed(container, mail, before)


@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        (MAYA, {"Auto-Submitted": "auto-replied"}),
        (MAYA, {"Precedence": "bulk"}),
        (MAYA, {"X-Autoreply": "yes"}),
        ("Mail Delivery System <MAILER-DAEMON@mx.example.com>", {}),
        ("billing@acme.test", {}),  # our own address: a loop
    ],
    ids=["auto-submitted", "bulk", "x-autoreply", "bounce", "own-address"],
)
def test_automatic_mail_is_acknowledged_and_never_answered(
    world: tuple[Container, MailClient, SmtpSink], sender: str, headers: dict[str, str]
) -> None:
    container, mail, _ = world
    before = rows(container)
    answer = mail.post(inbound_email(sender, "I am out of the office until Monday.", headers=headers))
    assert answer.status_code == 200 and "ignored" in answer.text
    nothing_changed(container, mail, before)


def test_a_forged_references_header_cannot_join_another_senders_thread(
    world: tuple[Container, MailClient, SmtpSink],
) -> None:
    container, mail, _ = world
    mail.write(MAYA, "What's my plan?", subject="Plan")
    maya_reply = mail.replies("maya@example.com")[0]
    root = str(maya_reply["References"]).split()[0]
    # A stranger answers Maya's thread (as if they had seen its headers).
    mail.post(inbound_email("Mallory <mallory@evil.test>", "And my next charge?", in_reply_to=root, references=[root]))
    [reply] = mail.replies("mallory@evil.test")
    assert "$20.00" not in reply_text(reply) and "email address on your account" in reply_text(reply)
    assert mail.replies("maya@example.com") == []
    # Maya's thread still belongs to her conversation.
    assert container.channels is not None
    thread = container.channels.repo.thread(adapter(container).name, root)
    assert thread is not None and thread.external_id == "maya@example.com"


def _card_link(mail: MailClient) -> str:
    mail.write(MAYA, "Please refund this month's charge.", subject="Refund")
    [card] = mail.replies("maya@example.com")
    [url] = LINK.findall(reply_text(card))
    return str(url)


def test_forged_expired_and_badly_pressed_links_change_nothing(world: tuple[Container, MailClient, SmtpSink]) -> None:
    container, mail, _ = world
    url = _card_link(mail)
    refunds = set(read_state(container.db).refunds)
    token = url.rsplit("/", 1)[1]
    token_id, signature = token.split(".")

    forged = url.replace(signature, "0" * len(signature))
    for answer in (mail.open_link(forged), mail.press(forged, "yes")):
        assert answer.status_code == 400 and "not valid" in answer.text
        assert answer.headers["content-type"].startswith("text/html")
    assert mail.press(url.replace(token_id, "lnk_nope"), "yes").status_code == 400

    # A POST without a proper decision uses nothing: the real link still works afterwards.
    for bad in ("maybe", ""):
        answer = mail.press(url, bad)
        assert answer.status_code == 400 and "Confirm or Cancel" in answer.text
    assert mail.open_link(url).status_code == 200

    # A link issued already expired is refused with 410.
    expired = adapter(container).links.issue(
        CONFIRM_PURPOSE,
        {"action_id": "x", "thread_key": "<t@x>", "external_id": "maya@example.com", "address": "{}"},
        ttl=timedelta(seconds=-1),
        path="channels/email/confirm",
    )
    assert mail.open_link(expired).status_code == 410
    assert mail.press(expired, "yes").status_code == 410
    mail.settle()
    assert set(read_state(container.db).refunds) == refunds
    assert mail.replies("maya@example.com") == []


def test_a_link_for_an_action_already_answered_gets_a_polite_email_and_no_second_refund(
    world: tuple[Container, MailClient, SmtpSink],
) -> None:
    container, mail, _ = world
    url = _card_link(mail)
    payload = adapter(container).links.peek(CONFIRM_PURPOSE, url.rsplit("/", 1)[1])
    assert mail.press(url, "yes").status_code == 200
    assert len(mail.replies("maya@example.com")) == 1
    refunds = len(read_state(container.db).refunds)
    # Another valid link for the same (now executed) action: pressed, it refunds nothing more.
    second = adapter(container).links.issue(
        CONFIRM_PURPOSE, payload, ttl=timedelta(hours=1), path="channels/email/confirm"
    )
    assert mail.press(second, "yes").status_code == 200
    [notice] = mail.replies("maya@example.com")
    assert "no longer active" in reply_text(notice)
    assert len(read_state(container.db).refunds) == refunds


def test_the_confirmation_page_escapes_what_it_shows(world: tuple[Container, MailClient, SmtpSink]) -> None:
    container, mail, _ = world
    url = adapter(container).links.issue(
        CONFIRM_PURPOSE,
        {"summary": "<script>alert(1)</script> & more", "facts": '[["<b>Amount</b>", "$1 <i>"]]'},
        ttl=timedelta(hours=1),
        path="channels/email/confirm",
    )
    page = mail.open_link(url)
    assert page.status_code == 200
    assert "<script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page.text
    assert "&lt;b&gt;Amount&lt;/b&gt;" in page.text and "<i>" not in page.text
    assert "http" not in page.text.split("<body", 1)[1]  # no external assets, no links out
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    # A link of ours that does not name a thread and an action cannot confirm anything.
    assert mail.press(url, "yes").status_code == 400
    mail.settle()
    assert container.runtime.conversations(limit=10) == []


def test_an_unknown_email_endpoint_is_400(world: tuple[Container, MailClient, SmtpSink]) -> None:
    _, mail, _ = world
    assert mail.http.post("/channels/email/outbound", content=b"x").status_code == 400
    assert mail.http.get("/channels/email/inbound").status_code == 400

"""Reading inbound mail and writing replies: what the customer wrote (quotes, signatures and HTML
stripped), who and which thread, robots recognised; replies escape everything and read back exactly.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purser.agent.events import AgentMessage, ApprovalPending, ConfirmationRequest, Handoff
from purser.channels._email_mime import MAX_TEXT, html_to_text, parse_mail, strip_quoted
from purser.channels._email_render import reply_body
from purser.channels.base import ChannelError
from purser.testing.email import inbound_email
from purser.testing.email_driver import read_blocks


def test_the_headers_that_thread_and_identify_a_message() -> None:
    raw = inbound_email(
        '"Maya Jensen" <Maya@Example.COM>',
        "Hello",
        subject="Re:   my   invoice",
        message_id="<m3@client.example>",
        in_reply_to="<m2@purser.local>",
        references=["<m1@client.example>", "<m2@purser.local>"],
    )
    mail = parse_mail(raw)
    assert (mail.sender, mail.display_name) == ("maya@example.com", "Maya Jensen")
    assert mail.message_id == "<m3@client.example>"
    assert mail.in_reply_to == "<m2@purser.local>"
    assert mail.references == ("<m1@client.example>", "<m2@purser.local>")
    assert mail.subject == "Re: my invoice"
    assert not mail.automatic


def test_a_message_without_message_id_gets_a_stable_one_from_its_bytes() -> None:
    raw = b"From: a@x.test\r\nSubject: hi\r\n\r\nWhat is my plan?\r\n"
    first, again = parse_mail(raw), parse_mail(raw)
    assert first.message_id == again.message_id and first.message_id.endswith("@inbound.purser.invalid>")
    assert parse_mail(raw + b"!").message_id != first.message_id


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("Refund please.\n\nOn Mon, 7 Dec 2026, Billing <b@x.test> wrote:\n> Hello", "Refund please."),
        ("Refund.\nOn Mon, 7 Dec 2026 at 10:00, Acme Billing\n<billing@acme.test> wrote:\n> hi", "Refund."),
        ("Yes.\n> quoted\n> more", "Yes."),
        ("Thanks!\n-- \nMaya Jensen\nCEO", "Thanks!"),
        ("Thanks\n\n-----Original Message-----\nFrom: x", "Thanks"),
        ("Ok\n\nLe lun. 7 déc. 2026, Billing a écrit :\n> x", "Ok"),
        ("Two\nlines", "Two\nlines"),
    ],
    ids=["gmail", "gmail-wrapped", "quoted", "signature", "outlook", "french", "plain"],
)
def test_quotes_and_signatures_are_stripped(body: str, said: str) -> None:
    assert strip_quoted(body) == said
    assert parse_mail(inbound_email("a@x.test", body)).text == said


def test_an_html_only_email_is_read_as_text_without_scripts_styles_or_quotes() -> None:
    msg = EmailMessage()
    msg["From"] = "a@x.test"
    msg["Message-ID"] = "<h@x.test>"
    msg.set_content(
        "<html><head><style>p{color:red}</style></head><body><p>Please&nbsp;refund <b>$20</b>.</p>"
        "<div>Thanks</div><script>alert(1)</script><blockquote>On Monday you wrote: hi</blockquote></body></html>",
        subtype="html",
    )
    text = parse_mail(msg.as_bytes()).text
    assert "refund" in text and "$20" in text and "Thanks" in text
    assert "alert" not in text and "color" not in text and "you wrote" not in text
    assert html_to_text("<p>a</p><p>b</p>") == "a\n\nb"


def test_a_latin1_body_and_a_long_message_are_read() -> None:
    raw = (
        b"From: a@x.test\r\nMessage-ID: <l@x.test>\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nRembourser \xe9t\xe9 " + b"x" * 9000 + b"\r\n"
    )
    text = parse_mail(raw).text
    assert text.startswith("Rembourser été") and len(text) == MAX_TEXT


@pytest.mark.parametrize(
    "headers",
    [{"Auto-Submitted": "auto-generated"}, {"Precedence": "junk"}, {"X-Autorespond": "1"}],
)
def test_robots_are_recognised(headers: dict[str, str]) -> None:
    assert parse_mail(inbound_email("a@x.test", "away", headers=headers)).automatic
    assert parse_mail(inbound_email("postmaster@x.test", "bounce")).automatic
    assert not parse_mail(inbound_email("a@x.test", "hi", headers={"Auto-Submitted": "no"})).automatic


@pytest.mark.parametrize("raw", [b"", b"   ", b"hello", b"Subject: x\r\n\r\nbody"])
def test_mail_without_one_sender_is_refused(raw: bytes) -> None:
    with pytest.raises(ChannelError):
        parse_mail(raw)


def test_a_reply_lays_out_every_event_and_escapes_it() -> None:
    events = [
        AgentMessage(text="Hi <b>Maya</b> & co"),
        ConfirmationRequest(
            action_id="act_1",
            action="refund",
            summary="Refund $20.00 <now>",
            quote={"amount": "20.00", "currency": "usd", "charge_id": "ch_secret"},
        ),
        ApprovalPending(action_id="act_2", summary="Refund $50.00"),
        Handoff(reason="legal_threat", summary="internal notes for the team"),
    ]
    body = reply_body(events, {"act_1": "https://billing.example/confirm/t?a=1&b=2"}, ttl_hours=24)
    assert body is not None
    assert "<b>Maya</b>" not in body.html and "Hi &lt;b&gt;Maya&lt;/b&gt; &amp; co" in body.html
    assert 'href="https://billing.example/confirm/t?a=1&amp;b=2"' in body.html
    for shown in (body.text, body.html):
        assert "ch_secret" not in shown and "act_1" not in shown and "internal notes" not in shown
        assert "legal_threat" not in shown
    assert "Amount: $20.00" in body.text and "https://billing.example/confirm/t?a=1&b=2" in body.text
    kinds = [b.kind for b in read_blocks(body.html)]
    assert kinds == ["message", "confirmation", "pending", "handoff"]
    assert reply_body([], {}, ttl_hours=24) is None


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"), min_size=1))
def test_a_message_reads_back_exactly_from_the_reply_html(text: str) -> None:
    body = reply_body([AgentMessage(text=text)], {}, ttl_hours=24)
    assert body is not None
    [block] = read_blocks(body.html)
    assert (block.kind, block.text) == ("message", text)


def test_the_try_out_command_posts_a_signed_raw_email(capsys: pytest.CaptureFixture[str]) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from purser.channels.email import sign_body
    from purser.testing.email import main

    got: list[tuple[str, dict[str, str], bytes]] = []

    class Relay(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((self.path, dict(self.headers), body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"ok":true}')

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert main(["send", "--url", url, "--secret", "s", "--from", "ana@example.com", "Next charge?"]) == 0
    finally:
        server.shutdown()
        server.server_close()
    [(path, headers, body)] = got
    assert path == "/channels/email/inbound"
    assert headers["X-Purser-Signature"] == sign_body("s", body)
    mail = parse_mail(body)
    assert (mail.sender, mail.text) == ("ana@example.com", "Next charge?")
    assert capsys.readouterr().out.startswith("200")

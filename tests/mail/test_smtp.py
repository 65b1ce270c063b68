"""SMTP settings: a URL's mistakes are named, and no password reaches a repr or an error message."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from purser.config import Settings
from purser.mail.smtp import MailDeliveryError, deliver, parse_smtp_url
from purser.testing.smtp import SmtpSink


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://127.0.0.1:25", "scheme 'http'"),
        ("smtp://:25", "expected a host"),
        ("smtp://127.0.0.1:99999", "port must be a number"),
    ],
)
def test_bad_urls_are_named(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_smtp_url(url)


def test_passwords_stay_out_of_reprs_and_errors() -> None:
    settings = Settings(smtp_url="smtp://u:pw-smtp-secret@127.0.0.1:1", redis_url="redis://:pw-redis-secret@h:6379/0")
    assert "pw-smtp-secret" not in repr(settings) and "pw-redis-secret" not in repr(settings)
    target = parse_smtp_url("smtps://billing%40example.com:s%3Acret@127.0.0.1:1")
    assert target.username == "billing@example.com" and target.password == "s:cret" and target.tls
    assert "s:cret" not in repr(target)
    sink = SmtpSink()  # not started: the connection is refused
    with pytest.raises(MailDeliveryError) as caught:
        deliver(parse_smtp_url(f"smtp://u:pw-smtp-secret@127.0.0.1:{sink.port}"), EmailMessage(), timeout=2)
    assert f"127.0.0.1:{sink.port}" in str(caught.value) and "pw-smtp-secret" not in str(caught.value)

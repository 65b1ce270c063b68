"""Channel identity: admin links are checked, self-service codes are emailed, single-use and limited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from purser.channels.identity import MAX_ATTEMPTS, ChannelIdentity, LinkRefused, find_code, find_email
from purser.ports.channels import ChannelName
from purser.store.channels import SqlChannelRepository
from purser.store.db import Database

SLACK = ChannelName("slack")
CUSTOMERS = {"cus_ana": ("Ana Silva", "ana@example.com"), "cus_bob": ("Bob", "bob@example.com")}


class Mailbox:
    """Collects the emails the identity sends (to, subject, text)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def __call__(self, to: str, subject: str, text: str) -> None:
        self.sent.append((to, subject, text))

    def code(self) -> str:
        found = find_code(self.sent[-1][2].split("Your code is ")[1][:6])
        assert found is not None
        return found


@pytest.fixture
def setup(tmp_path: Path) -> tuple[ChannelIdentity, Mailbox, list[datetime]]:
    db = Database(f"sqlite:///{tmp_path / 'id.db'}")
    db.create_all()
    mailbox = Mailbox()
    now = [datetime(2026, 12, 1, tzinfo=UTC)]

    def find(email: str) -> list[tuple[str, str]]:
        return [(cid, name) for cid, (name, addr) in CUSTOMERS.items() if addr == email.lower()]

    identity = ChannelIdentity(
        SqlChannelRepository(db),
        customer_name=lambda cid: CUSTOMERS[cid][0] if cid in CUSTOMERS else None,
        find_customers=find,
        send_email=mailbox,
        clock=lambda: now[0],
    )
    return identity, mailbox, now


def test_admin_links_name_what_is_wrong(setup: tuple[ChannelIdentity, Mailbox, list[datetime]]) -> None:
    identity, _, _ = setup
    with pytest.raises(LinkRefused, match="channel must be one of"):
        identity.link("fax", "U1", "cus_ana", by="admin:x")
    with pytest.raises(LinkRefused, match="no customer 'cus_zed'"):
        identity.link("slack", "U1", "cus_zed", by="admin:x")
    with pytest.raises(LinkRefused, match="external id"):
        identity.link("slack", "  ", "cus_ana", by="admin:x")
    assert identity.customer_of(SLACK, "U1") is None
    identity.link("slack", "U1", "cus_ana", by="admin:x")
    assert identity.customer_of(SLACK, "U1") == "cus_ana"


def test_the_code_flow_links_once(setup: tuple[ChannelIdentity, Mailbox, list[datetime]]) -> None:
    identity, mailbox, _ = setup
    answer = identity.start(SLACK, "U9", "Ana@Example.com")
    assert "6-digit code" in answer and len(mailbox.sent) == 1
    assert mailbox.sent[0][0] == "Ana@Example.com"
    code = mailbox.code()
    result = identity.check(SLACK, "U9", code)
    assert result.customer_id == "cus_ana" and "Ana Silva" in result.message
    assert identity.customer_of(SLACK, "U9") == "cus_ana"
    again = identity.check(SLACK, "U9", code)
    assert again.customer_id is None  # the code was used


def test_an_address_not_on_file_gets_the_same_answer_and_no_email(
    setup: tuple[ChannelIdentity, Mailbox, list[datetime]],
) -> None:
    identity, mailbox, _ = setup
    known = identity.start(SLACK, "U9", "ana@example.com")
    unknown = identity.start(SLACK, "U8", "eve@example.com")
    assert known.replace("ana@example.com", "X") == unknown.replace("eve@example.com", "X")
    assert len(mailbox.sent) == 1
    assert identity.check(SLACK, "U8", "123456").customer_id is None


def test_wrong_guesses_cancel_the_code(setup: tuple[ChannelIdentity, Mailbox, list[datetime]]) -> None:
    identity, mailbox, _ = setup
    identity.start(SLACK, "U9", "bob@example.com")
    code = mailbox.code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(MAX_ATTEMPTS - 1):
        assert "doesn't match" in identity.check(SLACK, "U9", wrong).message
    assert "cancelled" in identity.check(SLACK, "U9", wrong).message
    assert identity.check(SLACK, "U9", code).customer_id is None
    assert identity.customer_of(SLACK, "U9") is None


def test_codes_expire(setup: tuple[ChannelIdentity, Mailbox, list[datetime]]) -> None:
    identity, mailbox, now = setup
    identity.start(SLACK, "U9", "bob@example.com")
    now[0] += timedelta(minutes=16)
    result = identity.check(SLACK, "U9", mailbox.code())
    assert result.customer_id is None and "expired" in result.message


@pytest.mark.parametrize(
    ("text", "email", "code"),
    [
        ("my email is Ana.Silva+billing@Example.co.uk thanks", "ana.silva+billing@example.co.uk", None),
        (" 123456 ", None, "123456"),
        ("code 123456", None, None),
        ("1234567", None, None),
        ("what's my plan?", None, None),
    ],
)
def test_messages_that_start_or_finish_linking(text: str, email: str | None, code: str | None) -> None:
    assert find_email(text) == email
    assert find_code(text) == code

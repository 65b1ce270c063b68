"""Signed single-use links: issued under the public URL, read without use, used once, forged or stale refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purser.channels.links import LinkError, LinkExpired, LinkUsed, SignedLinks
from purser.store.channels import SqlChannelRepository
from purser.store.db import Database


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def parts(tmp_path: Path) -> tuple[SignedLinks, Clock, SqlChannelRepository]:
    db = Database(f"sqlite:///{tmp_path / 'links.db'}")
    db.create_all()
    repo = SqlChannelRepository(db)
    clock = Clock()
    return SignedLinks(repo, public_url="https://billing.example.com/", clock=clock), clock, repo


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_a_link_is_read_without_use_then_used_once(parts: tuple[SignedLinks, Clock, SqlChannelRepository]) -> None:
    links, _, _ = parts
    url = links.issue("email_confirm", {"action_id": "act_1", "n": 2}, ttl=timedelta(hours=1), path="/confirm/")
    assert url.startswith("https://billing.example.com/confirm/lnk_")
    token = _token(url)
    assert links.peek("email_confirm", token) == {"action_id": "act_1", "n": 2}
    assert links.peek("email_confirm", token) == {"action_id": "act_1", "n": 2}
    assert links.redeem("email_confirm", token) == {"action_id": "act_1", "n": 2}
    with pytest.raises(LinkUsed):
        links.redeem("email_confirm", token)
    with pytest.raises(LinkUsed):
        links.peek("email_confirm", token)


def test_expired_links_are_refused(parts: tuple[SignedLinks, Clock, SqlChannelRepository]) -> None:
    links, clock, _ = parts
    token = _token(links.issue("pay", {}, ttl=timedelta(minutes=30), path="pay"))
    clock.now += timedelta(minutes=30)
    with pytest.raises(LinkExpired):
        links.redeem("pay", token)


def test_a_link_for_another_page_is_refused(parts: tuple[SignedLinks, Clock, SqlChannelRepository]) -> None:
    links, _, _ = parts
    token = _token(links.issue("pay", {}, ttl=timedelta(minutes=30), path="pay"))
    with pytest.raises(LinkError):
        links.redeem("email_confirm", token)
    assert links.redeem("pay", token) == {}


def test_a_link_signed_with_another_secret_is_refused(parts: tuple[SignedLinks, Clock, SqlChannelRepository]) -> None:
    links, clock, repo = parts
    other = SignedLinks(repo, public_url="https://x.example", secret="another-secret", clock=clock)
    token = _token(other.issue("pay", {}, ttl=timedelta(minutes=30), path="pay"))
    with pytest.raises(LinkError):
        links.redeem("pay", token)  # the row exists, but its signature is not ours
    assert other.redeem("pay", token) == {}


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_any_forged_token_is_refused_and_uses_nothing(forged: str) -> None:
    db = Database("sqlite://")
    db.create_all()
    links = SignedLinks(SqlChannelRepository(db), public_url="http://127.0.0.1:8000")
    real = _token(links.issue("pay", {"k": "v"}, ttl=timedelta(hours=1), path="pay"))
    if forged != real:
        with pytest.raises(LinkError):
            links.redeem("pay", forged)
    tampered = real[:-1] + ("0" if real[-1] != "0" else "1")
    with pytest.raises(LinkError):
        links.redeem("pay", tampered)
    assert links.redeem("pay", real) == {"k": "v"}
    db.dispose()
